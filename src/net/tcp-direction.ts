import { Queue } from './queue.js';
import type { Payload } from './payload.js';
import { RingBytes } from './ring-bytes.js';
import { FOLLOWED_STREAM_BYTES, type Transfer, type Transport } from './transport.js';

/** Linux's net.core.wmem_default and rmem_default, used as payload bytes. */
export const DEFAULT_BUFFER_SIZE = 212992;

/**
 * Silly-window avoidance (RFC 1122, 4.2.3.3 and 4.2.3.4): a window that
 * opened by only a few bytes is not used until it has opened by this much
 * (or by half the receive buffer), unless all that waits fits. Without it a
 * stream read as it crosses degenerates into a swarm of tiny transfers.
 * Coarser than a real TCP's segment, to keep transfers few.
 */
const WINDOW_STEP_BYTES = 64 * 1024;

interface Segment {
  /** Payload bytes; 0 for a control segment. */
  bytes: number;
  /** How many of `bytes` have crossed and been delivered already. */
  landed: number;
  /** Runs when the segment arrives, in sending order, after the segments before it. */
  onArrival?: () => void;
  complete: boolean;
  transfer?: Transfer;
}

/**
 * One direction of a TCP connection. Bytes a sender hands over are queued
 * (counted against its send buffer) until they cross; then they are
 * delivered, in order, and the receiver may read them. Bytes cross as the
 * transport reports them, while their transfer is still under way, so a
 * long stream reaches its reader at the link's pace rather than in bursts
 * the size of a transfer. The transfers are an artefact of how the sender
 * wrote: whichever transfer's bytes cross, they are the stream's next bytes.
 * Transfers start only within the receiver's window (its receive buffer
 * minus what is delivered unread or still on its way), so a sender facing a
 * slow reader fills its send buffer and blocks, as over real TCP; and, for
 * a long stream, only once most of what is under way has crossed. Control
 * segments (the handshake's last ACK, FIN, RST) arrive in sending order,
 * after every byte sent before them.
 *
 * A direction counts bytes; where they wait is the data path's business. Under
 * full mediation the direction keeps them (`carried`); under address translation
 * the kernel's loopback sockets hold them and the direction only says how many
 * the receiver may read.
 */
export class TcpDirection {
  sendBufferSize = DEFAULT_BUFFER_SIZE;
  receiveBufferSize = DEFAULT_BUFFER_SIZE;
  /** The FIN arrived: once the delivered bytes are read, the reader sees EOF. */
  finArrived = false;
  /** Every byte handed over and not yet read or dropped, oldest first, when the direction keeps them. */
  readonly carried: RingBytes | undefined;
  /** Bytes delivered and not read yet. */
  private deliveredCount = 0;
  /** Bytes the sender handed over that are not delivered yet. */
  private queued = 0;
  /** How many of `queued` are in transfers already, and not crossed yet. */
  private inFlight = 0;
  private readonly segments = new Queue<Segment>();
  private finQueued = false;
  private finStarted = false;
  /** The reader is gone: arriving data is dropped, and reported once through `onUnwanted`. */
  private readerGone = false;
  private unwantedReported = false;
  /** The sender aborted: nothing more starts. */
  private stopped = false;
  /** The transport looks at this direction's transfers from time to time (see `look`). */
  private followed = false;

  /**
   * @param keepsBytes whether the direction keeps the bytes themselves (full mediation)
   * @param onChange after anything that may change either end's readiness
   * @param onUnwanted when data first arrives for a reader that is gone (the receiving kernel answers with RST)
   */
  constructor(
    private readonly transport: Transport,
    readonly fromHost: string,
    readonly toHost: string,
    keepsBytes: boolean,
    private readonly onChange: () => void,
    private readonly onUnwanted: () => void,
  ) {
    this.carried = keepsBytes ? new RingBytes() : undefined;
  }

  /** Bytes delivered and not read yet. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** Room left in the sender's buffer. */
  room(): number {
    return Math.max(0, this.sendBufferSize - this.queued);
  }

  /**
   * Whether poll reports the sender writable: as Linux's
   * sk_stream_is_writeable, once the room is at least half of what is still
   * queued, so that a sender woken by room writes a good part of its buffer
   * rather than the few bytes that just crossed.
   */
  writable(): boolean {
    return this.room() > 0 && this.room() >= this.queued / 2;
  }

  /**
   * Takes as many of `count` bytes as the send buffer has room for; returns
   * how many. A direction that keeps bytes copies that many from `payload`.
   */
  write(count: number, payload?: Payload): number {
    const accepted = Math.min(count, this.room());
    if (accepted === 0) return 0;
    this.carried?.append(payload!, 0, accepted);
    this.queued += accepted;
    this.pump();
    return accepted;
  }

