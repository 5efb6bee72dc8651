import { describe, expect, it } from 'vitest';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import { CongestionWindow, INITIAL_WINDOW_SEGMENTS } from '../../src/net/tcp/congestion.js';
import { AckPolicy, DELAYED_ACK_SECONDS } from '../../src/net/tcp/delayed-ack.js';
import { bytesToSend, type HoldRules, largestBurst } from '../../src/net/tcp/send-policy.js';
import { CORK_CEILING_SECONDS } from '../../src/net/tcp-direction.js';
import {
  IPV4_SEGMENTS,
  IPV6_SEGMENTS,
  controlSegmentWireBytes,
  datagramSizesToward,
  datagramWireBytes,
  IPV4_DATAGRAMS,
  IPV6_DATAGRAMS,
  segmentSizesToward,
  wireBytes as wireBytesOver,
} from '../../src/net/wire.js';

// IPv4 connections: their segment sizes.
const MSS = IPV4_SEGMENTS.mss;
const CONTROL_SEGMENT_WIRE_BYTES = controlSegmentWireBytes(IPV4_SEGMENTS);
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);

describe('what segments cost on the wire', () => {
  it('a full segment is 1538 bytes for 1448 of payload: 52 of headers and 38 of Ethernet framing', () => {
    expect(MSS).toBe(1448);
    expect(wireBytes(MSS)).toBe(1538);
    expect(wireBytes(MSS + 1)).toBe(MSS + 1 + 2 * 90);
    expect(wireBytes(0)).toBe(CONTROL_SEGMENT_WIRE_BYTES);
    expect(CONTROL_SEGMENT_WIRE_BYTES).toBe(90);
  });

  it('an IPv6 segment carries 1428 bytes under 72 of headers: the same 1538-byte frame; an IPv4 address (an IPv4-mapped peer too) keeps IPv4 sizes', () => {
    expect(wireBytesOver(1428, IPV6_SEGMENTS)).toBe(1538);
    expect(wireBytesOver(1429, IPV6_SEGMENTS)).toBe(1429 + 2 * 110);
    expect(controlSegmentWireBytes(IPV6_SEGMENTS)).toBe(110);
    expect(segmentSizesToward('fd00::1')).toBe(IPV6_SEGMENTS);
    expect(segmentSizesToward('::1')).toBe(IPV6_SEGMENTS);
    expect(segmentSizesToward('10.0.0.1')).toBe(IPV4_SEGMENTS);
  });

  it('a datagram filling the MTU is one frame; a larger one pays a header and framing per IPv4 fragment', () => {
    expect(datagramWireBytes(1472)).toBe(1500 + 38);
    expect(datagramWireBytes(1473)).toBe(1473 + 28 + 20 + 2 * 38);
  });

  it("over IPv6, a datagram pays IPv6's 40 bytes of header: 1452 of payload fill the MTU, a larger one pays 48 bytes of headers and framing per 1448-byte fragment", () => {
    expect(datagramWireBytes(1452, IPV6_DATAGRAMS)).toBe(1500 + 38);
    expect(datagramWireBytes(1453, IPV6_DATAGRAMS)).toBe(1453 + 8 + 2 * (48 + 38));
    expect(datagramWireBytes(65527, IPV6_DATAGRAMS)).toBe(65535 + 46 * (48 + 38));
    expect(datagramWireBytes(65507, IPV4_DATAGRAMS)).toBe(65515 + 45 * (20 + 38));
    expect(datagramSizesToward('::1')).toBe(IPV6_DATAGRAMS);
    expect(datagramSizesToward('10.0.0.1')).toBe(IPV4_DATAGRAMS);
  });
});

/** A window of 20 segments that left slow start at date 0: a round trip of 100 ms, then a round of 8 + 1 of 113 ms. */
function leftSlowStartAtTwentySegments(): CongestionWindow {
  const window = new CongestionWindow(MSS);
  window.bytes = 20 * MSS;
  window.onAck(0, 0.1, 0, false);
  window.endRound(0);
  for (let sample = 0; sample < 9; sample++) window.onAck(0, 0.113, 0, true);
  expect(window.inSlowStart).toBe(false);
  return window;
}

