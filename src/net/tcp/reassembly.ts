/** A range of sequence numbers, [from, to). */
export type SequenceRange = readonly [from: number, to: number];

/**
 * A receiver's view of the sequence space: the bytes it has in order (the
 * reader may take them, the cumulative ACK covers them) and the blocks that
 * arrived past a hole (held, reported in SACK blocks, RFC 2018) until the
 * hole fills.
 */
export class Reassembly {
  private inOrder = 0;
  /** Out-of-order blocks, sorted, disjoint, not touching, all above `inOrder`. */
  private blocks: [number, number][] = [];

  /** Every byte before this one arrived. */
  get inOrderUpTo(): number {
    return this.inOrder;
  }

  /** Whether bytes past a hole are held. */
  get hasHoles(): boolean {
    return this.blocks.length > 0;
  }

  /** The out-of-order blocks, as an ACK's SACK option reports them (lowest first). */
  sackBlocks(): SequenceRange[] {
    return this.blocks.map(([from, to]) => [from, to] as const);
  }

  /** Bytes [from, to) arrived (maybe again); returns how many bytes became in order. */
  receive(from: number, to: number): number {
    if (to <= this.inOrder) return 0;
    this.insert(Math.max(from, this.inOrder), to);
    const before = this.inOrder;
    const first = this.blocks[0];
    if (first !== undefined && first[0] <= this.inOrder) {
      this.inOrder = first[1];
      this.blocks.shift();
    }
    return this.inOrder - before;
  }

  private insert(from: number, to: number): void {
    let start = from;
    let end = to;
    const kept: [number, number][] = [];
    for (const block of this.blocks) {
      if (block[1] < start || block[0] > end) kept.push(block);
      else {
        start = Math.min(start, block[0]);
        end = Math.max(end, block[1]);
      }
    }
    kept.push([start, end]);
    kept.sort((a, b) => a[0] - b[0]);
    this.blocks = kept;
  }
}

/**
 * The sequence ranges that are under way to a receiver, lowest first. A
 * route carries a connection's segments in order, where SimGrid shares a
 * link between comms fluidly and may complete a later, smaller flight
 * first: so whichever flight's bytes cross, they are the lowest ones under
 * way. Only a loss (a range never added, or added again by its
 * retransmission) leaves a hole at the receiver.
 */
export class InTransit {
  private ranges: [number, number][] = [];
  private head = 0;

  /** Bytes [from, to) left (ranges are added in sending order, a retransmission below what is under way). */
  add(from: number, to: number): void {
    if (from >= to) return;
    let at = this.ranges.length;
    while (at > this.head && this.ranges[at - 1]![0] > from) at--;
    this.ranges.splice(at, 0, [from, to]);
  }

  /** `bytes` crossed: the lowest ranges under way, in order. */
  take(bytes: number): SequenceRange[] {
    const taken: SequenceRange[] = [];
    let left = bytes;
    while (left > 0 && this.head < this.ranges.length) {
      const range = this.ranges[this.head]!;
      const size = Math.min(left, range[1] - range[0]);
      taken.push([range[0], range[0] + size]);
      range[0] += size;
      left -= size;
      if (range[0] === range[1]) this.head++;
    }
    if (this.head > 64 && this.head * 2 > this.ranges.length) {
      this.ranges = this.ranges.slice(this.head);
      this.head = 0;
    }
    return taken;
  }
}