  /** The reader took `count` delivered bytes (returned, as views valid until the next write, when the direction keeps them): the window opens. */
  read(count: number): Buffer[] | undefined {
    const taken = Math.min(count, this.deliveredCount);
    this.deliveredCount -= taken;
    const pieces = this.carried?.take(taken);
    this.pump();
    return pieces;
  }

  /** Up to `count` delivered bytes, left unread, in pieces (when the direction keeps them). */
  peek(count: number): Buffer[] | undefined {
    return this.carried?.peek(Math.min(count, this.deliveredCount));
  }

  /** No more data: the FIN follows the bytes already handed over. */
  closeWrite(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.pump();
  }

  /** A control segment (handshake ACK, RST) ordered after everything sent so far. */
  sendControl(onArrival: () => void): void {
    this.start({ bytes: 0, landed: 0, onArrival, complete: false });
  }

  /**
   * Sends nothing more (abortive close, or an RST received): what is not in
   * flight yet stays queued, unsent, and goes with the direction.
   */
  stop(): void {
    this.stopped = true;
  }

  /** The reader went away: later data is dropped (and reported once), what waits unread is freed. */
  dropReader(): void {
    this.readerGone = true;
    this.carried?.discard(this.deliveredCount);
    this.deliveredCount = 0;
  }

  private pump(): void {
    if (this.stopped) return;
    const waiting = this.queued - this.inFlight;
    const window = this.receiveBufferSize - this.deliveredCount - this.inFlight;
    const bytes = Math.min(waiting, window);
    const worthSending = bytes === waiting || bytes >= Math.min(WINDOW_STEP_BYTES, this.receiveBufferSize / 2);
    if (bytes > 0 && worthSending && !this.holding()) {
      this.inFlight += bytes;
      this.start({ bytes, landed: 0, complete: false });
    }
    if (this.finQueued && !this.finStarted && this.inFlight === this.queued) {
      this.finStarted = true;
      this.start({
        bytes: 0,
        landed: 0,
        onArrival: () => {
          this.finArrived = true;
        },
        complete: false,
      });
    }
  }

  /**
   * With more under way than the route carries during its latency and until
   * the next look, new bytes would only queue behind those: they wait, and
   * leave at a later look as one transfer, still before the route runs dry.
   * So a long stream is one or two SimGrid flows, as a TCP connection is one
   * flow: it gets one share of a bottleneck, not a share per write. Only a
   * followed stream holds: its looks let the bytes go.
   */
  private holding(): boolean {
    return this.inFlight > FOLLOWED_STREAM_BYTES && this.inFlight > this.transport.holdAbove(this.fromHost, this.toHost);
  }

  private start(segment: Segment): void {
    this.segments.push(segment);
    segment.transfer = this.transport.start(this.fromHost, this.toHost, segment.bytes, () => {
      segment.complete = true;
      if (this.cross(segment, segment.bytes)) this.afterLanding();
      this.arrive();
    });
    if (!this.followed && this.inFlight >= FOLLOWED_STREAM_BYTES) {
      this.followed = true;
      this.transport.follow(this.fromHost, this.toHost, () => this.look());
    }
  }

  /** Delivers what crossed of every transfer under way; returns whether the direction is still worth following. */
  private look(): boolean {
    let landed = false;
    for (let i = 0; i < this.segments.length; i++) {
      const segment = this.segments.at(i)!;
      if (segment.bytes > 0 && !segment.complete && this.cross(segment, segment.transfer!.crossed())) landed = true;
    }
    if (landed) this.afterLanding();
    this.followed = this.inFlight >= FOLLOWED_STREAM_BYTES;
    return this.followed;
  }

  /** `crossed` bytes of the segment are across so far: those not counted yet are delivered. Returns whether there were any. */
  private cross(segment: Segment, crossed: number): boolean {
    const fresh = crossed - segment.landed;
    if (fresh <= 0) return false;
    segment.landed = crossed;
    this.land(fresh);
    return true;
  }

  /** After bytes landed: the window may have opened, and the reader has news. */
  private afterLanding(): void {
    this.pump();
    this.onChange();
  }

  /** Control segments take effect in sending order, once everything sent before them has arrived. */
  private arrive(): void {
    let acted = false;
    for (let head = this.segments.peek(); head?.complete; head = this.segments.peek()) {
      this.segments.shift();
      if (head.onArrival === undefined) continue;
      head.onArrival();
      acted = true;
    }
    if (acted) {
      this.pump();
      this.onChange();
    }
  }

  private land(bytes: number): void {
    this.inFlight -= bytes;
    this.queued -= bytes;
    if (this.readerGone) {
      this.carried?.discard(bytes);
      if (!this.unwantedReported) {
        this.unwantedReported = true;
        this.onUnwanted();
      }
      return;
    }
    this.deliveredCount += bytes;
  }
}
