/**
 * How a run used its hosts' CPUs and its links over virtual time, for the
 * report's `usage` and `simterpose plot`: amounts (CPU seconds, payload
 * bytes) summed over intervals of one length, the same for every host and
 * link so that their charts share one axis.
 *
 * The interval starts at about a microsecond (a millisecond divided by
 * 1024) and doubles, its intervals merging in pairs, whenever the run
 * outgrows MAX_INTERVALS of them: a run of any length keeps at most that
 * many numbers per host and link, and its interval is a millisecond times a
 * power of two (1 ms, 2 ms... 1.024 s), at least a MAX_INTERVALS-th of the run.
 */
export const MAX_INTERVALS = 500;
export const FIRST_INTERVAL = 1e-3 / 1024;

export class UsageSeries {
  private currentInterval = FIRST_INTERVAL;
  private readonly tracks = new Map<string, number[]>();

  get interval(): number {
    return this.currentInterval;
  }

  /**
   * Adds `amount`, spread evenly from `start` to `end` (SimGrid gives an
   * activity's total, not its rate at each instant); an amount with no
   * duration falls in the interval of its date.
   */
  add(name: string, amount: number, start: number, end: number): void {
    if (amount === 0) return;
    this.cover(end);
    const amounts = this.amountsOf(name);
    const first = this.indexOf(start);
    const last = this.indexOf(end);
    if (end <= start || first === last) {
      amounts[first] = (amounts[first] ?? 0) + amount;
      return;
    }
    const rate = amount / (end - start);
    for (let i = first; i <= last; i++) {
      const from = Math.max(start, i * this.currentInterval);
      const to = Math.min(end, (i + 1) * this.currentInterval);
      if (to > from) amounts[i] = (amounts[i] ?? 0) + rate * (to - from);
    }
  }

  /** What `name` used in each interval from date 0 to `until` (zeros for a name never used), each amount rounded with `round`. */
  amountsUntil(until: number, name: string, round: (amount: number) => number): number[] {
    this.cover(until);
    const length = Math.max(1, Math.ceil(until / this.currentInterval));
    // Most hosts and links of a large platform carry nothing: their zeros are filled at once, not by a call per interval (9 ms for 100 hosts).
    const rounded = new Array<number>(length).fill(0);
    const amounts = this.tracks.get(name);
    if (amounts !== undefined) for (let i = 0; i < Math.min(length, amounts.length); i++) rounded[i] = round(amounts[i] ?? 0);
    return rounded;
  }

  private amountsOf(name: string): number[] {
    let amounts = this.tracks.get(name);
    if (amounts === undefined) {
      amounts = [];
      this.tracks.set(name, amounts);
    }
    return amounts;
  }

  private indexOf(date: number): number {
    return Math.max(0, Math.floor(date / this.currentInterval));
  }

  /** Doubles the interval until `date` falls within MAX_INTERVALS of them. */
  private cover(date: number): void {
    while (date >= MAX_INTERVALS * this.currentInterval) {
      this.currentInterval *= 2;
      for (const [name, amounts] of this.tracks) {
        const merged: number[] = [];
        for (let i = 0; i < amounts.length; i += 2) merged.push((amounts[i] ?? 0) + (amounts[i + 1] ?? 0));
        this.tracks.set(name, merged);
      }
    }
  }
}