describe('the congestion window (RFC 5681, RFC 6928, RFC 9438, RFC 9406)', () => {
  it('starts at 10 segments and grows by every byte acknowledged in slow start', () => {
    const window = new CongestionWindow(MSS);
    expect(window.bytes).toBe(INITIAL_WINDOW_SEGMENTS * MSS);
    window.onAck(4 * MSS, 0.02, 0.02, true);
    expect(window.bytes).toBe(14 * MSS);
    expect(window.inSlowStart).toBe(true);
  });

  it('does not grow while something else than the window holds the sender back', () => {
    const window = new CongestionWindow(MSS);
    window.onAck(4 * MSS, 0.02, 0.02, false);
    expect(window.bytes).toBe(10 * MSS);
  });

  it("leaves slow start as Linux's HyStart ends it, from 16 segments on: here once a round's round trips exceed the smallest by an eighth", () => {
    const grown = (segments: number, rtt: number) => {
      const window = new CongestionWindow(MSS);
      window.bytes = segments * MSS;
      window.onAck(0, 0.1, 0, false);
      window.endRound(0);
      // Samples 5 ms apart: no ACK train.
      for (let sample = 1; sample <= 9; sample++) window.onAck(0, rtt, 0.005 * sample, false);
      return window.inSlowStart;
    };
    expect(grown(16, 0.1124)).toBe(true); // 12.4 ms more: under 100 ms / 8
    expect(grown(16, 0.1126)).toBe(false);
    expect(grown(15, 0.2)).toBe(true); // below 16 segments
  });

  it('then grows as CUBIC from the window it left slow start with: W_cubic(t + RTT), at most 1.5 times per window', () => {
    const window = leftSlowStartAtTwentySegments();
    const wMax = window.bytes / MSS;
    expect(wMax).toBe(20);
    // One acknowledgment of one segment at t = 2 s: the target is W_cubic(2.1) = 0.4 × 2.1³ + 20.
    window.onAck(MSS, 0.1, 2, true);
    const target = 0.4 * 2.1 ** 3 + wMax;
    expect(window.bytes / MSS).toBeCloseTo(wMax + (target - wMax) / wMax, 9);
  });

  it('grows no slower than its Reno-friendly estimate (RFC 9438, 4.3)', () => {
    const window = leftSlowStartAtTwentySegments();
    // Early in the epoch W_cubic is flat. The estimate starts at W_max (no reduction), so it grows as Reno
    // does (alpha is 1 from W_max on): one segment per window's worth of ACKs.
    window.onAck(20 * MSS, 0.1, 0.001, true);
    expect(window.bytes / MSS).toBeCloseTo(21, 9);
  });
});

