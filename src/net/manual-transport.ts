import type { Bottleneck } from './tcp/drop-tail.js';
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

interface Timer {
  at: number;
  action: () => void;
}

/**
 * A Transport whose transfers complete only when told, in any order, whose
 * followed streams are looked at only when told, and whose clock moves only
 * when told (running the timers it passes): for tests of the network and of
 * the code built on it, without a simulator.
 */
export class ManualTransport implements Transport {
  /** The bottleneck every route has (none by default: nothing is ever lost). */
  bottleneckOfRoutes: Bottleneck | undefined;
  /** Transfers started and counted bytes, for checking costs. */
  started = 0;
  bytesStarted = 0;
  private clock = 0;
  private entries: Entry[] = [];
  private looks: Array<() => boolean> = [];
  private timers: Timer[] = [];

  /** The transfers not completed yet, oldest first. */
  get pending(): PendingTransfer[] {
    return this.entries.map(({ srcHost, dstHost, bytes }) => ({ srcHost, dstHost, bytes }));
  }

  /** How many streams are followed. */
  get followed(): number {
    return this.looks.length;
  }

  start(srcHost: string, dstHost: string, bytes: number, _payload: number, onDelivered: () => void): Transfer {
    this.started++;
    this.bytesStarted += bytes;
    const entry: Entry = { srcHost, dstHost, bytes, onDelivered, crossed: 0 };
    this.entries.push(entry);
    return {
      crossed: () => entry.crossed,
      cancel: () => {
        this.entries = this.entries.filter((other) => other !== entry);
      },
    };
  }

  follow(_srcHost: string, _dstHost: string, _period: number, look: () => boolean): void {
    this.looks.push(look);
  }

  now(): number {
    return this.clock;
  }

  bottleneck(_srcHost: string, _dstHost: string): Bottleneck | undefined {
    return this.bottleneckOfRoutes;
  }

  after(seconds: number, action: () => void): void {
    this.timers.push({ at: this.clock + seconds, action });
    this.timers.sort((a, b) => a.at - b.at);
  }

  /** Moves the clock `seconds` on, running the timers due on the way, in order. */
  advance(seconds: number): void {
    const end = this.clock + seconds;
    for (let timer = this.timers[0]; timer !== undefined && timer.at <= end; timer = this.timers[0]) {
      this.timers.shift();
      this.clock = timer.at;
      timer.action();
    }
    this.clock = end;
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

  /** Completes the transfers pending now, oldest first, but not those they start, then looks at the followed streams: one network hop. */
  completeRound(): number {
    const round = this.entries;
    this.entries = [];
    for (const entry of round) entry.onDelivered();
    this.look();
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
