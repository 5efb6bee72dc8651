import { describe, expect, it } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import { type Bottleneck, DropTailQueue } from '../../src/net/tcp/drop-tail.js';
import { IPV4_SEGMENTS, wireBytes } from '../../src/net/wire.js';

/** The connections below are between IPv4 addresses. */
const MSS = IPV4_SEGMENTS.mss;
const FRAME = wireBytes(MSS, IPV4_SEGMENTS);
/** 10 MB/s and 10 ms, the fidelity suite's first link: a frame takes 152.6 µs to cross it. */
const RATE = 10e6;
const FRAME_SECONDS = FRAME / RATE;

function link(name: string): Bottleneck {
  return { link: name, bytesPerSecond: RATE, routeLatency: 0.01, lookPeriod: 0 };
}

describe('the bottleneck queue serves flights in arrival order', () => {
  it('starts a flight once the flights that entered before it are through the link, at once when it is idle', () => {
    const queue = new DropTailQueue(link('l'));
    expect(queue.serve(0, 10 * FRAME)).toBe(0);
    expect(queue.serve(0, 2 * FRAME)).toBeCloseTo(10 * FRAME_SECONDS, 12);
    // Entered while the first two are crossing: after both.
    expect(queue.serve(0.001, FRAME)).toBeCloseTo(12 * FRAME_SECONDS, 12);
    // Entered once the link is through with all three: at once.
    expect(queue.serve(0.01, FRAME)).toBe(0.01);
  });
});

/** Hosts a, b, c, d: routes from a narrow at a's uplink, the route from c to d at c's. */
const HOSTS = ['a', 'b', 'c', 'd'].map((name) => ({ name, properties: {} }));
const ADDRESS: Record<string, string> = { b: '10.0.0.2', c: '10.0.0.3', d: '10.0.0.4' };

class TwoLinks extends ManualTransport {
  override bottleneck(srcHost: string): Bottleneck | undefined {
    return srcHost === 'a' ? link('a_UP') : srcHost === 'c' ? link('c_UP') : undefined;
  }
}

/** A connection from `from` to `to`, handshake done, TCP_NODELAY on the client. */
function connection(net: VirtualNetwork, transport: ManualTransport, from: string, to: string, port: number): StreamSocket {
  const server = net.streamSocket(to);
  server.bind({ address: '0.0.0.0', port });
  server.listen(10);
  const client = net.streamSocket(from);
  client.connect({ address: ADDRESS[to]!, port });
  transport.completeAll();
  const child = server.accept();
  if (child instanceof SocketError) throw new Error(`accept failed: ${child.code}`);
  client.noDelay = true;
  return client;
}

/** The flights under way: where each goes, and how many frames it carries. */
function flightsUnderWay(transport: ManualTransport): string[] {
  return transport.pending.map(({ srcHost, dstHost, bytes }) => `${srcHost}>${dstHost} ${bytes / FRAME}`);
}

describe('connections whose routes narrow at one link', () => {
  it('cross it one after the other, in the order their flights reached it, not side by side', () => {
    const transport = new TwoLinks();
    const net = new VirtualNetwork(HOSTS, transport);
    const toB = connection(net, transport, 'a', 'b', 5000);
    const toC = connection(net, transport, 'a', 'c', 5001);
    // The flight to c reaches a's uplink first: it crosses at once, the one to b once it is through.
    expect(toC.send(Buffer.alloc(4 * MSS))).toBe(4 * MSS);
    expect(toB.send(Buffer.alloc(6 * MSS))).toBe(6 * MSS);
    expect(flightsUnderWay(transport)).toEqual(['a>c 4']);
    transport.advance(4 * FRAME_SECONDS * 0.999);
    expect(flightsUnderWay(transport)).toEqual(['a>c 4']);
    transport.advance(4 * FRAME_SECONDS * 0.002);
    expect(flightsUnderWay(transport)).toEqual(['a>c 4', 'a>b 6']);
    // A flight of the first connection sent now waits for both.
    expect(toC.send(Buffer.alloc(MSS))).toBe(MSS);
    expect(flightsUnderWay(transport)).toEqual(['a>c 4', 'a>b 6']);
    transport.advance(6 * FRAME_SECONDS);
    expect(flightsUnderWay(transport)).toEqual(['a>c 4', 'a>b 6', 'a>c 1']);
  });

  it('leave connections whose routes narrow at other links unaffected', () => {
    const transport = new TwoLinks();
    const net = new VirtualNetwork(HOSTS, transport);
    const fromA = connection(net, transport, 'a', 'b', 5000);
    const fromC = connection(net, transport, 'c', 'd', 5001);
    expect(fromA.send(Buffer.alloc(8 * MSS))).toBe(8 * MSS);
    expect(fromC.send(Buffer.alloc(8 * MSS))).toBe(8 * MSS);
    expect(flightsUnderWay(transport)).toEqual(['a>b 8', 'c>d 8']);
  });
});

describe("HyStart's rounds", () => {
  it('begin with the first ACK past what was sent when the round before began, not with the ACK that reaches it (Linux: after(snd_una, end_seq))', () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(HOSTS, transport);
    const client = connection(net, transport, 'a', 'b', 5000);
    const congestion = (client as unknown as { out: { congestion: { endRound(now: number): void } } }).out.congestion;
    const rounds: number[] = [];
    const endRound = congestion.endRound.bind(congestion);
    congestion.endRound = (now) => {
      rounds.push(now);
      endRound(now);
    };
    // The initial window, 10 segments, leaves in one flight; its first half crosses, then the rest.
    expect(client.send(Buffer.alloc(40 * MSS))).toBe(40 * MSS);
    const acksBack = (): void => {
      transport.look();
      transport.advance(0.001);
      while (transport.pending.some((t) => t.srcHost === 'b')) transport.complete(transport.pending.findIndex((t) => t.srcHost === 'b'));
    };
    transport.cross(0, 5 * FRAME);
    acksBack(); // the first ACK ends the round the connection began with: a round begins, ending past the 10 segments
    expect(rounds).toEqual([0.001]);
    transport.complete(0);
    acksBack(); // the ACK of the 10th segment reaches the round's end without passing it
    expect(rounds).toEqual([0.001]);
    transport.completeRound(); // the flights those ACKs let go cross
    acksBack(); // the first ACK past it begins the next round
    expect(rounds).toEqual([0.001, 0.003]);
  });
});