describe("when a partial segment may go (Nagle's algorithm, TCP_CORK, MSG_MORE)", () => {
  const nagle: HoldRules = { noDelay: false, corked: false, pushAll: false, ackDue: true };

  it('sends a small write at once when nothing is in flight', () => {
    expect(bytesToSend(100, 1e6, 1e6, 0, false, nagle, MSS)).toBe(100);
  });

  it("holds a partial segment while a partial segment sent is unacknowledged (Minshall's variant, as Linux)", () => {
    expect(bytesToSend(60, 1e6, 1e6, 40, true, nagle, MSS)).toBe(0);
    expect(bytesToSend(MSS + 60, 1e6, 1e6, 40, true, nagle, MSS)).toBe(MSS);
    // Only full segments in flight: the partial one goes.
    expect(bytesToSend(60, 1e6, 1e6, 10 * MSS, false, nagle, MSS)).toBe(60);
  });

  it('sends it at once with TCP_NODELAY, and everything once the FIN follows', () => {
    expect(bytesToSend(60, 1e6, 1e6, 40, true, { ...nagle, noDelay: true }, MSS)).toBe(60);
    expect(bytesToSend(60, 1e6, 1e6, 40, true, { ...nagle, corked: true, pushAll: true }, MSS)).toBe(60);
  });

  it('holds a partial segment while corked, even with nothing in flight and TCP_NODELAY', () => {
    expect(bytesToSend(3 * MSS + 7, 1e6, 1e6, 0, false, { noDelay: true, corked: true, pushAll: false, ackDue: true }, MSS)).toBe(3 * MSS);
  });

  it('sends whole segments only while more waits than the windows allow, unless they are smaller than a segment with nothing in flight', () => {
    expect(bytesToSend(10 * MSS, 3 * MSS + 100, 1e6, 0, false, nagle, MSS)).toBe(3 * MSS);
    expect(bytesToSend(10 * MSS, 300, 1e6, 0, false, nagle, MSS)).toBe(300);
    expect(bytesToSend(10 * MSS, 300, 1e6, MSS, false, nagle, MSS)).toBe(0);
  });

  it('with an ACK due soon, waits for a window opening worth a burst: a third of the window, or 64 KiB (TSO deferral)', () => {
    const window = 30 * MSS;
    expect(bytesToSend(100 * MSS, 9 * MSS, window, 21 * MSS, false, { ...nagle, ackDue: false }, MSS)).toBe(9 * MSS);
    expect(bytesToSend(100 * MSS, 9 * MSS, window, 21 * MSS, false, nagle, MSS)).toBe(0);
    expect(bytesToSend(100 * MSS, 10 * MSS, window, 20 * MSS, false, nagle, MSS)).toBe(10 * MSS);
    expect(bytesToSend(1000 * MSS, 44 * MSS, 1000 * MSS, 900 * MSS, false, nagle, MSS)).toBe(44 * MSS);
    expect(bytesToSend(1000 * MSS, 43 * MSS, 1000 * MSS, 900 * MSS, false, nagle, MSS)).toBe(0);
  });

  it("takes a burst to be what Linux's autosizing hands the NIC: about a millisecond at the pacing rate, 2 to 44 segments", () => {
    // 150 segments per 21 ms round trip, paced at 1.2 times that: 12.4 MB/s, 12.1 kB in 2^-10 s.
    const paced = largestBurst((1.2 * 150 * MSS) / 0.021, MSS);
    expect(paced).toBe(8 * MSS);
    expect(largestBurst(100e3, MSS)).toBe(2 * MSS);
    expect(largestBurst(1e9, MSS)).toBe(44 * MSS);
    expect(bytesToSend(1000 * MSS, 8 * MSS, 150 * MSS, 142 * MSS, false, nagle, MSS, paced)).toBe(8 * MSS);
    expect(bytesToSend(1000 * MSS, 7 * MSS, 150 * MSS, 143 * MSS, false, nagle, MSS, paced)).toBe(0);
  });
});

describe('when a receiver acknowledges (delayed ACKs, quick-ack and interactive modes)', () => {
  it('acknowledges the first segments of a connection at once (quick-ack), then delays a lone short one of an interactive connection', () => {
    const policy = new AckPolicy(MSS);
    expect(policy.arrived(100, 0, 1 << 20)).toBe(true);
    policy.acknowledged();
    policy.replying(0.001); // answered within 40 ms: interactive
    expect(policy.arrived(40, 0.02, 1 << 20)).toBe(false);
    expect(policy.afterRead(0)).toBe(false); // an interactive receiver waits for its reply or the timer
    policy.timerFired();
    policy.acknowledged();
    expect(policy.arrived(60, 0.08, 1 << 20)).toBe(true); // the timer ended interactive mode
  });

  it('acknowledges more than one full segment at once, whatever the mode', () => {
    const policy = new AckPolicy(MSS);
    policy.arrived(100, 0, 1 << 20);
    policy.acknowledged();
    policy.replying(0);
    expect(policy.arrived(MSS, 0.01, 1 << 20)).toBe(false);
    expect(policy.arrived(MSS, 0.01, 1 << 20)).toBe(true);
  });

  it('after the quick acknowledgments, a short segment is acknowledged when the application has read everything', () => {
    const policy = new AckPolicy(MSS);
    const window = 4 * MSS; // quick-ack for half the window in segments: 2
    expect(policy.arrived(10, 0, window)).toBe(true);
    policy.acknowledged();
    expect(policy.arrived(10, 0.1, window)).toBe(true);
    policy.acknowledged();
    expect(policy.arrived(10, 0.2, window)).toBe(false);
    expect(policy.afterRead(5)).toBe(false);
    expect(policy.afterRead(0)).toBe(true);
  });
});

const hosts = ['a', 'b'].map((name) => ({ name, properties: {} }));

