import { describe, expect, it } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import { CongestionWindow } from '../../src/net/tcp/congestion.js';
import { DropTailQueue, QUEUE_SLACK_FRAMES } from '../../src/net/tcp/drop-tail.js';
import { HyStart } from '../../src/net/tcp/hystart.js';
import { LossRecovery, MIN_RTO_SECONDS, RetransmitTimeout } from '../../src/net/tcp/loss-recovery.js';
import { InTransit, Reassembly } from '../../src/net/tcp/reassembly.js';
import { congestionOf, connectionFromA } from '../helpers/tcp-connections.js';
import { IPV4_SEGMENTS, wireBytes as wireBytesOver } from '../../src/net/wire.js';

// IPv4 connections: their segment sizes.
const MSS = IPV4_SEGMENTS.mss;
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);

const FRAME = wireBytes(MSS);

describe('the drop-tail queue in front of a bottleneck', () => {
  it('holds one bandwidth-delay product of the round trip plus 100 frames, beyond what the latency holds', () => {
    // 10 MB/s and 10 ms: 100 kB on their way, and 130 + 100 frames waiting, as link-emulator holds.
    const queue = new DropTailQueue({ bytesPerSecond: 10e6, routeLatency: 0.01, lookPeriod: 0 });
    expect(queue.limit).toBe(100e3 + (Math.floor(200e3 / FRAME) + QUEUE_SLACK_FRAMES) * FRAME);
  });

  it("holds at least what the link carries in two look periods, the granularity of the model's ACK clock", () => {
    // 100 Gbit/s without latency: 100 frames are 12 µs of it; looks come every 100 µs.
    const queue = new DropTailQueue({ bytesPerSecond: 12.5e9, routeLatency: 0, lookPeriod: 100e-6 });
    expect(queue.limit).toBe(2 * 12.5e9 * 100e-6);
  });

  it('drops the tail of a burst it has no room for, and takes segments again once bytes have crossed', () => {
    const queue = new DropTailQueue({ bytesPerSecond: 10e6, routeLatency: 0.01, lookPeriod: 0 });
    const room = Math.floor(queue.limit / FRAME);
    expect(queue.admit(room - 2, FRAME)).toBe(room - 2);
    expect(queue.admit(5, FRAME)).toBe(2);
    expect(queue.admit(1, FRAME)).toBe(0);
    queue.leave(3 * FRAME);
    expect(queue.admit(5, FRAME)).toBe(3);
  });

  it('takes a burst ending in a short segment whole when that segment fits', () => {
    const queue = new DropTailQueue({ bytesPerSecond: 1e6, routeLatency: 0.01, lookPeriod: 0 });
    const room = Math.floor(queue.limit / FRAME);
    const spare = queue.limit - room * FRAME; // what is left once `room` full frames are in
    expect(queue.admit(room - 1, FRAME)).toBe(room - 1);
    expect(queue.admit(2, FRAME, spare + 1)).toBe(1);
    queue.leave(FRAME);
    expect(queue.admit(2, FRAME, spare)).toBe(2);
    expect(queue.occupancy).toBe(queue.limit);
  });

  it('is shared by the connections whose routes narrow at the same link', () => {
    const transport = new ManualTransport();
    const bottleneck = SLACK_ONLY;
    transport.bottleneckOfRoutes = bottleneck;
    const net = new VirtualNetwork(HOSTS, transport);
    const first = connection(net, transport, 5000);
    const second = connection(net, transport, 5001);
    const room = Math.floor(new DropTailQueue(bottleneck).limit / FRAME);
    // Both send with their windows forced open: the queue admits `room` frames in all, the second's last two dropped.
    sendSegments(first.client, room - 1);
    sendSegments(second.client, 3);
    transport.advance(SERVED_SECONDS); // the queue serves every flight it took
    const carried = transport.pending.filter((t) => t.srcHost === 'a').reduce((sum, t) => sum + t.bytes, 0);
    expect(carried).toBe(room * FRAME);
  });
});

/** A link without latency, whose queue's room is its 100 frames of slack, and which serves them in well under a millisecond. */
const SLACK_ONLY = { link: 'link_UP', bytesPerSecond: 1e9, routeLatency: 0, lookPeriod: 0 };
/** Long enough for SLACK_ONLY's queue to serve all it holds, short of any retransmission timer. */
const SERVED_SECONDS = 0.001;

const HOSTS = ['a', 'b'].map((name) => ({ name, properties: {} }));
const B = '10.0.0.2';

/** A connection from a to b (port `port`), handshake done, TCP_NODELAY on the client. */
function connection(net: VirtualNetwork, transport: ManualTransport, port: number): { client: StreamSocket; child: StreamSocket } {
  return connectionFromA(net, transport, { host: 'b', address: B }, port);
}

