/**
 * How bytes cross the simulated platform. The mediator maps `start` onto a
 * SimGrid comm from `srcHost` to `dstHost` and calls `onDelivered` when the
 * comm completes; tests use a fake that completes on demand. Zero-byte
 * transfers carry control segments (SYN, FIN, RST...): they pay the route's
 * latency, as headers are not counted for data either.
 */
export interface Transport {
  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void): void;
}
