import { HyStart } from './hystart.js';

/** RFC 6928: a connection starts with 10 segments in flight. */
export const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 9438, section 5: CUBIC's constants. */
const C = 0.4;
const BETA_CUBIC = 0.7;
/** RFC 9438, section 4.3: the Reno-friendly estimate grows by this many segments per window before it reaches W_max. */
const ALPHA_CUBIC = (3 * (1 - BETA_CUBIC)) / (1 + BETA_CUBIC);

/**
 * A sender's congestion window, as Linux's default CUBIC grows it.
 *
 * Slow start (RFC 5681, 3.1) adds every acknowledged byte to the window,
 * from an initial window of 10 segments (RFC 6928), up to the slow-start
 * threshold a loss set, or until Linux's HyStart ends it (see HyStart:
 * a round's ACK train outlasts half a round trip, or its round trips grow
 * by an eighth). Congestion avoidance then follows CUBIC (RFC 9438) and never
 * falls below its Reno-friendly estimate (4.3). After a slow start left
 * without loss, W_max is the window and K is 0 (4.2); a loss reduces the
 * window by CUBIC's beta (0.7), remembers W_max (less, by fast convergence,
 * when the window had not regained the last one: 4.7), and the next epoch
 * grows back to it in K seconds (4.6). The window grows only while it
 * limits the sender, as Linux grows it (tcp_is_cwnd_limited): a sender held
 * back by the receiver's window or by its application does not inflate it.
 */
export class CongestionWindow {
  /** The congestion window, in bytes. */
  bytes: number;
  /** The smallest round trip seen, in seconds (Infinity before the first). */
  minRtt = Infinity;
  private slowStart = true;
  /** RFC 5681's slow-start threshold, in bytes: set by a loss. */
  private ssthresh = Infinity;
  private readonly hystart = new HyStart();
  /** CUBIC's epoch: when it began (undefined: at the next growth, as Linux starts it), W_max in segments, and K in seconds. */
  private epochStart: number | undefined = 0;
  private wMax = 0;
  private k = 0;
  /** RFC 9438's Reno-friendly estimate, in segments. */
  private wEst = 0;

  /** `mss`: the connection's segment size, the unit of the window's growth. */
  constructor(private readonly mss: number) {
    this.bytes = INITIAL_WINDOW_SEGMENTS * mss;
  }

  get inSlowStart(): boolean {
    return this.slowStart;
  }

  /** The slow-start threshold in bytes (Infinity until a loss sets it). */
  get threshold(): number {
    return this.ssthresh;
  }

  /**
   * How fast Linux paces the window (tcp_update_pacing_rate): twice the
   * window per round trip while it is below half the slow-start threshold,
   * 1.2 times after (tcp_pacing_ss_ratio, tcp_pacing_ca_ratio).
   */
  get pacingRatio(): number {
    return this.bytes < this.ssthresh / 2 ? 2 : 1.2;
  }

  /** A round of the window ends at `now` (everything sent when the round began is acknowledged). */
  endRound(now: number): void {
    this.hystart.startRound(now);
  }

  /**
   * `acked` bytes were acknowledged at `now`, `rtt` seconds after the newest
   * of them was sent; `limited` says whether the window was what held the
   * sender back.
   */
  onAck(acked: number, rtt: number, now: number, limited: boolean): void {
    this.minRtt = Math.min(this.minRtt, rtt);
    const acks = Math.max(1, Math.ceil(acked / this.mss));
    if (this.slowStart && this.hystart.onAck(now, rtt, this.minRtt, this.bytes, this.bytes / this.mss, acks)) this.enterCongestionAvoidance(now);
    if (!limited || acked <= 0) return;
    if (this.slowStart) {
      this.bytes += acked;
      if (this.bytes >= this.ssthresh) {
        this.bytes = this.ssthresh;
        this.slowStart = false;
      }
      return;
    }
    this.cubicGrowth(acked / this.mss, now);
  }

  /**
   * A loss found by fast retransmit (RFC 9438, 4.6 and 4.7): the window
   * drops to beta times itself, W_max is remembered, and the next epoch
   * starts with the first growth after recovery.
   */
  onLoss(): void {
    this.reduce();
    this.bytes = this.ssthresh;
  }

  /**
   * The retransmission timer expired (RFC 5681, 3.1; RFC 9438, 4.8): the
   * threshold is set as for a loss, and the window restarts from one
   * segment in slow start.
   */
  onTimeout(): void {
    this.reduce();
    this.bytes = this.mss;
    this.slowStart = true;
  }

  private reduce(): void {
    const cwnd = this.bytes / this.mss;
    this.wMax = cwnd < this.wMax ? (cwnd * (1 + BETA_CUBIC)) / 2 : cwnd;
    const reduced = Math.max(2, cwnd * BETA_CUBIC);
    this.ssthresh = reduced * this.mss;
    this.slowStart = false;
    this.epochStart = undefined;
    this.k = Math.cbrt(Math.max(0, this.wMax - reduced) / C);
    this.wEst = reduced;
  }

  private enterCongestionAvoidance(now: number): void {
    this.slowStart = false;
    this.epochStart = now;
    this.wMax = this.bytes / this.mss;
    this.k = 0;
    this.wEst = this.wMax;
  }

  /** RFC 9438, 4.2 to 4.4, for `segments` acknowledged segments. */
  private cubicGrowth(segments: number, now: number): void {
    const cwnd = this.bytes / this.mss;
    const rtt = Number.isFinite(this.minRtt) ? this.minRtt : 0;
    this.epochStart ??= now;
    const t = now - this.epochStart;
    const wCubic = (elapsed: number) => C * (elapsed - this.k) ** 3 + this.wMax;
    this.wEst += (this.wEst >= this.wMax ? 1 : ALPHA_CUBIC) * (segments / cwnd);
    if (wCubic(t) < this.wEst) {
      this.bytes = Math.max(this.bytes, this.wEst * this.mss);
      return;
    }
    const target = Math.min(Math.max(wCubic(t + rtt), cwnd), 1.5 * cwnd);
    this.bytes += ((target - cwnd) / cwnd) * segments * this.mss;
  }
}
