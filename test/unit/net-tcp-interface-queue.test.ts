import { describe, expect, it } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import { type Bottleneck, Bottlenecks, DropTailQueue } from '../../src/net/tcp/drop-tail.js';
import { MIN_RTO_SECONDS } from '../../src/net/tcp/loss-recovery.js';
import { congestionOf, connectionFromA } from '../helpers/tcp-connections.js';
import { IPV4_SEGMENTS, wireBytes as wireBytesOver } from '../../src/net/wire.js';

// Where a route's bottleneck is the sender's own first link, the queue in
// front of it is the sender's own interface queue: as Linux's TCP Small
// Queues and qdisc backpressure do, a full one holds the socket back rather
// than losing its segments (test/e2e/interface-queue.test.ts shows the real
// kernel doing so).

const MSS = IPV4_SEGMENTS.mss;
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);
const FRAME = wireBytes(MSS);

/** A link without latency whose queue holds its 100 frames of slack, served in well under a millisecond. */
const ROUTER_QUEUE: Bottleneck = { link: 'link_UP', bytesPerSecond: 1e9, routeLatency: 0, lookPeriod: 0 };
/** The same link as the first of its senders' routes. */
const INTERFACE_QUEUE: Bottleneck = { ...ROUTER_QUEUE, atSender: true };
/** Long enough for the link to serve everything its queue holds, far short of any retransmission timeout. */
const SERVED_SECONDS = 0.001;

