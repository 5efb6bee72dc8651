import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { NLMSG_DONE, NLMSG_ERROR, NLM_F_DUMP, NLM_F_REQUEST, SOCK_DESTROY, SOCK_DIAG_BY_FAMILY, decodeRequests } from '../../src/mediator/abi/netlink.js';
import { procNetFile } from '../../src/mediator/host/proc-net-files.js';
import { answerSockDiag } from '../../src/mediator/host/sock-diag.js';
import type { ListedSocket } from '../../src/mediator/sockets/host-sockets.js';
import { StreamSocket } from '../../src/net/stream.js';

// The host's socket counts and the sock_diag requests that name no virtual
// socket. The tables' lines themselves are compared with Linux by
// test/apps/socket_tables.c.

function listed(protocol: 'tcp' | 'udp', family: 4 | 6, state: number, localPort: number): ListedSocket {
  const address = Buffer.alloc(family === 6 ? 16 : 4);
  const socket = Object.create(StreamSocket.prototype) as StreamSocket;
  return {
    socket,
    family,
    protocol,
    state,
    localAddress: address,
    localPort,
    remoteAddress: address,
    remotePort: 0,
    receiveQueue: 0,
    sendQueue: 0,
    uid: 0,
    cookie: 1,
  };
}

function request(type: number, flags: number, body: Buffer): Buffer {
  const header = Buffer.alloc(16);
  header.writeUInt32LE(16 + body.length, 0);
  header.writeUInt16LE(type, 4);
  header.writeUInt16LE(flags, 6);
  header.writeUInt32LE(5, 8);
  return Buffer.concat([header, body]);
}

describe('/proc/net/sockstat and sockstat6', () => {
  it('count the TCP sockets not closed, the UDP sockets with a port, per IP version, and every socket listed', () => {
    const sockets = [
      listed('tcp', 4, 10, 80),
      listed('tcp', 4, 1, 80),
      listed('tcp', 4, 7, 0),
      listed('udp', 4, 7, 53),
      listed('udp', 4, 7, 0),
      listed('tcp', 6, 10, 22),
    ];
    expect(procNetFile('sockstat', sockets)).toBe(
      'sockets: used 6\nTCP: inuse 2 orphan 0 tw 0 alloc 4 mem 0\nUDP: inuse 1 mem 0\nUDPLITE: inuse 0\nRAW: inuse 0\nFRAG: inuse 0 memory 0\n',
    );
    expect(procNetFile('sockstat6', sockets)).toBe('TCP6: inuse 1\nUDP6: inuse 0\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n');
  });
});

describe('sock_diag requests about no virtual socket', () => {
  const AF_UNIX = 1;
  it("an AF_UNIX dump (unix_diag_req, shorter than inet's) ends at once; SOCK_DESTROY is EOPNOTSUPP", () => {
    const unixDump = answerSockDiag(
      request(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, Buffer.from([AF_UNIX, 0, 0, 0, ...Array(20).fill(0)])),
      9,
      () => [],
    );
    expect(decodeRequests(Buffer.concat(unixDump)).map((message) => message.header.type)).toEqual([NLMSG_DONE]);
    const destroy = answerSockDiag(request(SOCK_DESTROY, NLM_F_REQUEST, Buffer.alloc(56, 0)), 9, () => []);
    const [answer] = decodeRequests(Buffer.concat(destroy));
    expect(answer!.header.type).toBe(NLMSG_ERROR);
    expect(-answer!.body.readInt32LE(0)).toBe(Errno.EOPNOTSUPP);
  });
});
