// Judging rows against their bounds, and printing the table (text, JSON, CSV).
import { AWAITING_TCP_MODEL, BOUND, type Profile, type ProfileName, RELAY_BOUND, type RowName, type TableRow, type Unit, WIDE_BOUND } from './config.js';
import type { RelayCheck } from './relay-check.js';
import { median, spread } from './stats.js';

export type Verdict = 'in' | 'out';

export interface RowResult {
  profile: ProfileName;
  row: RowName;
  unit: Unit;
  real: number[];
  realMedian: number;
  realSpread: number;
  simterpose: number;
  ratio: number;
  /** 0.1, or 0.2 when the real kernel's runs spread more than 10%. */
  bound: number;
  verdict: Verdict;
  /** False for rows of AWAITING_TCP_MODEL: printed, not held to their bound. */
  checked: boolean;
}

export interface RelayResult extends RelayCheck {
  profile: string;
  pingError: number;
  rateError: number;
  verdict: Verdict;
  /** Frames the relay released over 100 us after their time during the profile's runs (kept from the CPU), of all it relayed: not judged, it tells why the real runs spread. */
  lateFrames: number;
  relayedFrames: number;
}

/** A row's result; `awaiting` lists the rows printed but not held to their bound (AWAITING_TCP_MODEL). */
export function judgeRow(
  profile: Profile,
  row: RowName,
  unit: Unit,
  real: number[],
  simterpose: number,
  awaiting: readonly TableRow[] = AWAITING_TCP_MODEL,
): RowResult {
  const realMedian = median(real);
  const realSpread = spread(real);
  const bound = realSpread > BOUND ? WIDE_BOUND : BOUND;
  const ratio = simterpose / realMedian;
  return {
    profile: profile.name,
    row,
    unit,
    real,
    realMedian,
    realSpread,
    simterpose,
    ratio,
    bound,
    verdict: Math.abs(ratio - 1) <= bound ? 'in' : 'out',
    checked: !awaiting.includes(`${profile.name}/${row}`),
  };
}

export function judgeRelay(profile: Profile, check: RelayCheck, frames: { late: number; relayed: number }): RelayResult {
  const pingError = check.pingRttMs / check.expectedRttMs - 1;
  const rateError = check.rateBytesPerSecond / check.expectedBytesPerSecond - 1;
  const verdict = Math.abs(pingError) <= RELAY_BOUND && Math.abs(rateError) <= RELAY_BOUND ? 'in' : 'out';
  return { profile: profile.name, ...check, pingError, rateError, verdict, lateFrames: frames.late, relayedFrames: frames.relayed };
}

/** Rows and relays that fail the run: a checked row out of its bound, a relay out of its own. */
export function failures(rows: readonly RowResult[], relays: readonly RelayResult[]): string[] {
  return [
    ...relays.filter((relay) => relay.verdict === 'out').map((relay) => `relay ${relay.profile}`),
    ...rows.filter((row) => row.checked && row.verdict === 'out').map((row) => `${row.profile} ${row.row}`),
  ];
}

function number(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4);
}

function percent(fraction: number, signed = false): string {
  const text = `${(fraction * 100).toFixed(1)}%`;
  return signed && fraction >= 0 ? `+${text}` : text;
}

function status(row: RowResult): string {
  if (!row.checked) return `${row.verdict}, not checked (awaiting TCP model)`;
  return row.verdict;
}

function boundText(row: RowResult): string {
  return row.bound === BOUND ? percent(BOUND, false) : `${percent(WIDE_BOUND, false)} (real spread ${percent(row.realSpread)})`;
}

export function relayLine(relay: RelayResult): string {
  return (
    `relay ${relay.profile}: ping RTT ${number(relay.pingRttMs)} ms against 2L ${number(relay.expectedRttMs)} ms (${percent(relay.pingError, true)}), ` +
    `burst rate ${number(relay.rateBytesPerSecond / 1e6)} MB/s against B ${number(relay.expectedBytesPerSecond / 1e6)} MB/s (${percent(relay.rateError, true)}): ${relay.verdict}; ` +
    `simterpose's link latency ${number(relay.linkLatencyMs)} ms (ping RTT / 2); ` +
    `frames released over 100 us late: ${percent(relay.lateFrames / Math.max(relay.relayedFrames, 1))} of ${relay.relayedFrames}`
  );
}

export function formatText(rows: readonly RowResult[], relays: readonly RelayResult[]): string {
  const lines: string[] = [];
  for (const relay of relays) lines.push(relayLine(relay));
  const header = ['profile', 'row', 'real median', 'real spread', 'simterpose', 'ratio', 'bound', 'in/out'];
  const cells = rows.map((row) => [
    row.profile,
    row.row,
    `${number(row.realMedian)} ${row.unit}`,
    percent(row.realSpread),
    `${number(row.simterpose)} ${row.unit}`,
    row.ratio.toFixed(3),
    boundText(row),
    status(row),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const numeric = new Set([2, 3, 4, 5]);
  const format = (line: string[]) =>
    line
      .map((cell, column) => (numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  lines.push('', format(header), format(widths.map((width) => '-'.repeat(width))), ...cells.map(format));
  return `${lines.join('\n')}\n`;
}

export function formatJson(rows: readonly RowResult[], relays: readonly RelayResult[]): string {
  return `${JSON.stringify({ relays, rows }, null, 2)}\n`;
}

export function formatCsv(rows: readonly RowResult[], relays: readonly RelayResult[]): string {
  // The relay's rows have no simterpose value: their ratio is against the ideal link (2L, B).
  const lines = ['profile,row,unit,real_median,real_spread,simterpose,ratio,bound,verdict,checked,real_runs'];
  for (const relay of relays) {
    lines.push(`${relay.profile},relay-ping,ms,${relay.pingRttMs},,,${1 + relay.pingError},${RELAY_BOUND},${relay.verdict},true,`);
    lines.push(`${relay.profile},relay-rate,B/s,${relay.rateBytesPerSecond},,,${1 + relay.rateError},${RELAY_BOUND},${relay.verdict},true,`);
  }
  for (const row of rows) {
    lines.push(
      [row.profile, row.row, row.unit, row.realMedian, row.realSpread, row.simterpose, row.ratio, row.bound, row.verdict, row.checked, row.real.join(' ')].join(
        ',',
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
