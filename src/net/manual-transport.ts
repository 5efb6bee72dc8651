import type { Transport } from './transport.js';

export interface PendingTransfer {
  readonly srcHost: string;
  readonly dstHost: string;
  readonly bytes: number;
}

interface Entry extends PendingTransfer {
  onDelivered: () => void;
  onCrossed?: (crossed: number) => void;
}

/**
 * A Transport whose transfers complete only when told, in any order: for
 * tests of the network and of the code built on it, without a simulator.
 */
export class ManualTransport implements Transport {
  /** Transfers started and counted bytes, for checking costs. */
  started = 0;
  bytesStarted = 0;
  private entries: Entry[] = [];

  /** The transfers not completed yet, oldest first. */
  get pending(): PendingTransfer[] {
    return this.entries.map(({ srcHost, dstHost, bytes }) => ({ srcHost, dstHost, bytes }));
  }

  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void, onCrossed?: (crossed: number) => void): void {
    this.started++;
    this.bytesStarted += bytes;
    this.entries.push({ srcHost, dstHost, bytes, onDelivered, onCrossed });
  }

  /** Completes the pending transfer at `index` (0 is the oldest). */
  complete(index: number): void {
    const [entry] = this.entries.splice(index, 1);
    if (entry === undefined) throw new Error(`no pending transfer #${index}`);
    entry.onDelivered();
  }

  /** Says that `crossed` bytes of the pending transfer at `index` have crossed so far. */
  cross(index: number, crossed: number): void {
    const entry = this.entries[index];
    if (entry === undefined) throw new Error(`no pending transfer #${index}`);
    if (entry.onCrossed === undefined) throw new Error(`pending transfer #${index} does not follow its bytes`);
    entry.onCrossed(crossed);
  }

  /** Completes the transfers pending now, oldest first, but not those they start: one network hop. */
  completeRound(): number {
    const round = this.entries;
    this.entries = [];
    for (const entry of round) entry.onDelivered();
    return round.length;
  }

  /** Completes rounds until nothing is pending; returns how many rounds it took. */
  completeAll(): number {
    let rounds = 0;
    while (this.entries.length > 0) {
      this.completeRound();
      rounds++;
    }
    return rounds;
  }
}
