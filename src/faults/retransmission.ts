/**
 * Linux's TCP retransmission timer, for segments a fault loses (tcp(7),
 * Documentation/networking/ip-sysctl.rst): the first retransmission comes
 * one RTO after the segment left, each later one after twice the previous
 * wait (capped at TCP_RTO_MAX), until the connection gives up with
 * ETIMEDOUT. The limit is a time, not a count (retransmits_timed_out):
 * what tcp_retries2 (15) retransmissions would take from TCP_RTO_MIN, 924.6 s;
 * for a SYN, what tcp_syn_retries (6) take from TCP_TIMEOUT_INIT, 127 s;
 * TCP_USER_TIMEOUT replaces it when set, and the timer is clamped to fire then.
 */

/** TCP_RTO_MIN: the floor of the retransmission timeout (200 ms). */
export const RTO_MIN = 0.2;
/** TCP_RTO_MAX: backoff stops doubling here (120 s). */
export const RTO_MAX = 120;
/** TCP_TIMEOUT_INIT: a SYN's first retransmission timeout (1 s). */
export const SYN_RTO = 1;
/** net.ipv4.tcp_retries2's default. */
export const RETRIES2 = 15;
/** net.ipv4.tcp_syn_retries's default. */
export const SYN_RETRIES = 6;

/** The time `retries` retransmissions take from a first timeout `base`, doubling up to RTO_MAX (Linux's tcp_model_timeout). */
export function retransmissionSpan(retries: number, base: number): number {
  const doublings = Math.floor(Math.log2(RTO_MAX / base));
  if (retries <= doublings) return (2 ** (retries + 1) - 1) * base;
  return (2 ** (doublings + 1) - 1) * base + (retries - doublings) * RTO_MAX;
}

/**
 * Linux's RTO for a path of this round trip: srtt plus the variance term,
 * which never goes below TCP_RTO_MIN (tcp_set_rto); on a steady simulated
 * path the variance is nil, so the floor is what counts.
 */
export function retransmissionTimeout(roundTrip: number): number {
  return Math.min(roundTrip + RTO_MIN, RTO_MAX);
}

/** Far below any timeout, far above the rounding of a sum of a few dozen waits. */
const DATE_ROUNDING = 1e-9;

/** One sender's timer while segments of its are lost: when each retransmission goes, and when it gives up. */
export class RetransmissionTimer {
  /** Retransmissions made so far. */
  backoffs = 0;
  /** The date of the next retransmission. */
  nextAt: number;
  private readonly giveUpAt: number;

  /**
   * @param firstSent when the oldest lost segment left
   * @param timeout the first retransmission timeout
   * @param limit how long after `firstSent` the connection gives up
   * @param userTimeout TCP_USER_TIMEOUT (0: none): the timer fires at it rather than past it
   */
  constructor(
    readonly firstSent: number,
    private readonly timeout: number,
    limit: number,
    private readonly userTimeout: number,
  ) {
    this.giveUpAt = firstSent + limit;
    this.nextAt = this.clamped(firstSent + timeout);
  }

  /** For a sender whose segment, sent at `now`, is lost. */
  static forSender(now: number, sender: { syn: boolean; roundTrip(): number; userTimeout(): number }): RetransmissionTimer {
    const userTimeout = sender.userTimeout();
    const timeout = sender.syn ? SYN_RTO : retransmissionTimeout(sender.roundTrip());
    const limit = userTimeout > 0 ? userTimeout : sender.syn ? retransmissionSpan(SYN_RETRIES, SYN_RTO) : retransmissionSpan(RETRIES2, RTO_MIN);
    return new RetransmissionTimer(now, timeout, limit, userTimeout);
  }

  /** Whether the connection gives up rather than retransmit at `now` (the dates are sums of waits: their rounding is forgiven). */
  expired(now: number): boolean {
    return now >= this.giveUpAt - DATE_ROUNDING;
  }

  /** A retransmission went at `now` and was lost again: the next waits twice as long. */
  backOff(now: number): void {
    this.backoffs++;
    this.nextAt = this.clamped(now + Math.min(this.timeout * 2 ** this.backoffs, RTO_MAX));
  }

  private clamped(date: number): number {
    return this.userTimeout > 0 ? Math.min(date, this.giveUpAt) : date;
  }
}
