/**
 * How bytes cross the simulated platform. The mediator maps `start` onto a
 * SimGrid comm from `srcHost` to `dstHost` and calls `onDelivered` when the
 * comm completes; tests use a fake that completes on demand. Zero-byte
 * transfers carry control segments (SYN, FIN, RST...): they pay the route's
 * latency, as headers are not counted for data either.
 *
 * A stream's bytes reach the receiver as they cross, not only when a whole
 * transfer ends: `onCrossed`, when given, is told from time to time how many
 * of the transfer's bytes have crossed so far; what is left crosses with
 * `onDelivered`. How often is the transport's choice.
 */
export interface Transport {
  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void, onCrossed?: (crossed: number) => void): void;
}