/** A connection from a to b whose handshake is done, with its server side accepted. */
function connection() {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(hosts, transport);
  const server = net.streamSocket('b');
  server.bind({ address: '0.0.0.0', port: 80 });
  server.listen(1);
  const client = net.streamSocket('a');
  client.connect({ address: '10.0.0.2', port: 80 });
  transport.completeAll();
  const child = server.accept() as StreamSocket;
  return { transport, client, child };
}

/** Payload bytes of the data flights under way from a to b. */
const dataUnderWay = (transport: ManualTransport) =>
  transport.pending.filter((t) => t.srcHost === 'a' && t.bytes !== CONTROL_SEGMENT_WIRE_BYTES).map((t) => t.bytes);

describe('a request written in two pieces, as Linux times it', () => {
  /** One 100-byte exchange, so that both ends are past the connection's start and the server is interactive. */
  function afterOneExchange() {
    const { transport, client, child } = connection();
    client.send(Buffer.alloc(100));
    transport.completeAll();
    child.recv(100);
    child.send(Buffer.alloc(100));
    transport.completeAll();
    client.recv(100);
    return { transport, client, child };
  }

  it("without TCP_NODELAY, the second piece waits for the first one's delayed ACK", () => {
    const { transport, client, child } = afterOneExchange();
    client.send(Buffer.alloc(40));
    client.send(Buffer.alloc(60));
    expect(dataUnderWay(transport)).toEqual([wireBytes(40)]);
    transport.completeAll();
    child.recv(100);
    expect(transport.pending).toEqual([]); // the server delays its ACK
    transport.advance(DELAYED_ACK_SECONDS - 1e-6);
    expect(transport.pending).toEqual([]);
    transport.advance(1e-6);
    expect(transport.pending).toEqual([{ srcHost: 'b', dstHost: 'a', bytes: CONTROL_SEGMENT_WIRE_BYTES }]);
    transport.completeRound();
    expect(dataUnderWay(transport)).toEqual([wireBytes(60)]);
  });

  it('with TCP_NODELAY, both pieces go at once', () => {
    const { transport, client } = afterOneExchange();
    client.noDelay = true;
    client.send(Buffer.alloc(40));
    client.send(Buffer.alloc(60));
    expect(dataUnderWay(transport)).toEqual([wireBytes(40), wireBytes(60)]);
  });

  it('an answer from the server carries the ACK with it, without waiting for the timer', () => {
    const { transport, client, child } = afterOneExchange();
    client.send(Buffer.alloc(40));
    client.send(Buffer.alloc(60));
    transport.completeAll();
    child.send(Buffer.from('early'));
    expect(transport.pending.filter((t) => t.srcHost === 'b').map((t) => t.bytes)).toEqual([CONTROL_SEGMENT_WIRE_BYTES, wireBytes(5)]);
  });
});

describe('TCP_CORK and MSG_MORE', () => {
  it('corked, partial segments wait until uncorked', () => {
    const { transport, client } = connection();
    client.cork = true;
    client.send(Buffer.alloc(MSS + 10));
    expect(dataUnderWay(transport)).toEqual([wireBytes(MSS)]);
    client.send(Buffer.alloc(MSS - 10));
    expect(dataUnderWay(transport)).toEqual([wireBytes(MSS), wireBytes(MSS)]);
    client.send(Buffer.alloc(5));
    client.cork = false;
    expect(dataUnderWay(transport)).toEqual([wireBytes(MSS), wireBytes(MSS), wireBytes(5)]);
  });

  it('corked data goes after 200 ms at most (tcp(7))', () => {
    const { transport, client } = connection();
    client.cork = true;
    client.send(Buffer.alloc(100));
    transport.advance(CORK_CEILING_SECONDS - 1e-6);
    expect(dataUnderWay(transport)).toEqual([]);
    transport.advance(1e-6);
    expect(dataUnderWay(transport)).toEqual([wireBytes(100)]);
  });

  it('a write with MSG_MORE holds its partial segment until the next write without it', () => {
    const { transport, client } = connection();
    client.noDelay = true;
    client.send(Buffer.alloc(30), true);
    expect(dataUnderWay(transport)).toEqual([]);
    client.send(Buffer.alloc(70));
    expect(dataUnderWay(transport)).toEqual([wireBytes(100)]);
  });
});
