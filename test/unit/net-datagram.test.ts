import { describe, expect, it } from 'vitest';
import type { DatagramSocket, ReceivedDatagram } from '../../src/net/datagram.js';
import { RCODE_NOERROR, RCODE_NXDOMAIN, TYPE_A, TYPE_AAAA } from '../../src/net/dns.js';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import { IPV4_DATAGRAMS, IPV6_DATAGRAMS, datagramWireBytes, icmpErrorWireBytes } from '../../src/net/wire.js';

const hosts = ['a', 'b', 'c'].map((name) => ({ name, properties: {} }));

function setup() {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(hosts, transport);
  const receiver = net.datagramSocket('b');
  expect(receiver.bind({ address: '0.0.0.0', port: 9000 })).toBeUndefined();
  return { transport, net, receiver };
}

const code = (result: unknown) => (result instanceof SocketError ? result.code : result);

function received(socket: DatagramSocket, max = 1000): ReceivedDatagram {
  const result = socket.recvFrom(max);
  if (result instanceof SocketError) throw new Error(`expected a datagram, got ${result.code}`);
  return result;
}

describe('UDP', () => {
  it('keeps message boundaries and gives each message its source', () => {
    const { transport, net, receiver } = setup();
    const fromA = net.datagramSocket('a');
    const fromC = net.datagramSocket('c');
    expect(fromA.sendTo(Buffer.from('one'), { address: '10.0.0.2', port: 9000 })).toBe(3);
    expect(fromC.sendTo(Buffer.from('two!'), { address: '10.0.0.2', port: 9000 })).toBe(4);
    expect(fromA.sendTo(Buffer.from(''), { address: '10.0.0.2', port: 9000 })).toBe(0);
    transport.completeAll();
    const got = [received(receiver), received(receiver), received(receiver)];
    expect(got.map((d) => [d.data.toString(), d.source])).toEqual([
      ['one', { address: '10.0.0.1', port: 32768 }],
      ['two!', { address: '10.0.0.3', port: 32768 }],
      ['', { address: '10.0.0.1', port: 32768 }],
    ]);
    expect(code(receiver.recvFrom(1000))).toBe('EAGAIN');
  });

  it('delivers a message only when its transfer completes, one comm of its bytes with UDP, IPv4 and Ethernet headers', () => {
    const { transport, net, receiver } = setup();
    net.datagramSocket('a').sendTo(Buffer.alloc(1200), { address: '10.0.0.2', port: 9000 });
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: datagramWireBytes(1200) }]);
    expect(receiver.readiness().readable).toBe(false);
    transport.completeRound();
    expect(receiver.readiness().readable).toBe(true);
    expect(receiver.available()).toBe(1200);
  });

  it('binds an unbound socket to INADDR_ANY and an ephemeral port on its first send', () => {
    const { net } = setup();
    const sender = net.datagramSocket('a');
    expect(sender.local).toBeUndefined();
    sender.sendTo(Buffer.from('x'), { address: '10.0.0.2', port: 9000 });
    expect(sender.local).toEqual({ address: '0.0.0.0', port: 32768 });
  });

  it('cuts a message longer than the buffer and reports its full length', () => {
    const { transport, net, receiver } = setup();
    net.datagramSocket('a').sendTo(Buffer.from('abcdef'), { address: '10.0.0.2', port: 9000 });
    transport.completeAll();
    const peeked = receiver.recvFrom(3, { peek: true }) as ReceivedDatagram;
    expect([peeked.data.toString(), peeked.length]).toEqual(['abc', 6]);
    const cut = received(receiver, 3);
    expect([cut.data.toString(), cut.length]).toEqual(['abc', 6]);
    // The rest of a cut datagram is lost, as in Linux.
    expect(code(receiver.recvFrom(3))).toBe('EAGAIN');
  });

  it('drops messages to a port nobody bound, after paying for their transfer', () => {
    const { transport, net, receiver } = setup();
    const sender = net.datagramSocket('a');
    sender.sendTo(Buffer.from('lost'), { address: '10.0.0.2', port: 9001 });
    expect(transport.pending.length).toBe(1);
    transport.completeAll();
    expect(receiver.readiness().readable).toBe(false);
    const late = net.datagramSocket('b');
    late.bind({ address: '0.0.0.0', port: 9001 });
    expect(late.readiness().readable).toBe(false);
  });

  it('answers a message to a port nobody bound with an ICMP error, which a socket connected there reports once as ECONNREFUSED', () => {
    const { transport, net } = setup();
    const connected = net.datagramSocket('a');
    const loose = net.datagramSocket('a');
    expect(connected.connect({ address: '10.0.0.2', port: 9001 })).toBeUndefined();
    connected.sendTo(Buffer.from('lost'));
    loose.sendTo(Buffer.from('lost'), { address: '10.0.0.2', port: 9001 });
    transport.completeRound();
    expect(connected.readiness().error).toBe(false);
    expect(transport.pending.map((t) => [t.srcHost, t.dstHost, t.bytes])).toEqual([
      ['b', 'a', icmpErrorWireBytes(IPV4_DATAGRAMS)],
      ['b', 'a', icmpErrorWireBytes(IPV4_DATAGRAMS)],
    ]);
    transport.completeAll();
    expect(connected.readiness().error).toBe(true);
    expect(code(connected.recvFrom(100))).toBe('ECONNREFUSED');
    expect(code(connected.recvFrom(100))).toBe('EAGAIN');
    expect(loose.readiness().error).toBe(false);
    expect(code(loose.recvFrom(100))).toBe('EAGAIN');
    connected.sendTo(Buffer.from('lost'));
    transport.completeAll();
    expect(code(connected.sendTo(Buffer.from('again')))).toBe('ECONNREFUSED');
  });

  it('drops messages to an address of the subnet no host has without a transfer, and refuses those no route leads to (ENETUNREACH)', () => {
    const { transport, net } = setup();
    const socket = net.datagramSocket('a');
    expect(socket.sendTo(Buffer.from('void'), { address: '10.9.9.9', port: 1 })).toBe(4);
    expect(socket.connect({ address: '10.9.9.9', port: 1 })).toBeUndefined();
    expect(transport.pending).toEqual([]);
    expect(code(socket.sendTo(Buffer.from('void'), { address: '192.168.9.9', port: 1 }))).toBe('ENETUNREACH');
    expect(code(socket.connect({ address: '192.168.9.9', port: 1 }))).toBe('ENETUNREACH');
  });

  it("sends a connected socket's messages to its peer and accepts messages from its peer only", () => {
    const { transport, net, receiver } = setup();
    const peer = net.datagramSocket('a');
    peer.bind({ address: '0.0.0.0', port: 7000 });
    const stranger = net.datagramSocket('c');
    expect(receiver.connect({ address: '10.0.0.1', port: 7000 })).toBeUndefined();
    expect(receiver.sendTo(Buffer.from('hi'))).toBe(2);
    peer.sendTo(Buffer.from('from peer'), { address: '10.0.0.2', port: 9000 });
    stranger.sendTo(Buffer.from('from stranger'), { address: '10.0.0.2', port: 9000 });
    transport.completeAll();
    expect(received(peer).data.toString()).toBe('hi');
    expect(received(receiver).data.toString()).toBe('from peer');
    expect(code(receiver.recvFrom(100))).toBe('EAGAIN');
    expect(code(net.datagramSocket('a').sendTo(Buffer.from('x')))).toBe('EDESTADDRREQ');
  });

  it('refuses a datagram larger than UDP allows with EMSGSIZE', () => {
    const { net } = setup();
    expect(code(net.datagramSocket('a').sendTo(Buffer.alloc(65508), { address: '10.0.0.2', port: 9000 }))).toBe('EMSGSIZE');
  });

  it("sizes a datagram by its destination's IP version: 65527 bytes over IPv6 and IPv6's headers on the wire, IPv4's 65507 to an IPv4 address", () => {
    const { transport, net } = setup();
    const receiver6 = net.datagramSocket('b', 6);
    expect(receiver6.bind({ address: '::', port: 9006 })).toBeUndefined();
    const address6 = net.addresses.address6Of('b');
    const sender6 = net.datagramSocket('a', 6);
    expect(code(sender6.sendTo(Buffer.alloc(65528), { address: address6, port: 9006 }))).toBe('EMSGSIZE');
    expect(sender6.sendTo(Buffer.alloc(65527), { address: address6, port: 9006 })).toBe(65527);
    expect(transport.pending.map((t) => t.bytes)).toEqual([datagramWireBytes(65527, IPV6_DATAGRAMS)]);
    transport.completeAll();
    expect(received(receiver6, 70000).length).toBe(65527);
    // The same AF_INET6 socket sending to an IPv4 address (an IPv4-mapped one, as the program wrote it) has IPv4's bound.
    expect(code(sender6.sendTo(Buffer.alloc(65508), { address: '10.0.0.2', port: 9000 }))).toBe('EMSGSIZE');
  });

  it('reaches a socket bound to loopback only from its own host', () => {
    const { transport, net } = setup();
    const local = net.datagramSocket('a');
    local.bind({ address: '127.0.0.1', port: 5000 });
    net.datagramSocket('a').sendTo(Buffer.from('near'), { address: '127.0.0.1', port: 5000 });
    net.datagramSocket('b').sendTo(Buffer.from('far'), { address: '10.0.0.1', port: 5000 });
    transport.completeAll();
    const got = received(local);
    expect([got.data.toString(), got.source.address]).toEqual(['near', '127.0.0.1']);
    expect(code(local.recvFrom(100))).toBe('EAGAIN');
  });

  it('notifies each arrival and each change of readability, once', () => {
    const { transport, net, receiver } = setup();
    let changes = 0;
    receiver.onChange(() => changes++);
    const sender = net.datagramSocket('a');
    sender.sendTo(Buffer.from('1'), { address: '10.0.0.2', port: 9000 });
    sender.sendTo(Buffer.from('2'), { address: '10.0.0.2', port: 9000 });
    transport.completeAll();
    expect(changes).toBe(2);
    receiver.recvFrom(10);
    expect(changes).toBe(2);
    receiver.recvFrom(10);
    expect(changes).toBe(3);
  });
});