const HOSTS = ['a', 'b', 'c', 'd'].map((name) => ({ name, properties: {} }));
const ADDRESS: Record<string, string> = { b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' };

/** Counts the comms host a starts (its flights, ACKs of the peers' data aside: they send none) and their wire bytes. */
class CountingTransport extends ManualTransport {
  flightsFromA = 0;
  wireFromA = 0;

  override start(srcHost: string, dstHost: string, bytes: number, payload: number, onDelivered: () => void): ReturnType<ManualTransport['start']> {
    if (srcHost === 'a' && payload > 0) {
      this.flightsFromA++;
      this.wireFromA += bytes;
    }
    return super.start(srcHost, dstHost, bytes, payload, onDelivered);
  }
}

/** A connection from a to `to` (port `port`), handshake done, TCP_NODELAY on the client. */
function connection(net: VirtualNetwork, transport: ManualTransport, to: string, port: number): { client: StreamSocket; child: StreamSocket } {
  return connectionFromA(net, transport, { host: to, address: ADDRESS[to]! }, port);
}

/** What the reader has after the link served and carried everything for `seconds` of virtual time, a millisecond at a time. */
function carryFor(transport: ManualTransport, seconds: number): void {
  for (let waited = 0; waited < seconds; waited += SERVED_SECONDS) {
    transport.advance(SERVED_SECONDS);
    transport.completeAll();
  }
}

describe("the queue at its senders' own interface", () => {
  it('tells its room, never drops what enters, and wakes the senders waiting for room once, in the order they came, when bytes leave', () => {
    const queue = new DropTailQueue(INTERFACE_QUEUE);
    expect(queue.atSender).toBe(true);
    expect(new DropTailQueue(ROUTER_QUEUE).atSender).toBe(false);
    expect(queue.room).toBe(queue.limit);
    queue.enter(queue.limit - FRAME);
    expect(queue.room).toBe(FRAME);
    const woken: string[] = [];
    queue.awaitRoom(() => woken.push('first'));
    queue.awaitRoom(() => woken.push('second'));
    // A retransmission, which the sender cannot hold back, enters past the limit.
    queue.enter(2 * FRAME);
    expect([queue.room, queue.occupancy]).toEqual([0, queue.limit + FRAME]);
    expect(woken).toEqual([]);
    queue.leave(FRAME);
    expect(woken).toEqual(['first', 'second']);
    queue.leave(FRAME);
    expect(woken).toEqual(['first', 'second']);
  });

  it("is apart from the router's queue in front of the same link, where it is further along other routes (a host's one link, shared both ways)", () => {
    const bottlenecks = new Bottlenecks();
    const atSender = bottlenecks.queueFor(INTERFACE_QUEUE);
    const further = bottlenecks.queueFor(ROUTER_QUEUE);
    expect(atSender).not.toBe(further);
    expect([atSender?.atSender, further?.atSender]).toEqual([true, false]);
    expect(bottlenecks.queueFor({ ...INTERFACE_QUEUE })).toBe(atSender);
    expect(bottlenecks.queueFor({ ...ROUTER_QUEUE })).toBe(further);
  });
});

describe('a sender whose own interface queue is full', () => {
  it('sends what the queue has room for and the rest once bytes leave it: nothing is lost, nothing waits for a timeout, the window stays open', () => {
    const transport = new ManualTransport();
    transport.bottleneckOfRoutes = INTERFACE_QUEUE;
    const net = new VirtualNetwork(HOSTS, transport);
    const { client, child } = connection(net, transport, 'b', 5000);
    const room = Math.floor(new DropTailQueue(INTERFACE_QUEUE).limit / FRAME);
    const payload = Buffer.from(Array.from({ length: (room + 40) * MSS }, (_, i) => i % 251));
    congestionOf(client).bytes = 1000 * MSS;
    expect(client.send(payload)).toBe(payload.length);
    // The windows let it all go; the queue takes `room` frames, and the rest waits in the socket.
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: room * FRAME }]);
    transport.completeRound(); // they cross and leave the queue: the 40 segments left go
    transport.advance(SERVED_SECONDS);
    expect(transport.pending.filter((t) => t.srcHost === 'a')).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 40 * FRAME }]);
    transport.completeAll();
    expect(child.available()).toBe(payload.length);
    const read = child.recv(payload.length);
    expect(read instanceof SocketError ? read.code : read.equals(payload)).toBe(true);
    // No hole to retransmit, no timer to wait for, no reduction of the window.
    transport.advance(2 * MIN_RTO_SECONDS);
    expect(transport.pending).toEqual([]);
    expect(congestionOf(client).bytes).toBeGreaterThanOrEqual(1000 * MSS);
  });

  // As hydra's mpiexec starts its proxies: thousands of small writes on
  // TCP_NODELAY connections at one date, a burst of more wire bytes than the
  // queue holds (a few payload bytes under 90 of headers each).
  function smallWritesToThree(bottleneck: Bottleneck): { arrived: number; sent: number; flights: number; wire: number } {
    const transport = new CountingTransport();
    transport.bottleneckOfRoutes = bottleneck;
    const net = new VirtualNetwork(HOSTS, transport);
    const pairs = ['b', 'c', 'd'].map((to, i) => connection(net, transport, to, 5000 + i));
    const writes = 800;
    for (const { client } of pairs) {
      congestionOf(client).bytes = 1000 * MSS;
      for (let i = 0; i < writes; i++) expect(client.send(Buffer.from([i & 0xff, 1, 2, 3]))).toBe(4);
    }
    carryFor(transport, MIN_RTO_SECONDS / 2);
    return {
      arrived: pairs.reduce((sum, { child }) => sum + child.available(), 0),
      sent: 3 * writes * 4,
      flights: transport.flightsFromA,
      wire: transport.wireFromA,
    };
  }

  it('lets thousands of small writes to several peers all arrive without a timeout, those that had to wait leaving together in full segments', () => {
    const writes = 3 * 800;
    expect(writes * wireBytes(4)).toBeGreaterThan(new DropTailQueue(INTERFACE_QUEUE).limit);
    const paced = smallWritesToThree(INTERFACE_QUEUE);
    expect(paced.arrived).toBe(paced.sent);
    // Fewer flights than writes, and fewer bytes on the wire than a segment each would take.
    expect(paced.flights).toBeLessThan(writes);
    expect(paced.wire).toBeLessThan(writes * wireBytes(4));
    // A router's queue further along drops the tail of that burst, which then waits for the retransmission timeout.
    const dropped = smallWritesToThree(ROUTER_QUEUE);
    expect(dropped.arrived).toBeLessThan(dropped.sent);
  });
});