/** Writes `segments` full segments, one write each, with the congestion window forced open. */
function sendSegments(socket: StreamSocket, segments: number): void {
  congestionOf(socket).bytes = 10_000 * MSS;
  for (let i = 0; i < segments; i++) expect(socket.send(Buffer.alloc(MSS, 1))).toBe(MSS);
}

describe('what the receiver holds (Reassembly) and what is under way (InTransit)', () => {
  it('makes bytes readable in order only, holds those past a hole, and reports them as SACK blocks', () => {
    const received = new Reassembly();
    expect(received.receive(0, 100)).toBe(100);
    expect(received.receive(200, 300)).toBe(0);
    expect(received.receive(400, 500)).toBe(0);
    expect(received.sackBlocks()).toEqual([
      [200, 300],
      [400, 500],
    ]);
    expect(received.receive(100, 200)).toBe(200);
    expect(received.inOrderUpTo).toBe(300);
    expect(received.receive(250, 450)).toBe(200);
    expect(received.hasHoles).toBe(false);
    expect(received.receive(0, 500)).toBe(0);
  });

  it('lands what crosses as the lowest bytes under way, whichever flight carried them; a retransmission fills its hole first', () => {
    const underWay = new InTransit();
    underWay.add(0, 100);
    underWay.add(200, 300);
    expect(underWay.take(150)).toEqual([
      [0, 100],
      [200, 250],
    ]);
    underWay.add(100, 200);
    expect(underWay.take(100)).toEqual([[100, 200]]);
    expect(underWay.take(100)).toEqual([[250, 300]]);
  });
});

describe('losses found by SACK (RFC 6675) and the retransmission timer (RFC 6298)', () => {
  it('deems a hole lost once more than two segments above it are SACKed, retransmits it once, and recovers once per window', () => {
    const recovery = new LossRecovery(MSS);
    const hole = [10 * MSS, 12 * MSS] as const;
    let verdict = recovery.onAck(10 * MSS, [[12 * MSS, 14 * MSS]], 40 * MSS);
    expect(verdict.lost).toEqual([]);
    verdict = recovery.onAck(10 * MSS, [[12 * MSS, 15 * MSS]], 40 * MSS);
    expect(verdict).toEqual({ lost: [hole], enteredRecovery: true });
    expect(recovery.sackedBytes).toBe(3 * MSS);
    // Later ACKs neither retransmit it again nor reduce the window again; a new hole above is retransmitted.
    verdict = recovery.onAck(
      10 * MSS,
      [
        [12 * MSS, 20 * MSS],
        [21 * MSS, 25 * MSS],
      ],
      44 * MSS,
    );
    expect(verdict).toEqual({ lost: [[20 * MSS, 21 * MSS]], enteredRecovery: false });
    // Everything sent before recovery began acknowledged: the next loss is a new congestion event.
    recovery.onAck(40 * MSS, [], 50 * MSS);
    expect(recovery.inRecovery).toBe(false);
    verdict = recovery.onAck(40 * MSS, [[41 * MSS, 45 * MSS]], 50 * MSS);
    expect(verdict.enteredRecovery).toBe(true);
  });

  it('on a timeout, retransmits from the cumulative ACK to the first SACKed byte (or to what was sent: a tail loss)', () => {
    const recovery = new LossRecovery(MSS);
    expect(recovery.timedOut(5 * MSS, 9 * MSS)).toEqual([5 * MSS, 9 * MSS]);
    recovery.onAck(5 * MSS, [[7 * MSS, 8 * MSS]], 9 * MSS);
    expect(recovery.timedOut(5 * MSS, 9 * MSS)).toEqual([5 * MSS, 7 * MSS]);
  });

  it('times out after SRTT plus at least 200 ms (Linux), 1 s before any measurement, doubling at each expiry', () => {
    const timeout = new RetransmitTimeout();
    expect(timeout.seconds).toBe(1);
    timeout.sample(0.02);
    expect(timeout.seconds).toBeCloseTo(0.02 + MIN_RTO_SECONDS, 9);
    timeout.sample(0.02);
    timeout.expired();
    timeout.expired();
    expect(timeout.seconds).toBeCloseTo(4 * (0.02 + MIN_RTO_SECONDS), 9);
    timeout.sample(0.5);
    // RTTVAR = 3/4 × 0.0075 + 1/4 × 0.48 ≈ 0.126: four of it exceed the floor.
    const rttvar = 0.75 * (0.75 * 0.01 + 0.25 * 0) + 0.25 * Math.abs(0.02 - 0.5);
    const srtt = 0.875 * 0.02 + 0.125 * 0.5;
    expect(timeout.seconds).toBeCloseTo(srtt + 4 * rttvar, 9);
  });
});

