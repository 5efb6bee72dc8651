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
 * One direction of a TCP connection. Bytes a sender hands over are queued
 * (counted against its send buffer) until their transfer completes; then
 * they are delivered, in order, and the receiver may read them. Transfers
 * start only within the receiver's window (its receive buffer minus what is
 * delivered unread or already in flight), so a sender facing a slow reader
 * fills its send buffer and blocks, as over real TCP. Segments are
 * delivered in the order they were sent even when the simulator completes a
 * later, smaller transfer first.
 *
 * The pipe counts bytes; where they wait is the data path's business. Under
 * full mediation the pipe keeps them (`carried`); under address translation
 * the kernel's loopback sockets hold them and the pipe only says how many
 * the receiver may read.
 */
export class Pipe {
  sendBufferSize = DEFAULT_BUFFER_SIZE;
  receiveBufferSize = DEFAULT_BUFFER_SIZE;
  /** The FIN arrived: once the delivered bytes are read, the reader sees EOF. */
  finArrived = false;
  /** Every byte handed over and not yet read or dropped, oldest first, when the pipe carries them. */
  readonly carried: ByteQueue | undefined;
  /** Bytes delivered and not read yet. */
  private deliveredCount = 0;
  /** Bytes the sender handed over that are not delivered yet. */
  private queued = 0;
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
   * @param carries whether the pipe keeps the bytes themselves (full mediation)
   * @param onChange after anything that may change either end's readiness
   * @param onUnwanted when data first arrives for a reader that is gone (the receiving kernel answers with RST)
   */
  constructor(
    private readonly transport: Transport,
    readonly fromHost: string,
    readonly toHost: string,
    carries: boolean,
    private readonly onChange: () => void,
    private readonly onUnwanted: () => void,
  ) {
    this.carried = carries ? new ByteQueue() : undefined;
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
   * Takes as many of `count` bytes as the send buffer has room for; returns
   * how many. A carrying pipe keeps that many of `bytes` (without copying).
   */
  write(count: number, bytes?: Buffer): number {
    const accepted = Math.min(count, this.room());
    if (accepted === 0) return 0;
    if (this.carried) this.carried.push(accepted === bytes!.length ? bytes! : bytes!.subarray(0, accepted));
    this.queued += accepted;
    this.pump();
    return accepted;
  }

  /** The reader took `count` delivered bytes (returned when the pipe carries them): the window opens. */
  read(count: number): Buffer | undefined {
    const taken = Math.min(count, this.deliveredCount);
    this.deliveredCount -= taken;
    const bytes = this.carried?.read(taken);
    this.pump();
    return bytes;
  }

  /** Up to `count` delivered bytes, left unread (when the pipe carries them). */
  peek(count: number): Buffer | undefined {
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
    this.carried?.discard(this.deliveredCount);
    this.deliveredCount = 0;
  }

  private pump(): void {
    if (this.stopped) return;
    const waiting = this.queued - this.inFlight;
    const window = this.receiveBufferSize - this.deliveredCount - this.inFlight;
    const bytes = Math.min(waiting, window);
    if (bytes > 0) {
      this.inFlight += bytes;
      this.start({ bytes, delivered: false });
    }
    if (this.finQueued && !this.finStarted && this.inFlight === this.queued) {
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
