import { MSS } from '../wire.js';

/** RFC 6928: a connection starts with 10 segments in flight. */
export const INITIAL_WINDOW_SEGMENTS = 10;
/** RFC 9438, section 5: CUBIC's constants. */
const C = 0.4;
const BETA_CUBIC = 0.7;
/** RFC 9438, section 4.3: the Reno-friendly estimate grows by this many segments per window before it reaches W_max. */
const ALPHA_CUBIC = (3 * (1 - BETA_CUBIC)) / (1 + BETA_CUBIC);
/** RFC 9406 (HyStart++), section 4.3: bounds of the delay increase that ends slow start. */
const MIN_RTT_THRESHOLD = 0.004;
const MAX_RTT_THRESHOLD = 0.016;
const MIN_RTT_DIVISOR = 8;

/**
 * A sender's congestion window, as Linux's default CUBIC grows it.
 *
 * Slow start (RFC 5681, 3.1) adds every acknowledged byte to the window,
 * from an initial window of 10 segments (RFC 6928). This model loses no
 * segments (SimGrid shares bandwidth, it does not drop), so slow start ends
 * as HyStart++ (RFC 9406) ends it: when the round trips of a round grow by
 * more than an eighth of the smallest one (4 to 16 ms), as they do once the
 * flight no longer fits in the path and queues. Congestion avoidance then
 * follows CUBIC (RFC 9438) from that window, as after a slow start left
 * without loss (4.2: W_max is the window, K is 0), and never below its
 * Reno-friendly estimate (4.3). The window grows only while it limits the
 * sender, as Linux grows it (tcp_is_cwnd_limited): a sender held back by
 * the receiver's window or by its application does not inflate it.
 */
export class CongestionWindow {
  /** The congestion window, in bytes. */
  bytes = INITIAL_WINDOW_SEGMENTS * MSS;
  /** The smallest round trip seen, in seconds (Infinity before the first). */
  minRtt = Infinity;
  private slowStart = true;
  /** HyStart++: the smallest round trip of the round under way and of the one before. */
  private roundMinRtt = Infinity;
  private lastRoundMinRtt = Infinity;
  /** CUBIC's epoch: when congestion avoidance began, and W_max in segments. */
  private epochStart = 0;
  private wMax = 0;
  /** RFC 9438's Reno-friendly estimate, in segments. */
  private wEst = 0;

  get inSlowStart(): boolean {
    return this.slowStart;
  }

  /** A round of the window ends (everything sent when the round began is acknowledged). */
  endRound(): void {
    this.lastRoundMinRtt = this.roundMinRtt;
    this.roundMinRtt = Infinity;
  }

  /**
   * `acked` bytes were acknowledged at `now`, `rtt` seconds after the newest
   * of them was sent; `limited` says whether the window was what held the
   * sender back.
   */
  onAck(acked: number, rtt: number, now: number, limited: boolean): void {
    this.minRtt = Math.min(this.minRtt, rtt);
    this.roundMinRtt = Math.min(this.roundMinRtt, rtt);
    if (this.slowStart && this.delayGrew()) this.enterCongestionAvoidance(now);
    if (!limited || acked <= 0) return;
    if (this.slowStart) {
      this.bytes += acked;
      return;
    }
    this.cubicGrowth(acked / MSS, now);
  }

  /** RFC 9406, 4.3: this round's smallest round trip exceeds the last round's by the threshold. */
  private delayGrew(): boolean {
    if (!Number.isFinite(this.lastRoundMinRtt) || !Number.isFinite(this.roundMinRtt)) return false;
    const threshold = Math.min(MAX_RTT_THRESHOLD, Math.max(MIN_RTT_THRESHOLD, this.lastRoundMinRtt / MIN_RTT_DIVISOR));
    return this.roundMinRtt >= this.lastRoundMinRtt + threshold;
  }

  private enterCongestionAvoidance(now: number): void {
    this.slowStart = false;
    this.epochStart = now;
    this.wMax = this.bytes / MSS;
    this.wEst = this.wMax;
  }

  /** RFC 9438, 4.2 to 4.4, for `segments` acknowledged segments. */
  private cubicGrowth(segments: number, now: number): void {
    const cwnd = this.bytes / MSS;
    const rtt = Number.isFinite(this.minRtt) ? this.minRtt : 0;
    const t = now - this.epochStart;
    // K is 0: the epoch began at W_max, without a reduction.
    const wCubic = (elapsed: number) => C * elapsed ** 3 + this.wMax;
    this.wEst += (this.wEst >= this.wMax ? 1 : ALPHA_CUBIC) * (segments / cwnd);
    if (wCubic(t) < this.wEst) {
      this.bytes = Math.max(this.bytes, this.wEst * MSS);
      return;
    }
    const target = Math.min(Math.max(wCubic(t + rtt), cwnd), 1.5 * cwnd);
    this.bytes += ((target - cwnd) / cwnd) * segments * MSS;
  }
}
