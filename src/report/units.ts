/** Durations and sizes as people read them: 3 significant digits and a unit that fits. */

const DURATION_UNITS: ReadonlyArray<[number, string]> = [
  [3600, 'h'],
  [60, 'min'],
  [1, 's'],
  [1e-3, 'ms'],
  [1e-6, 'µs'],
  [1e-9, 'ns'],
];

export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0 s';
  for (const [size, unit] of DURATION_UNITS) {
    if (Math.abs(seconds) >= size) return `${significant(seconds / size)} ${unit}`;
  }
  return `${significant(seconds / 1e-9)} ns`;
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** Decimal units, as SimGrid platforms give bandwidths (10MBps is 10e6 bytes per second). */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < BYTE_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${significant(value)} ${BYTE_UNITS[unit]}`;
}

function significant(value: number): string {
  return Number(value.toPrecision(3)).toString();
}
