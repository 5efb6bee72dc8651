import { describe, expect, it } from 'vitest';
import { FaultyTransport } from '../../src/faults/faulty-transport.js';
import { NetworkState } from '../../src/faults/network-state.js';
import { RTO_MIN, retransmissionSpan } from '../../src/faults/retransmission.js';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import { IPV4_SEGMENTS, controlSegmentWireBytes, wireBytes as wireBytesOver } from '../../src/net/wire.js';

// IPv4 connections: their segment sizes.
const MSS = IPV4_SEGMENTS.mss;
const CONTROL_SEGMENT_WIRE_BYTES = controlSegmentWireBytes(IPV4_SEGMENTS);
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);

const hosts = ['a', 'b'].map((name) => ({ name, properties: {} }));
const B = { address: '10.0.0.2', port: 80 };
const code = (result: unknown) => (result instanceof SocketError ? result.code : result);

function setup() {
  const manual = new ManualTransport();
  const state = new NetworkState(() => ['wire']);
  const net = new VirtualNetwork(hosts, new FaultyTransport(manual, state));
  const server = net.streamSocket('b');
  server.bind({ address: '0.0.0.0', port: 80 });
  server.listen(16);
  return { manual, state, net, server };
}

/** A connection from a to b, its handshake run to the end. */
function connect(setupResult: ReturnType<typeof setup>) {
  const { manual, net, server } = setupResult;
  const client = net.streamSocket('a');
  expect(code(client.connect(B))).toBe('EINPROGRESS');
  manual.completeAll();
  return { client, child: server.accept() as StreamSocket };
}

describe("Linux's retransmission limits", () => {
  it('are 924.6 s for tcp_retries2 = 15 and 127 s for tcp_syn_retries = 6', () => {
    expect(retransmissionSpan(15, 0.2)).toBeCloseTo(924.6, 9);
    expect(retransmissionSpan(6, 1)).toBe(127);
  });
});

describe('a host that is down', () => {
  it('lets a SYN to it go unanswered until connect gives up with ETIMEDOUT after 127 s', () => {
    const run = setup();
    run.state.setHost('b', false, 0);
    const client = run.net.streamSocket('a');
    expect(code(client.connect(B))).toBe('EINPROGRESS');
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(126.9);
    expect(client.connection()).toBe('connecting');
    run.manual.advance(0.2);
    expect(client.connection()).toBe('refused');
    expect(client.takeError()).toBe('ETIMEDOUT');
  });

  it('answers the first SYN retransmission after it is back (1, 3, 7 s...)', () => {
    const run = setup();
    run.state.setHost('b', false, 0);
    const client = run.net.streamSocket('a');
    client.connect(B);
    run.manual.advance(2);
    run.state.setHost('b', true, 2);
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(1);
    expect(run.manual.pending.length).toBe(1);
    run.manual.completeAll();
    expect(client.connection()).toBe('connected');
  });

  it("sends its peers nothing when it crashes, and answers an old connection's segment with RST once back", () => {
    const run = setup();
    const { client, child } = connect(run);
    run.state.setHost('b', false, 1);
    child.close();
    expect(run.manual.pending).toEqual([]);
    expect(code(client.send(Buffer.from('get k')))).toBe(5);
    expect(run.manual.pending).toEqual([]);
    // Retransmissions at 0.2, 0.6, 1.4, 3 and 6.2 s (an RTO of 0.2 s, doubling): the host is back at 4 s, the one at 6.2 s is answered.
    run.manual.advance(4);
    run.state.setHost('b', true, 4);
    run.manual.advance(2.1);
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(0.2);
    run.manual.completeAll();
    expect(code(client.recv(100))).toBe('ECONNRESET');
  });
});