describe("CUBIC's reaction to a loss (RFC 9438, 4.6 to 4.8)", () => {
  it('drops the window to 0.7 of itself, then grows back to W_max in K seconds', () => {
    const window = new CongestionWindow(MSS);
    window.bytes = 100 * MSS;
    window.onAck(MSS, 0.1, 0, false); // a round trip measured: 100 ms
    window.onLoss();
    expect(window.bytes / MSS).toBeCloseTo(70, 9);
    expect(window.inSlowStart).toBe(false);
    const k = Math.cbrt((100 - 70) / 0.4);
    // The epoch starts at the first growth (t = 5 s); K seconds later the target is W_max.
    window.onAck(MSS, 0.1, 5, true);
    window.onAck(MSS, 0.1, 5 + k - 0.1, true);
    const cwnd = window.bytes / MSS;
    // One ACK of one segment moves it 1/cwnd of the way to W_cubic(t + RTT) = W_max.
    expect(cwnd).toBeGreaterThan(70);
    expect(cwnd).toBeLessThan(71);
  });

  it('remembers less than the window when it had not regained the last W_max (fast convergence)', () => {
    const window = new CongestionWindow(MSS);
    window.bytes = 100 * MSS;
    window.onLoss(); // W_max 100, window 70
    window.onLoss(); // 70 < 100: W_max = 70 × 1.7 / 2 = 59.5, window 49
    expect(window.bytes / MSS).toBeCloseTo(49, 9);
    const k = Math.cbrt((59.5 - 49) / 0.4);
    window.onAck(MSS, 0.1, 1, true);
    // At t = K - RTT the target is W_max: W_cubic(K) = 59.5.
    const before = window.bytes / MSS;
    window.onAck(MSS, 0.1, 1 + k - 0.1, true);
    expect(window.bytes / MSS - before).toBeCloseTo((59.5 - before) / before, 6);
  });

  it('after a timeout, restarts from one segment in slow start up to the threshold the loss set', () => {
    const window = new CongestionWindow(MSS);
    window.bytes = 100 * MSS;
    window.onTimeout();
    expect(window.bytes).toBe(MSS);
    expect(window.inSlowStart).toBe(true);
    window.onAck(100 * MSS, 0.1, 1, true);
    expect(window.bytes / MSS).toBeCloseTo(70, 9);
    expect(window.inSlowStart).toBe(false);
  });
});

describe("Linux's HyStart: the ends of slow start before a loss", () => {
  it("ends it when a round's closely spaced ACKs outlast half the smallest round trip", () => {
    const hystart = new HyStart();
    hystart.startRound(0);
    // ACKs every 1 ms for a 20 ms path with a 100-segment window: past (20 + 1) / 2 ms the train is long enough.
    let ended = -1;
    for (let ms = 1; ms <= 12 && ended < 0; ms++) if (hystart.onAck(ms / 1000, 0.02, 0.02, 100 * MSS, 100)) ended = ms;
    expect(ended).toBe(11);
  });

  it('not before the train is made of 8 ACKs: the batches of a look each, on a route of a look or two, say nothing of the path', () => {
    const hystart = new HyStart();
    hystart.startRound(0);
    // ACKs 2 ms apart: past 10.5 ms from the 6th on, but a train only at the 8th.
    const verdicts = Array.from({ length: 8 }, (_, i) => hystart.onAck(0.002 * (i + 1), 0.02, 0.02, 100 * MSS, 100));
    expect(verdicts).toEqual([false, false, false, false, false, false, false, true]);
  });

  it('not when a gap of more than 2 ms breaks the train, nor below 16 segments', () => {
    const hystart = new HyStart();
    hystart.startRound(0);
    expect(hystart.onAck(0.003, 0.02, 0.02, 100 * MSS, 100)).toBe(false);
    for (let ms = 4; ms <= 15; ms++) expect(hystart.onAck(ms / 1000, 0.02, 0.02, 100 * MSS, 100)).toBe(false);
    const small = new HyStart();
    small.startRound(0);
    for (let ms = 1; ms <= 15; ms++) expect(small.onAck(ms / 1000, 0.02, 0.02, 15 * MSS, 15)).toBe(false);
  });

  it('ends it when, after 8 samples, the round trips of a round exceed the smallest by an eighth of it (4 ms at least)', () => {
    const hystart = new HyStart();
    hystart.startRound(0);
    // Samples 5 ms apart (no train), each 4.5 ms over a 20 ms minimum: an eighth is 2.5 ms, the floor 4 ms.
    const verdicts = Array.from({ length: 9 }, (_, i) => hystart.onAck(0.005 * (i + 1), 0.0245, 0.02, 100 * MSS, 100));
    expect(verdicts).toEqual([false, false, false, false, false, false, false, false, true]);
    const below = new HyStart();
    below.startRound(0);
    for (let i = 0; i < 12; i++) expect(below.onAck(0.005 * (i + 1), 0.0239, 0.02, 100 * MSS, 100)).toBe(false);
  });

  it("counts a batch of ACKs as the real receiver's, one per segment: the batch holding the 9th is judged", () => {
    const hystart = new HyStart();
    hystart.startRound(0);
    // Batches of 4 segments 5 ms apart, 4.5 ms over the smallest round trip: the 9th ACK is in the third.
    const verdicts = Array.from({ length: 3 }, (_, i) => hystart.onAck(0.005 * (i + 1), 0.0245, 0.02, 100 * MSS, 100, 4));
    expect(verdicts).toEqual([false, false, true]);
  });

  it('so that a window acknowledged in batches leaves slow start 8 segments into the round, as one acknowledged segment by segment', () => {
    const exitWindow = (segmentsPerBatch: number) => {
      const window = new CongestionWindow(MSS);
      window.bytes = 80 * MSS;
      window.onAck(MSS, 0.02, 0, true);
      window.endRound(0);
      for (let at = 0.005; window.inSlowStart; at += 0.005) window.onAck(segmentsPerBatch * MSS, 0.0245, at, true);
      return Math.round(window.bytes / MSS);
    };
    expect(exitWindow(1)).toBe(89);
    expect(exitWindow(4)).toBe(89);
  });
});

