/**
 * How long Linux's receiver holds back an acknowledgment it delays. Linux
 * arms its delayed-ACK timer for its 40 ms minimum (TCP_DELACK_MIN, the
 * starting `ato`), and the timer fires on a tick after that: through the
 * fidelity suite's link the real kernel's delayed ACK comes 43.9 ms after
 * the segment whatever the link's latency (10, 1 or 50 ms), so that is
 * what this model waits.
 */
export const DELAYED_ACK_SECONDS = 0.0439;
/** Linux's TCP_ATO_MIN: a reply sent this soon after data arrived makes the connection interactive (pingpong). */
const ATO_SECONDS = 0.04;
/** Linux's TCP_MAX_QUICKACKS: the acknowledgments sent at once at the start of a connection. */
const MAX_QUICKACKS = 16;

/**
 * When a receiver acknowledges what arrived, as Linux decides it (RFC 1122
 * 4.2.3.2 and RFC 5681 4.2, with Linux's quick-ack and interactive modes):
 * at once when more than one full segment is unacknowledged, and for the
 * first acknowledgments of a connection (quick-ack mode, entered with the
 * first data: up to 16, or half the window in segments); otherwise after
 * DELAYED_ACK_SECONDS, or sooner riding on data the receiver sends, or when
 * the application reads everything and a short segment was among it while
 * the connection is not interactive (tcp_cleanup_rbuf). A receiver that
 * answers within 40 ms of data arriving becomes interactive (pingpong) and
 * delays even its quick acknowledgments, until a delayed ACK's timer
 * actually fires.
 */
export class AckPolicy {
  /** Bytes arrived and not acknowledged yet. */
  private unacked = 0;
  /** Short segments among them (Linux's ICSK_ACK_PUSHED and PUSHED2). */
  private shortSegments = 0;
  private quickAcks = 0;
  private started = false;
  private pingpong = false;
  private lastArrival = -Infinity;

  /** `mss`: the connection's segment size: what a full segment is. */
  constructor(private readonly mss: number) {}

  /** Whether an acknowledgment is owed. */
  get pending(): boolean {
    return this.unacked > 0;
  }

  /** `bytes` arrived at `now` in one piece; returns whether to acknowledge at once (else the timer, if not armed, is to be). */
  arrived(bytes: number, now: number, window: number): boolean {
    if (!this.started) {
      this.started = true;
      this.quickAcks = Math.min(MAX_QUICKACKS, Math.max(2, Math.floor(window / (2 * this.mss))));
    }
    this.lastArrival = now;
    this.unacked += bytes;
    if (bytes % this.mss !== 0) this.shortSegments++;
    return this.unacked > this.mss || (this.quickAcks > 0 && !this.pingpong);
  }

  /** The receiver's application read, leaving `left` bytes unread: whether that sends the acknowledgment owed. */
  afterRead(left: number): boolean {
    if (!this.pending || left > 0) return false;
    return this.shortSegments >= 2 || (this.shortSegments === 1 && !this.pingpong);
  }

  /** The receiving side sends data at `now` (the acknowledgment owed rides on it). */
  replying(now: number): void {
    if (now - this.lastArrival < ATO_SECONDS) this.pingpong = true;
  }

  /** The delayed-ACK timer fired with an acknowledgment owed: Linux leaves interactive mode. */
  timerFired(): void {
    this.pingpong = false;
  }

  /** An acknowledgment of everything arrived goes now. */
  acknowledged(): void {
    if (this.quickAcks > 0) this.quickAcks--;
    this.unacked = 0;
    this.shortSegments = 0;
  }
}