describe('a link that is down', () => {
  it('stalls a stream, which resumes at the first retransmission after the link is back', () => {
    const run = setup();
    const { client, child } = connect(run);
    run.state.setLink('wire', false);
    client.send(Buffer.from('hello'));
    run.state.setLink('wire', true);
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(RTO_MIN - 1e-6);
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(2e-6);
    run.manual.completeAll();
    expect(child.recv(100).toString()).toBe('hello');
  });

  it('loses the segments crossing it when it goes down, which arrive only with the retransmission after it is back', () => {
    const run = setup();
    const { client, child } = connect(run);
    client.send(Buffer.from('hello'));
    expect(run.manual.pending).toHaveLength(1);
    run.state.setLink('wire', false);
    expect(run.manual.pending).toEqual([]);
    run.state.setLink('wire', true);
    run.manual.completeAll();
    expect(code(child.recv(100))).toBe('EAGAIN');
    // One RTO after the segment left, it goes again: what was under way when the link went down.
    run.manual.advance(RTO_MIN - 1e-6);
    expect(run.manual.pending).toEqual([]);
    run.manual.advance(2e-6);
    expect(run.manual.pending.map((transfer) => transfer.bytes)).toEqual([wireBytes(5)]);
    run.manual.completeAll();
    expect(child.recv(100).toString()).toBe('hello');
  });

  it('keeps what of a flight had crossed when it went down; the retransmission carries the rest', () => {
    const run = setup();
    const { client, child } = connect(run);
    const bytes = 8 * MSS;
    client.noDelay = true;
    client.send(Buffer.alloc(bytes, 7));
    const [flight] = run.manual.pending;
    // Three segments across, the link goes down under the fourth.
    run.manual.cross(0, 3.5 * wireBytes(MSS));
    run.manual.look();
    expect((child.recv(bytes) as Buffer).length).toBe(3 * MSS);
    run.state.setLink('wire', false);
    run.state.setLink('wire', true);
    run.manual.advance(RTO_MIN + 1e-6);
    // The rest of the flight, and the acknowledgment of the three segments, lost on its way back.
    expect(run.manual.pending.map((transfer) => transfer.bytes)).toEqual([flight!.bytes - 3.5 * wireBytes(MSS), CONTROL_SEGMENT_WIRE_BYTES]);
    run.manual.completeAll();
    expect((child.recv(bytes) as Buffer).length).toBe(5 * MSS);
  });

  it('times a stream out with ETIMEDOUT after 924.6 s, or at TCP_USER_TIMEOUT', () => {
    for (const [userTimeout, end] of [
      [0, 924.6],
      [5, 5],
    ] as const) {
      const run = setup();
      const { client } = connect(run);
      client.userTimeout = userTimeout;
      run.state.setLink('wire', false);
      client.send(Buffer.from('hello'));
      run.manual.advance(end - 1e-3);
      expect(code(client.recv(100))).toBe('EAGAIN');
      run.manual.advance(2e-3);
      expect(code(client.recv(100))).toBe('ETIMEDOUT');
      expect(code(client.send(Buffer.from('x')))).toBe('EPIPE');
    }
  });

  it('loses the datagrams that cross it, or are crossing it when it goes down; those sent after it is back arrive', () => {
    const run = setup();
    const receiver = run.net.datagramSocket('b');
    receiver.bind({ address: '0.0.0.0', port: 53 });
    const sender = run.net.datagramSocket('a');
    sender.sendTo(Buffer.from('under way'), { address: '10.0.0.2', port: 53 });
    run.state.setLink('wire', false);
    sender.sendTo(Buffer.from('lost'), { address: '10.0.0.2', port: 53 });
    run.state.setLink('wire', true);
    sender.sendTo(Buffer.from('kept'), { address: '10.0.0.2', port: 53 });
    run.manual.completeAll();
    const got = receiver.recvFrom(100);
    if (got instanceof SocketError) throw new Error(`no datagram: ${got.code}`);
    expect(got.data.toString()).toBe('kept');
    expect(code(receiver.recvFrom(100))).toBe('EAGAIN');
  });
});
