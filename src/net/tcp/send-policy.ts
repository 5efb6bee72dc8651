/** The largest burst Linux hands its NIC at once: a 64 KiB TSO segment holds 44 full segments. */
const LARGEST_BURST_SEGMENTS = 44;
/** tcp_min_tso_segs: the smallest burst autosizing chooses. */
const MIN_BURST_SEGMENTS = 2;
/** sk_pacing_shift (10): autosizing hands the NIC what the pacing rate sends in 2^-10 s. */
const BURST_SECONDS = 1 / 1024;
/** Linux's tcp_tso_win_divisor: a burst worth sending is at least this fraction of the window. */
const TSO_WIN_DIVISOR = 3;

/** What holds a partial segment back, besides the windows. */
export interface HoldRules {
  /** TCP_NODELAY: Nagle's algorithm is off. */
  noDelay: boolean;
  /** TCP_CORK, or the write under way came with MSG_MORE: partial segments wait. */
  corked: boolean;
  /** Everything goes: the FIN follows it, or the cork's ceiling passed. */
  pushAll: boolean;
  /** An ACK is due soon: the oldest byte in flight left more than half a round trip ago. */
  ackDue: boolean;
}

/**
 * The burst Linux hands its NIC at once (tcp_tso_autosize): what the
 * pacing rate (bytes per second) sends in about a millisecond, in whole
 * segments of `mss` bytes, from 2 segments to a 64 KiB TSO segment.
 */
export function largestBurst(pacingRate: number, mss: number): number {
  const segments = Math.floor((pacingRate * BURST_SECONDS) / mss);
  return Math.min(LARGEST_BURST_SEGMENTS, Math.max(MIN_BURST_SEGMENTS, segments)) * mss;
}

/**
 * How many of the `unsent` bytes a sender lets go now, when the congestion
 * and receive windows allow `allowed` more bytes in flight out of `window`
 * and `outstanding` are sent and unacknowledged, in segments of `mss`
 * bytes; `smallUnacked` says whether a segment shorter than that is among those.
 *
 * Only whole segments go while more waits than the windows allow (a
 * partial one would only be followed by another: silly-window avoidance,
 * RFC 1122 4.2.3.4), unless the windows are smaller than a segment and
 * nothing is in flight to open them; and, when an ACK is due soon, only a
 * burst worth it, as Linux defers small TSO bursts (tcp_tso_should_defer):
 * a full burst (`burst`, see largestBurst) or a third of the window, else
 * that ACK will open more. When all that waits may go, its last,
 * partial segment waits while the socket is corked (tcp(7): TCP_CORK,
 * MSG_MORE), or under Nagle's algorithm (RFC 896) as Linux applies it with
 * Minshall's refinement (tcp_nagle_check): while a partial segment already
 * sent is unacknowledged.
 */
export function bytesToSend(
  unsent: number,
  allowed: number,
  window: number,
  outstanding: number,
  smallUnacked: boolean,
  rules: HoldRules,
  mss: number,
  burst = LARGEST_BURST_SEGMENTS * mss,
): number {
  if (unsent <= 0 || allowed <= 0) return 0;
  if (allowed < unsent) {
    if (outstanding === 0) return Math.max(Math.floor(allowed / mss) * mss, allowed < mss ? allowed : 0);
    const burstWorthIt = rules.ackDue ? Math.min(burst, window / TSO_WIN_DIVISOR) : 0;
    return allowed >= burstWorthIt ? Math.floor(allowed / mss) * mss : 0;
  }
  const partial = unsent % mss;
  if (partial === 0 || rules.pushAll) return unsent;
  const hold = rules.corked || (!rules.noDelay && outstanding > 0 && smallUnacked);
  return hold ? unsent - partial : unsent;
}
