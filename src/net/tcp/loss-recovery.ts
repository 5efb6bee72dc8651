import type { SequenceRange } from './reassembly.js';

/** RFC 6675's DupThresh: a hole is lost once more than (DupThresh - 1) segments' worth of bytes above it arrived. */
const DUP_THRESH = 3;

/** What an acknowledgment tells the sender about losses. */
export interface AckVerdict {
  /** Holes now deemed lost, to retransmit, lowest first. */
  lost: SequenceRange[];
  /** The first loss of a window: the congestion window is to be reduced (once per recovery). */
  enteredRecovery: boolean;
}

/**
 * A sender's SACK scoreboard and recovery state (RFC 6675, as Linux
 * recovers with SACK: the holes below enough SACKed bytes are retransmitted
 * at once, the window is reduced once, and recovery lasts until everything
 * sent before it began is acknowledged, about one round trip). A hole whose
 * retransmission is lost again, or a loss at the tail of what was sent (no
 * byte above it to be SACKed), waits for the retransmission timer
 * (`timedOut`).
 */
export class LossRecovery {
  private sacked: SequenceRange[] = [];
  /** Holes below this were retransmitted (and are not retransmitted again but by a timeout). */
  private retransmittedUpTo = 0;
  /** While in recovery: the highest sequence sent when it began. */
  private recoveryPoint: number | undefined;
  private readonly lostOnceSackedAbove: number;

  /** `mss`: the connection's segment size, in which DupThresh counts. */
  constructor(mss: number) {
    this.lostOnceSackedAbove = (DUP_THRESH - 1) * mss;
  }

  get inRecovery(): boolean {
    return this.recoveryPoint !== undefined;
  }

  /** Bytes above the cumulative ACK that the receiver reported holding. */
  get sackedBytes(): number {
    return this.sacked.reduce((sum, [from, to]) => sum + to - from, 0);
  }

  /** An ACK up to `ackedUpTo`, with the receiver's SACK blocks, when `sentUpTo` bytes have been sent. */
  onAck(ackedUpTo: number, blocks: readonly SequenceRange[], sentUpTo: number): AckVerdict {
    this.sacked = blocks.filter(([, to]) => to > ackedUpTo).map(([from, to]) => [Math.max(from, ackedUpTo), to] as const);
    // Everything sent before recovery began is acknowledged: congestion avoidance resumes.
    if (this.recoveryPoint !== undefined && ackedUpTo >= this.recoveryPoint) this.recoveryPoint = undefined;
    const lost = this.holes(ackedUpTo).filter(([, to]) => this.sackedAbove(to) > this.lostOnceSackedAbove);
    const enteredRecovery = lost.length > 0 && this.recoveryPoint === undefined;
    if (enteredRecovery) this.recoveryPoint = sentUpTo;
    if (lost.length > 0) this.retransmittedUpTo = lost[lost.length - 1]![1];
    return { lost, enteredRecovery };
  }

  /**
   * The retransmission timer expired: the first hole (everything from the
   * cumulative ACK to the first SACKed block, or to what was sent) is
   * retransmitted, and holes above it may be deemed lost again.
   */
  timedOut(ackedUpTo: number, sentUpTo: number): SequenceRange {
    const first: SequenceRange = [ackedUpTo, this.sacked[0]?.[0] ?? sentUpTo];
    this.retransmittedUpTo = first[1];
    this.recoveryPoint = sentUpTo;
    return first;
  }

  /** The holes between the cumulative ACK and the highest SACKed byte, not retransmitted yet. */
  private holes(ackedUpTo: number): SequenceRange[] {
    const holes: SequenceRange[] = [];
    let from = ackedUpTo;
    for (const [start, end] of this.sacked) {
      const holeFrom = Math.max(from, this.retransmittedUpTo);
      if (start > holeFrom) holes.push([holeFrom, start]);
      from = end;
    }
    return holes;
  }

  private sackedAbove(sequence: number): number {
    return this.sacked.reduce((sum, [from, to]) => sum + Math.max(0, to - Math.max(from, sequence)), 0);
  }
}

/** Linux's floor under the retransmission timeout (TCP_RTO_MIN, 200 ms). */
export const MIN_RTO_SECONDS = 0.2;
/** RFC 6298, 2.1: the timeout before any round trip is measured. */
export const INITIAL_RTO_SECONDS = 1;
/** RFC 6298, 5.5: the backed-off timeout stops doubling here (Linux's TCP_RTO_MAX). */
const MAX_RTO_SECONDS = 120;

/** RFC 6298, 2.3, with Linux's floor under the variation term: the timeout for a smoothed round trip and its variation (seconds). */
export function timeoutFor(srtt: number, rttvar: number): number {
  return srtt + Math.max(4 * rttvar, MIN_RTO_SECONDS);
}

/**
 * The retransmission timeout of RFC 6298: a smoothed round trip and its
 * variation (alpha 1/8, beta 1/4), with Linux's floor applied to the
 * variation term (tcp_set_rto: the timeout is SRTT plus at least 200 ms),
 * doubled at each expiry until a new measurement.
 */
export class RetransmitTimeout {
  private srtt: number | undefined;
  private rttvar = 0;
  private backoff = 1;

  /** A round trip measured on bytes never retransmitted (Karn's rule). */
  sample(rtt: number): void {
    if (this.srtt === undefined) {
      this.srtt = rtt;
      this.rttvar = rtt / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - rtt);
      this.srtt = 0.875 * this.srtt + 0.125 * rtt;
    }
    this.backoff = 1;
  }

  /** The smoothed round trip (SRTT), in seconds; undefined before any measurement. */
  get smoothed(): number | undefined {
    return this.srtt;
  }

  /** RTTVAR, in seconds (meaningful once `smoothed` is). */
  get variation(): number {
    return this.rttvar;
  }

  /** The timeout now, in seconds. */
  get seconds(): number {
    const base = this.srtt === undefined ? INITIAL_RTO_SECONDS : timeoutFor(this.srtt, this.rttvar);
    return Math.min(MAX_RTO_SECONDS, base * this.backoff);
  }

  /** The timer expired: the next timeout is twice as long (RFC 6298, 5.5). */
  expired(): void {
    this.backoff *= 2;
  }
}
