import { MSS } from '../wire.js';

/** What holds a partial segment back, besides the windows. */
export interface HoldRules {
  /** TCP_NODELAY: Nagle's algorithm is off. */
  noDelay: boolean;
  /** TCP_CORK, or the write under way came with MSG_MORE: partial segments wait. */
  corked: boolean;
  /** Everything goes: the FIN follows it, or the cork's ceiling passed. */
  pushAll: boolean;
}

/**
 * How many of the `unsent` bytes a sender lets go now, when the congestion
 * and receive windows allow `allowed` more bytes in flight and `outstanding`
 * are sent and unacknowledged; `smallUnacked` says whether a segment shorter
 * than MSS is among those.
 *
 * Only whole segments go while more waits than the windows allow (a
 * partial one would only be followed by another: silly-window avoidance,
 * RFC 1122 4.2.3.4), unless the windows are smaller than a segment and
 * nothing is in flight to open them. When all that waits may go, its last,
 * partial segment waits while the socket is corked (tcp(7): TCP_CORK,
 * MSG_MORE), or under Nagle's algorithm (RFC 896) as Linux applies it with
 * Minshall's refinement (tcp_nagle_check): while a partial segment already
 * sent is unacknowledged.
 */
export function bytesToSend(unsent: number, allowed: number, outstanding: number, smallUnacked: boolean, rules: HoldRules): number {
  if (unsent <= 0 || allowed <= 0) return 0;
  if (allowed < unsent) {
    const whole = Math.floor(allowed / MSS) * MSS;
    return whole > 0 || outstanding > 0 ? whole : allowed;
  }
  const partial = unsent % MSS;
  if (partial === 0 || rules.pushAll) return unsent;
  const hold = rules.corked || (!rules.noDelay && outstanding > 0 && smallUnacked);
  return hold ? unsent - partial : unsent;
}