describe('virtual nameserver', () => {
  function ask(name: string) {
    const { transport, net } = setup();
    const resolver = net.datagramSocket('a');
    const labels = name.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]);
    const query = Buffer.from([0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, TYPE_A, 0, 1]);
    resolver.sendTo(query, { address: net.addresses.nameserver, port: 53 });
    expect(transport.completeAll()).toBe(2);
    return { net, reply: received(resolver) };
  }

  it('answers an A query for a host name over UDP, from its own address', () => {
    const { net, reply } = ask('c');
    expect(reply.source).toEqual({ address: net.addresses.nameserver, port: 53 });
    expect(reply.data.readUInt16BE(0)).toBe(0xabcd);
    expect(reply.data.readUInt16BE(2) & 15).toBe(RCODE_NOERROR);
    expect([...reply.data.subarray(-4)]).toEqual([10, 0, 0, 3]);
  });

  it('answers A and AAAA queries sent together on a connected socket, as glibc sends them', () => {
    const { transport, net } = setup();
    const resolver = net.datagramSocket('a');
    expect(resolver.connect({ address: net.addresses.nameserver, port: 53 })).toBeUndefined();
    const query = (id: number, type: number) => Buffer.from([0, id, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x62, 0, 0, type, 0, 1]);
    resolver.sendTo(query(1, TYPE_A));
    resolver.sendTo(query(2, TYPE_AAAA));
    transport.completeAll();
    const a = received(resolver);
    const aaaa = received(resolver);
    expect([a.data.readUInt16BE(0), a.data.readUInt16BE(6), [...a.data.subarray(-4)]]).toEqual([1, 1, [10, 0, 0, 2]]);
    expect([aaaa.data.readUInt16BE(0), aaaa.data.readUInt16BE(2) & 15, aaaa.data.readUInt16BE(6)]).toEqual([2, RCODE_NOERROR, 1]);
    expect(aaaa.data.subarray(-16).toString('hex')).toBe('fd53696d74657270000000000a000002');
  });

  it('answers NXDOMAIN for a name no host has', () => {
    const { reply } = ask('example.org');
    expect(reply.data.readUInt16BE(2) & 15).toBe(RCODE_NXDOMAIN);
  });
});

describe('name lookup', () => {
  it('finds host names case-insensitively, with or without the trailing dot', () => {
    const net = new VirtualNetwork([{ name: 'Node-1', properties: {} }], new ManualTransport());
    expect(net.lookup('node-1')).toBe('10.0.0.1');
    expect(net.lookup('NODE-1.')).toBe('10.0.0.1');
    expect(net.lookup('node-2')).toBeUndefined();
  });
});