describe('a connection losing segments at the bottleneck', () => {
  it('retransmits the hole once SACKs show it, and the reader gets every byte in order', () => {
    const transport = new ManualTransport();
    const bottleneck = SLACK_ONLY;
    transport.bottleneckOfRoutes = bottleneck;
    const net = new VirtualNetwork(HOSTS, transport);
    const { client, child } = connection(net, transport, 5000);
    const room = Math.floor(new DropTailQueue(bottleneck).limit / FRAME);
    expect(room).toBe(QUEUE_SLACK_FRAMES);
    const payload = Buffer.from(Array.from({ length: (room + 6) * MSS }, (_, i) => i % 251));
    congestionOf(client).bytes = 1000 * MSS;
    expect(client.send(payload.subarray(0, (room + 2) * MSS))).toBe((room + 2) * MSS);
    // One flight: its last two segments find the queue full.
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: room * FRAME }]);
    transport.completeRound(); // they cross: the receiver acknowledges them
    transport.completeRound(); // the ACK frees the queue: four more segments go, past the hole
    expect(client.send(payload.subarray((room + 2) * MSS))).toBe(4 * MSS);
    transport.advance(SERVED_SECONDS); // they wait for the first flight to be through the link
    transport.completeAll(); // the receiver SACKs them, the sender retransmits the hole, which fills
    expect(child.available()).toBe(payload.length);
    const read = child.recv(payload.length);
    expect(read instanceof SocketError ? read.code : read.equals(payload)).toBe(true);
    expect(congestionOf(client).bytes).toBeLessThan(1000 * MSS);
    // TCP_INFO counts the two segments sent again, in the bytes sent too; the receiver got each byte once.
    const info = client.tcpInfo();
    expect([info.totalRetransmissions, info.bytesRetransmitted, info.bytesSent]).toEqual([2, BigInt(2 * MSS), BigInt(payload.length + 2 * MSS)]);
    expect([info.bytesAcked, info.unacked, info.caState]).toEqual([BigInt(payload.length + 1), 0, 0]);
    expect(child.tcpInfo().bytesReceived).toBe(BigInt(payload.length));
  });

  it('retransmits a tail loss, which nothing above can show, when the retransmission timer expires', () => {
    const transport = new ManualTransport();
    const bottleneck = SLACK_ONLY;
    transport.bottleneckOfRoutes = bottleneck;
    const net = new VirtualNetwork(HOSTS, transport);
    const { client, child } = connection(net, transport, 5000);
    const room = Math.floor(new DropTailQueue(bottleneck).limit / FRAME);
    congestionOf(client).bytes = 1000 * MSS;
    expect(client.send(Buffer.alloc((room + 2) * MSS, 7))).toBe((room + 2) * MSS);
    transport.completeAll();
    expect(child.available()).toBe(room * MSS);
    expect(transport.pending).toEqual([]);
    // One round trip measured (0 s here): the timeout is Linux's floor, 200 ms.
    transport.advance(MIN_RTO_SECONDS - 0.001);
    expect(transport.pending).toEqual([]);
    transport.advance(0.002);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 2 * FRAME }]);
    transport.completeAll();
    expect(child.available()).toBe((room + 2) * MSS);
    expect(congestionOf(client).bytes).toBe(MSS);
    // TCP_INFO: one segment of window, the threshold the loss set (0.7 of the window, in segments), the two segments retransmitted.
    const info = client.tcpInfo();
    expect([info.sendCongestionWindow, info.sendSlowStartThreshold, info.totalRetransmissions]).toEqual([1, 700, 2]);
  });
});
