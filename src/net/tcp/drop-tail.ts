import { FULL_FRAME_WIRE_BYTES } from '../wire.js';

/** What a route's narrowest link is, where a queue forms when senders offer more than it carries. */
export interface Bottleneck {
  /** The link's name, as SimGrid routes name it (one direction of a split-duplex link). */
  link: string;
  bytesPerSecond: number;
  /** The route's one-way latency, in seconds. */
  routeLatency: number;
  /** The shortest time between two looks at a connection (see Transport.follow): the model's ACK clock ticks no finer. */
  lookPeriod: number;
}

/** Frames a queue holds beyond its bandwidth-delay product (see DropTailQueue). */
export const QUEUE_SLACK_FRAMES = 100;
/** Dates closer than this are one date: a flight that would wait less for the link starts at once (a timer that short would only cost wall time). */
const SAME_DATE_SECONDS = 1e-9;
/** A full segment on the wire: the unit in which the queue counts frames. */
const FULL_FRAME = FULL_FRAME_WIRE_BYTES;

/**
 * The drop-tail FIFO in front of a bottleneck link, shared by every
 * connection whose route narrows there. A platform file gives no router
 * buffer, so it holds what the rule of thumb gives a router (and the
 * fidelity suite's link emulator holds): one bandwidth-delay product of the
 * round trip (B × 2L) plus QUEUE_SLACK_FRAMES full frames. And at least
 * what the link carries in two look periods: bytes land, and ACKs go, only
 * at looks, so a sender's bursts and the queue's own count (which frees
 * bytes when they land) are that coarse; on a link so short and fast that
 * this exceeds the rest (100 Gbit/s without latency), a shallower queue
 * would drop bursts that a real sender, clocked by every segment's ACK,
 * would never have sent.
 *
 * The queue counts wire bytes that entered it and have not crossed yet:
 * SimGrid's comms say when bytes cross (bandwidth sharing stays SimGrid's),
 * and whatever was sent and has not crossed is either on its way over the
 * latency (B × L of it when the link is busy) or waiting. A segment that
 * would make that exceed B × L plus the queue's size finds the queue full
 * and is dropped, as a real router drops the frames that arrive at a full
 * buffer: the tail of a burst.
 *
 * The queue serves what entered in arrival order, as a router's FIFO does
 * (`serve`): a flight's comm starts once the flights that entered before it
 * are through the link, so that it crosses after them rather than beside
 * them. SimGrid would otherwise share the link between every comm under
 * way, max-min fair, and a flow whose burst reached the queue first would
 * not get ahead of the others as it does on a real link.
 */
export class DropTailQueue {
  /** Wire bytes that entered and have not crossed. */
  private held = 0;
  /** The date the link is through with every flight served so far, as comm start dates count (see `serve`). */
  private freeAt = 0;
  private readonly bytesPerSecond: number;
  /** The most wire bytes that can be on their way and waiting at once. */
  readonly limit: number;

  constructor(bottleneck: Omit<Bottleneck, 'link'>) {
    this.bytesPerSecond = bottleneck.bytesPerSecond;
    const oneWay = bottleneck.bytesPerSecond * bottleneck.routeLatency;
    const queueFrames = Math.floor((2 * oneWay) / FULL_FRAME) + QUEUE_SLACK_FRAMES;
    this.limit = oneWay + Math.max(queueFrames * FULL_FRAME, 2 * bottleneck.bytesPerSecond * bottleneck.lookPeriod);
  }

  /** Wire bytes held now (entered, not crossed). */
  get occupancy(): number {
    return this.held;
  }

  /**
   * A burst of `segments` segments of `segmentWire` wire bytes each arrives
   * (the last one may be shorter: `lastWire`); returns how many enter, the
   * first ones. The others are dropped.
   */
  admit(segments: number, segmentWire: number, lastWire = segmentWire): number {
    const room = this.limit - this.held;
    const whole = Math.min(segments - 1, Math.max(0, Math.floor(room / segmentWire)));
    const all = whole === segments - 1 && whole * segmentWire + lastWire <= room;
    this.held += all ? whole * segmentWire + lastWire : whole * segmentWire;
    return all ? segments : whole;
  }

  /**
   * A flight of `wire` bytes that entered at `now` waits for those that
   * entered before it: returns the date its comm may start, `now` when the
   * link is through with them. A SimGrid comm spends the route's latency
   * first and crosses the link after it, at the link's bandwidth when
   * nothing else shares it, so comms started `wire / bandwidth` apart cross
   * back to back, each as soon as the one before it is through. What else
   * crosses the link (datagrams, routes narrowing elsewhere) still shares it
   * as SimGrid shares it: the flights it slows then overlap a little.
   */
  serve(now: number, wire: number): number {
    const start = this.freeAt > now + SAME_DATE_SECONDS ? this.freeAt : now;
    this.freeAt = start + wire / this.bytesPerSecond;
    return start;
  }

  /** `wire` bytes that entered have crossed the link. */
  leave(wire: number): void {
    this.held = Math.max(0, this.held - wire);
  }
}

/** One queue per bottleneck link, made when a route first crosses it. */
export class Bottlenecks {
  private readonly queues = new Map<string, DropTailQueue>();

  queueFor(bottleneck: Bottleneck | undefined): DropTailQueue | undefined {
    if (bottleneck === undefined) return undefined;
    let queue = this.queues.get(bottleneck.link);
    if (queue === undefined) {
      queue = new DropTailQueue(bottleneck);
      this.queues.set(bottleneck.link, queue);
    }
    return queue;
  }
}
