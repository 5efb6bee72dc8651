import type { Transfer, Transport } from './transport.js';

export interface PendingTransfer {
  readonly srcHost: string;
  readonly dstHost: string;
  readonly bytes: number;
}

interface Entry extends PendingTransfer {
  onDelivered: () => void;
  crossed: number;
}

/**
 * A Transport whose transfers complete only when told, in any order, and
 * whose followed streams are looked at only when told: for tests of the
 * network and of the code built on it, without a simulator.
 */
export class ManualTransport implements Transport {
  /** Transfers started and counted bytes, for checking costs. */
  started = 0;
  bytesStarted = 0;
  /** What `holdAbove` answers for every route. */
  holdBytes = Infinity;
  private entries: Entry[] = [];
  private looks: Array<() => boolean> = [];

  /** The transfers not completed yet, oldest first. */
  get pending(): PendingTransfer[] {
    return this.entries.map(({ srcHost, dstHost, bytes }) => ({ srcHost, dstHost, bytes }));
  }

  /** How many streams are followed. */
  get followed(): number {
    return this.looks.length;
  }

  start(srcHost: string, dstHost: string, bytes: number, onDelivered: () => void): Transfer {
    this.started++;
    this.bytesStarted += bytes;
    const entry: Entry = { srcHost, dstHost, bytes, onDelivered, crossed: 0 };
    this.entries.push(entry);
    return { crossed: () => entry.crossed };
  }

  follow(_srcHost: string, _dstHost: string, look: () => boolean): void {
    this.looks.push(look);
  }

  holdAbove(_srcHost: string, _dstHost: string): number {
    return this.holdBytes;
  }

  /** Completes the pending transfer at `index` (0 is the oldest). */
  complete(index: number): void {
    const [entry] = this.entries.splice(index, 1);
    if (entry === undefined) throw new Error(`no pending transfer #${index}`);
    entry.onDelivered();
  }

  /** `crossed` bytes of the pending transfer at `index` have crossed so far; followed streams see it at the next look. */
  cross(index: number, crossed: number): void {
    const entry = this.entries[index];
    if (entry === undefined) throw new Error(`no pending transfer #${index}`);
    entry.crossed = crossed;
  }

  /** Looks at every followed stream once; those that say so are no longer followed. */
  look(): void {
    const looks = this.looks;
    this.looks = [];
    for (const look of looks) if (look()) this.looks.push(look);
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
