// Medians and spreads of a row's runs.

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('the median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * How far apart the runs of a row fell: the interquartile range over the
 * median (with 5 runs, the 2nd and 4th values; with 3 or fewer, all of
 * them). One run the busy machine delayed does not widen it, as it would
 * the full range.
 */
export function spread(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const last = sorted.length - 1;
  const lower = sorted[Math.floor(last / 4)]!;
  const upper = sorted[Math.ceil((3 * last) / 4)]!;
  return (upper - lower) / median(values);
}
