/**
 * How bytes cross the simulated platform. The mediator maps `start` onto a
 * SimGrid comm from `srcHost` to `dstHost` and calls `onDelivered` when the
 * comm completes; tests use a fake that completes on demand. Zero-byte
 * transfers carry control segments (SYN, FIN, RST...): they pay the route's
 * latency, as headers are not counted for data either.
 *
 * A stream's bytes reach its reader as they cross, not only when a whole
 * transfer ends: a stream with a good deal under way asks to be followed,
 * and is then looked at from time to time (how often is the transport's
 * choice), when it asks each of its transfers how far it got. Such a stream
 * keeps few transfers under way, as a TCP connection is one flow, not one
 * per write: see `holdAbove`.
 */
export interface Transport {
  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void): Transfer;
  /**
   * Calls `look` every so often, at dates when bytes from `srcHost` to
   * `dstHost` may have crossed, for as long as it returns true.
   */
  follow(srcHost: string, dstHost: string, look: () => boolean): void;
  /**
   * Bytes under way from `srcHost` to `dstHost` above which a followed
   * stream's next bytes may wait, to leave later as one transfer, without
   * arriving any later: what the route carries during its latency plus
   * between two looks. Infinity while the transport cannot tell.
   */
  holdAbove(srcHost: string, dstHost: string): number;
}

export interface Transfer {
  /** How many of its bytes have crossed so far (whole bytes); asked only before it is delivered. */
  crossed(): number;
}

/**
 * Bytes of streams under way from which a stream is worth following: less
 * arrives in one piece anyway, and following it would only cost looks.
 */
export const FOLLOWED_STREAM_BYTES = 256 * 1024;
