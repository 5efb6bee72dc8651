import { basename } from 'node:path';
import type { ProcessReport, RunReport } from '../report/types.js';

/** How a process ended, as its bar is coloured: on its own with status 0, with another status, or killed by simterpose (stop time, kill_time, run cut short). */
export type ProcessOutcome = 'succeeded' | 'failed' | 'stopped';

export interface ProcessBar {
  pid: number;
  /** The program's file name. */
  command: string;
  start: number;
  end: number;
  outcome: ProcessOutcome;
  /** What its tooltip says. */
  detail: string;
}

/** A host's row of the timeline: its processes, in lanes so that bars of one lane never overlap. */
export interface HostRow {
  host: string;
  lanes: ProcessBar[][];
}

export interface FaultMark {
  date: number;
  fault: string;
}

/** A chart's lines over virtual time: `x` the dates, each series one value per date. */
export interface Chart {
  /** What the values are: `MB/s`, `% of its cores`. */
  unit: string;
  x: number[];
  series: Array<{ name: string; values: number[] }>;
  /** How many links or hosts the report has, of which `series` shows the busiest. */
  of: number;
}

/** More lines than this make a chart unreadable (and slow): the busiest are drawn. */
export const MAX_SERIES = 12;

/** The MAX_SERIES series that carried the most in all (in the report's order), or all of them. */
function busiest(series: Array<{ name: string; values: number[] }>, totals: number[]): Array<{ name: string; values: number[] }> {
  if (series.length <= MAX_SERIES) return series;
  const kept = new Set(
    totals
      .map((total, index) => ({ total, index }))
      .sort((a, b) => b.total - a.total || a.index - b.index)
      .slice(0, MAX_SERIES)
      .map(({ index }) => index),
  );
  return series.filter((_, index) => kept.has(index));
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

/** What `simterpose plot` draws of a report. */
export interface PlotData {
  title: string;
  virtualTime: number;
  rows: HostRow[];
  faults: FaultMark[];
  throughput: Chart;
  cpu: Chart;
}

/** Everything the page shows, from a report. */
export function plotData(report: RunReport): PlotData {
  return {
    title: runTitle(report),
    virtualTime: report.virtualTime,
    rows: hostRows(report),
    faults: report.faults.map(({ date, fault }) => ({ date, fault })),
    throughput: throughputChart(report),
    cpu: cpuChart(report),
  };
}

function runTitle(report: RunReport): string {
  const what = report.run.command === null ? (report.run.deployment?.path ?? '') : report.run.command.join(' ');
  return `${what} on ${report.run.platform.path}`;
}

/**
 * One row per host of the report (in platform order), then any host only a
 * process names; in each, a process goes in the first lane free at its
 * start (processes come in start order), so a row is as tall as the most
 * processes alive at once there.
 */
export function hostRows(report: Pick<RunReport, 'hosts' | 'processes'>): HostRow[] {
  const rows = new Map<string, HostRow>(report.hosts.map((host) => [host.name, { host: host.name, lanes: [] }]));
  for (const process of report.processes) {
    let row = rows.get(process.host);
    if (row === undefined) {
      row = { host: process.host, lanes: [] };
      rows.set(process.host, row);
    }
    const bar = processBar(process);
    const lane = row.lanes.find((bars) => bars.at(-1)!.end <= bar.start);
    if (lane === undefined) row.lanes.push([bar]);
    else lane.push(bar);
  }
  return [...rows.values()];
}

function processBar(process: ProcessReport): ProcessBar {
  const outcome: ProcessOutcome = process.stopped !== null ? 'stopped' : process.status === 0 ? 'succeeded' : 'failed';
  const exit = 'code' in process.exit ? `exit ${process.exit.code}` : `signal ${process.exit.signal}${process.exit.core ? ' (core)' : ''}`;
  const stopped = process.stopped === null ? '' : `, stopped (${process.stopped})`;
  return {
    pid: process.pid,
    command: basename(process.command),
    start: process.start,
    end: process.end,
    outcome,
    detail: `${process.command} ${process.pid} on ${process.host}: ${process.start} s to ${process.end} s, ${exit}${stopped}`,
  };
}

/** The interval starts, and the run's end so that the last interval's step is drawn. */
function intervalDates(report: RunReport, count: number): number[] {
  const { interval } = report.usage;
  return [...Array.from({ length: count }, (_, i) => i * interval), Math.max(report.virtualTime, (count - 1) * interval)];
}

/** A value per date of intervalDates: the last interval's value again at the end. */
const stepValues = (values: number[]): number[] => [...values, values.at(-1) ?? 0];

const RATE_UNITS: ReadonlyArray<[number, string]> = [
  [1e9, 'GB/s'],
  [1e6, 'MB/s'],
  [1e3, 'kB/s'],
  [1, 'B/s'],
];

/** Each link's payload throughput (the busiest, past MAX_SERIES links), in the decimal unit (as platforms give bandwidths) that fits the highest. */
export function throughputChart(report: RunReport): Chart {
  const { interval, links } = report.usage;
  const shown = busiest(
    links.map((link) => ({ name: link.name, values: link.bytes.map((bytes) => bytes / interval) })),
    links.map((link) => sum(link.bytes)),
  );
  const highest = shown.reduce((most, { values }) => values.reduce((max, rate) => Math.max(max, rate), most), 0);
  const [scale, unit] = RATE_UNITS.find(([size]) => highest >= size) ?? RATE_UNITS.at(-1)!;
  return {
    unit,
    x: intervalDates(report, links[0]?.bytes.length ?? 0),
    series: shown.map(({ name, values }) => ({ name, values: stepValues(values.map((rate) => rate / scale)) })),
    of: links.length,
  };
}

/** Each host's CPU use (the busiest, past MAX_SERIES hosts): the share of its cores busy computing, in percent. */
export function cpuChart(report: RunReport): Chart {
  const { interval, hosts } = report.usage;
  return {
    unit: '% of its cores',
    x: intervalDates(report, hosts[0]?.cpuTime.length ?? 0),
    series: busiest(
      hosts.map((host) => ({ name: host.name, values: stepValues(host.cpuTime.map((seconds) => (100 * seconds) / (interval * host.cores))) })),
      hosts.map((host) => sum(host.cpuTime) / host.cores),
    ),
    of: hosts.length,
  };
}
