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
  /**
   * The link is the first of a route of several: the sender's own, which
   * its interface feeds, so that the queue in front of it is the sender's
   * own (see DropTailQueue). A route of one link stands for the whole path
   * between two hosts, and its queue for a router's on the way.
   */
  atSender?: boolean;
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
 *
 * A queue at its senders' own interface (`atSender`) never drops: Linux's
 * TCP Small Queues and its queueing discipline's backpressure keep a socket
 * from overfilling its own host's queue, and what does not fit waits in
 * the socket (where later writes join it in full segments) rather than
 * being lost; losses happen only at a bottleneck further along. A sender
 * there lets go only what the queue has `room` for, enters it whole
 * (`enter`), and waits for bytes to leave (`awaitRoom`) for the rest: the
 * link paces it.
 */
export class DropTailQueue {
  /** Wire bytes that entered and have not crossed. */
  private held = 0;
  /** Senders at their own interface waiting for room, in the order they came to wait. */
  private waiting: Array<() => void> = [];
  /** The date the link is through with every flight served so far, as comm start dates count (see `serve`). */
  private freeAt = 0;
  private readonly bytesPerSecond: number;
  /** The most wire bytes that can be on their way and waiting at once. */
  readonly limit: number;
  /** Its senders' own interface feeds it (Bottleneck.atSender): they wait for room rather than lose segments. */
  readonly atSender: boolean;

  constructor(bottleneck: Omit<Bottleneck, 'link'>) {
    this.bytesPerSecond = bottleneck.bytesPerSecond;
    this.atSender = bottleneck.atSender === true;
    const oneWay = bottleneck.bytesPerSecond * bottleneck.routeLatency;
    const queueFrames = Math.floor((2 * oneWay) / FULL_FRAME) + QUEUE_SLACK_FRAMES;
    this.limit = oneWay + Math.max(queueFrames * FULL_FRAME, 2 * bottleneck.bytesPerSecond * bottleneck.lookPeriod);
  }

  /** Wire bytes held now (entered, not crossed). */
  get occupancy(): number {
    return this.held;
  }

  /** Wire bytes it can take now without dropping. */
  get room(): number {
    return Math.max(0, this.limit - this.held);
  }

  /**
   * A flight of `wire` bytes at its sender's own interface enters whole:
   * the sender made it fit the room, and a retransmission, which it cannot
   * hold back, is not lost there either.
   */
  enter(wire: number): void {
    this.held += wire;
  }

  /** A sender at its own interface has more to send than the room: `wake` runs once bytes have left. */
  awaitRoom(wake: () => void): void {
    this.waiting.push(wake);
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

  /** `wire` bytes that entered have crossed the link: the senders waiting for room try again, in the order they came. */
  leave(wire: number): void {
    this.held = Math.max(0, this.held - wire);
    if (this.waiting.length === 0) return;
    const woken = this.waiting;
    this.waiting = [];
    for (const wake of woken) wake();
  }
}

/**
 * One queue per bottleneck link, made when a route first crosses it. A
 * link that is the first of some routes and further along others (a
 * host's one link, shared both ways) has two: its sender's interface queue
 * and the router's queue towards that host are two buffers.
 */
export class Bottlenecks {
  private readonly queues = new Map<string, DropTailQueue>();

  queueFor(bottleneck: Bottleneck | undefined): DropTailQueue | undefined {
    if (bottleneck === undefined) return undefined;
    const key = bottleneck.atSender === true ? `${bottleneck.link} (senders' interface)` : bottleneck.link;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new DropTailQueue(bottleneck);
      this.queues.set(key, queue);
    }
    return queue;
  }
}
