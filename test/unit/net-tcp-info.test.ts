import { describe, expect, it } from 'vitest';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import { SHUT_WR } from '../../src/net/stream.js';
import { connectionState, TcpState } from '../../src/net/tcp-info.js';
import { connectionFromA } from '../helpers/tcp-connections.js';

// TCP_INFO's state of a connection as its FINs go, following Linux's state
// machine (RFC 793's, with tcp_done closing a socket whose FINs are both
// through). The states a loopback shows long enough to be read are compared
// with Linux itself in test/apps/tcp_info.c; these are the fleeting ones.

const HOSTS = ['a', 'b'].map((name) => ({ name, properties: {} }));

function connection() {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(HOSTS, transport);
  return { transport, ...connectionFromA(net, transport, { host: 'b', address: '10.0.0.2' }, 5000) };
}

describe('TCP_INFO state', () => {
  it('closing first: FIN_WAIT1 until the FIN is through, FIN_WAIT2, then CLOSE once the peer, in CLOSE_WAIT, shuts too (LAST_ACK until its FIN is through)', () => {
    const { transport, client, child } = connection();
    expect(client.shutdown(SHUT_WR)).toBeUndefined();
    expect(client.tcpInfo().state).toBe(TcpState.FIN_WAIT1);
    transport.completeAll();
    expect([client.tcpInfo().state, child.tcpInfo().state]).toEqual([TcpState.FIN_WAIT2, TcpState.CLOSE_WAIT]);
    expect(child.shutdown(SHUT_WR)).toBeUndefined();
    expect(child.tcpInfo().state).toBe(TcpState.LAST_ACK);
    transport.completeAll();
    expect([client.tcpInfo().state, child.tcpInfo().state]).toEqual([TcpState.CLOSE, TcpState.CLOSE]);
  });

  it('both ends shutting before either FIN arrives: CLOSING until the FINs are through', () => {
    expect(connectionState({ reset: false, writeShut: true, shutAfterPeerFin: false, ourFinArrived: false, peerFinArrived: true })).toBe(TcpState.CLOSING);
    const { transport, client, child } = connection();
    client.shutdown(SHUT_WR);
    child.shutdown(SHUT_WR);
    expect([client.tcpInfo().state, child.tcpInfo().state]).toEqual([TcpState.FIN_WAIT1, TcpState.FIN_WAIT1]);
    transport.completeAll();
    expect([client.tcpInfo().state, child.tcpInfo().state]).toEqual([TcpState.CLOSE, TcpState.CLOSE]);
  });

  it('a connection reset or with its RST sent is CLOSE', () => {
    expect(connectionState({ reset: true, writeShut: false, shutAfterPeerFin: false, ourFinArrived: false, peerFinArrived: false })).toBe(TcpState.CLOSE);
  });
});

describe('the send queue (SIOCOUTQ, SIOCOUTQNSD, /proc/net/tcp tx_queue)', () => {
  it('holds what was written until acknowledged, and what the window has not let go yet as unsent', () => {
    const { transport, client, child } = connection();
    const written = 20 * 1448;
    expect(client.send(Buffer.alloc(written, 1))).toBe(written);
    // The initial window lets 10 segments go: the other 10 wait, unsent.
    expect([client.unacknowledged(), client.unsent()]).toEqual([written, 10 * 1448]);
    transport.completeAll();
    expect([client.unacknowledged(), client.unsent(), child.available()]).toEqual([0, 0, written]);
  });
});
