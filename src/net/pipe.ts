import { ByteQueue } from './byte-queue.js';
import { Fifo } from './fifo.js';
import type { Transport } from './transport.js';

/** Linux's net.core.wmem_default and rmem_default, used as payload bytes. */
export const DEFAULT_BUFFER_SIZE = 212992;

interface Segment {
  /** Payload bytes; 0 for a control segment. */
  bytes: number;
  /** Runs when the segment arrives, in sending order, after the segments before it. */
  onArrival?: () => void;
  delivered: boolean;
}

/**
 * One direction of a TCP connection. Bytes a sender hands over wait in
 * `queued` (counted against its send buffer) until their transfer completes;
 * then they move, in order, to `delivered`, where the receiver reads them.
 * Transfers start only within the receiver's window (its receive buffer
 * minus what is delivered unread or already in flight), so a sender facing a
 * slow reader fills its send buffer and blocks, as over real TCP.
 * Segments are delivered in the order they were sent even when the
 * simulator completes a later, smaller transfer first.
 */
export class Pipe {
  sendBufferSize = DEFAULT_BUFFER_SIZE;
  receiveBufferSize = DEFAULT_BUFFER_SIZE;
  readonly delivered = new ByteQueue();
  /** The FIN arrived: once `delivered` is read, the reader sees EOF. */
  finArrived = false;
  /** Bytes the sender handed over that are not delivered yet. */
  private readonly queued = new ByteQueue();
  /** How many of `queued` are in transfers already. */
  private inFlight = 0;
  private readonly segments = new Fifo<Segment>();
  private finQueued = false;
  private finStarted = false;
  /** The reader is gone: arriving data is dropped, and reported once through `onUnwanted`. */
  private readerGone = false;
  private unwantedReported = false;
  /** The sender aborted: nothing more starts. */
  private stopped = false;

  /**
   * @param onChange after anything that may change either end's readiness
   * @param onUnwanted when data first arrives for a reader that is gone (the receiving kernel answers with RST)
   */
  constructor(
    private readonly transport: Transport,
    readonly fromHost: string,
    readonly toHost: string,
    private readonly onChange: () => void,
    private readonly onUnwanted: () => void,
  ) {}

  /** Room left in the sender's buffer. */
  room(): number {
    return Math.max(0, this.sendBufferSize - this.queued.length);
  }

  /** Takes as many of `bytes` as the send buffer has room for (keeping, not copying them); returns how many. */
  write(bytes: Buffer): number {
    const accepted = Math.min(bytes.length, this.room());
    if (accepted === 0) return 0;
    this.queued.push(accepted === bytes.length ? bytes : bytes.subarray(0, accepted));
    this.pump();
    return accepted;
  }

  /** No more data: the FIN follows the bytes already handed over. */
  closeWrite(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.pump();
  }

  /** A control segment (handshake ACK, RST) ordered after everything sent so far. */
  sendControl(onArrival: () => void): void {
    this.start({ bytes: 0, onArrival, delivered: false });
  }

  /**
   * Sends nothing more (abortive close, or an RST received): what is not in
   * flight yet stays queued, unsent, and goes with the pipe.
   */
  stop(): void {
    this.stopped = true;
  }

  /** The reader went away: later data is dropped (and reported once), what waits unread is freed. */
  dropReader(): void {
    this.readerGone = true;
    this.delivered.discard(this.delivered.length);
  }

  /** The reader took bytes: the window opened. */
  consumed(): void {
    this.pump();
  }

  private pump(): void {
    if (this.stopped) return;
    const waiting = this.queued.length - this.inFlight;
    const window = this.receiveBufferSize - this.delivered.length - this.inFlight;
    const bytes = Math.min(waiting, window);
    if (bytes > 0) {
      this.inFlight += bytes;
      this.start({ bytes, delivered: false });
    }
    if (this.finQueued && !this.finStarted && this.inFlight === this.queued.length) {
      this.finStarted = true;
      this.start({ bytes: 0, onArrival: () => { this.finArrived = true; }, delivered: false });
    }
  }

  private start(segment: Segment): void {
    this.segments.push(segment);
    this.transport.start(this.fromHost, this.toHost, segment.bytes, () => {
      segment.delivered = true;
      this.arrive();
    });
  }

  private arrive(): void {
    let moved = false;
    for (let head = this.segments.peek(); head?.delivered; head = this.segments.peek()) {
      this.segments.shift();
      moved = true;
      if (head.bytes > 0) this.land(head.bytes);
      head.onArrival?.();
    }
    if (moved) {
      this.pump();
      this.onChange();
    }
  }

  private land(bytes: number): void {
    this.inFlight -= bytes;
    const pieces = this.queued.take(bytes);
    if (this.readerGone) {
      if (!this.unwantedReported) {
        this.unwantedReported = true;
        this.onUnwanted();
      }
      return;
    }
    for (const piece of pieces) this.delivered.push(piece);
  }
}
