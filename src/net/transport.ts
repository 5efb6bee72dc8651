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
 * choice), when it asks each of its transfers how far it got.
 */
export interface Transport {
  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void): Transfer;
  /**
   * Calls `look` every so often, at dates when bytes from `srcHost` to
   * `dstHost` may have crossed, for as long as it returns true.
   */
  follow(srcHost: string, dstHost: string, look: () => boolean): void;
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
