/**
 * How Linux's CUBIC ends slow start before a loss does (HyStart, in
 * tcp_cubic.c's hystart_update): from a window of 16 segments on, at the
 * first of two signs that the flight has outgrown the path.
 *
 * - The ACK train: the acknowledgments of one round keep arriving, closely
 *   spaced (2 ms apart at most), for more than half the smallest round trip
 *   (plus Linux's allowance for ACKs a NIC aggregates). A round's ACKs come
 *   back spaced by the bottleneck, so their train outlasts half a round
 *   trip once the window exceeds half the path's bandwidth-delay product.
 *   The model's ACKs come in batches, one per look at the connection: a
 *   train counts once it is made of 8 of them at least, where a real one
 *   is of tens (on a route whose round trip is a look or two, its batches
 *   say nothing of the path).
 * - The delay: once a round has given 8 samples, its smallest round trip
 *   exceeds the connection's smallest by an eighth of it (4 to 16 ms): a
 *   queue has formed. Linux counts a sample per ACK, and the real kernel's
 *   receiver acknowledges every segment through slow start (the fidelity
 *   suite's 10 ms link: an ACK each 1448 bytes); a batch of the model's
 *   counts as the ACKs of the segments it acknowledges. Counted a sample
 *   per batch, a round would grow the window by 8 batches (some 30
 *   segments on that link) before its delay is judged, rather than by 8
 *   segments: the second of two flows sharing it left slow start at 114
 *   segments where the real one leaves at 90.
 */
export const LOW_WINDOW_SEGMENTS = 16;
/** hystart_ack_delta_us: acknowledgments further apart than this do not extend a train. */
const ACK_DELTA_SECONDS = 0.002;
/** HYSTART_MIN_SAMPLES: round trips a round gives before the delay is judged (and, here, ACKs a train is made of at least). */
const MIN_SAMPLES = 8;
/** HYSTART_DELAY_THRESH's bounds. */
const MIN_DELAY_THRESHOLD = 0.004;
const MAX_DELAY_THRESHOLD = 0.016;
/** hystart_ack_delay: at most 1 ms, less when the pacing rate sends 4 GSO-sized (64 KiB) bursts within it. */
const MAX_ACK_DELAY_SECONDS = 0.001;
const ACK_DELAY_BYTES = 4 * 65536;

export class HyStart {
  private roundStart = 0;
  private lastAck = 0;
  private roundMinRtt = Infinity;
  private samples = 0;
  /** Acknowledgments in the train under way since the round began. */
  private trainAcks = 0;

  /** A round begins at `now`: everything sent before it is acknowledged. */
  startRound(now: number): void {
    this.roundStart = now;
    this.lastAck = now;
    this.roundMinRtt = Infinity;
    this.samples = 0;
    this.trainAcks = 0;
  }

  /**
   * An acknowledgment at `now` measured `rtt`; the connection's smallest
   * round trip is `minRtt`, its window `windowBytes` (of `segments`
   * segments); it stands for `acks` of the real receiver's (one per
   * segment it acknowledges). Returns whether slow start should end.
   */
  onAck(now: number, rtt: number, minRtt: number, windowBytes: number, segments: number, acks = 1): boolean {
    if (segments < LOW_WINDOW_SEGMENTS) return false;
    if (now - this.lastAck <= ACK_DELTA_SECONDS) {
      this.lastAck = now;
      this.trainAcks++;
      // Linux paces at twice the window per round trip in slow start.
      const pacingRate = (2 * windowBytes) / minRtt;
      const ackDelay = Math.min(MAX_ACK_DELAY_SECONDS, ACK_DELAY_BYTES / pacingRate);
      if (this.trainAcks >= MIN_SAMPLES && now - this.roundStart > (minRtt + ackDelay) / 2) return true;
    }
    this.roundMinRtt = Math.min(this.roundMinRtt, rtt);
    // Linux judges the delay from the ACK after its 8th sample on: a batch holding that ACK is judged.
    const judged = this.samples + acks > MIN_SAMPLES;
    this.samples = Math.min(MIN_SAMPLES, this.samples + acks);
    if (!judged) return false;
    const threshold = Math.min(MAX_DELAY_THRESHOLD, Math.max(MIN_DELAY_THRESHOLD, minRtt / 8));
    return this.roundMinRtt > minRtt + threshold;
  }
}
