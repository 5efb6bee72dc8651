import type { ProcessRef, ProcessReport, RunReport } from './types.js';
import { formatBytes, formatDuration } from './units.js';

/** What the summary reads of a report. */
export type SummarizedRun = Pick<RunReport, 'end' | 'virtualTime' | 'exitCode' | 'processes' | 'faults' | 'migrations'>;

/** Past this many processes, rows are groups: one per program and host. */
const MAX_ROWS = 20;
const MAX_COMMAND_WIDTH = 32;

interface Table {
  headers: string[];
  /** Numbers read best right-aligned, names left-aligned. */
  rightAligned: ReadonlySet<string>;
  rows: string[][];
}

/**
 * The table printed at the end of a run: one row per process, or past 20
 * processes one row per program and host (how many, how they exited, the
 * first start and last end, the CPU time and bytes of them all); then the
 * run's virtual and wall time.
 */
export function formatSummary(report: SummarizedRun, wallTime: number): string {
  const table = report.processes.length <= MAX_ROWS ? processTable(report.processes) : groupTable(report.processes);
  const widths = table.headers.map((header, column) => Math.max(header.length, ...table.rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (table.rightAligned.has(table.headers[column]!) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const lines = [line(table.headers), ...table.rows.map(line)].join('\n');
  const count = report.processes.length;
  return `${lines}\n${faultLines(report)}${migrationLines(report)}${processes(count)}, virtual time ${formatDuration(report.virtualTime)}, wall time ${formatDuration(wallTime)}, exit status ${report.exitCode}\n${stopLine(report)}`;
}

function processTable(reports: readonly ProcessReport[]): Table {
  return {
    headers: ['HOST', 'PID', 'COMMAND', 'EXIT', 'START', 'END', 'CPU', 'SENT', 'RECEIVED'],
    rightAligned: new Set(['PID', 'START', 'END', 'CPU', 'SENT', 'RECEIVED']),
    rows: reports.map((p) => [
      p.host,
      String(p.pid),
      shorten(p.command),
      exitColumn(p),
      formatDuration(p.start),
      formatDuration(p.end),
      formatDuration(p.cpuTime),
      formatBytes(p.bytesSent),
      formatBytes(p.bytesReceived),
    ]),
  };
}

/** Processes of one program on one host, in the order the first of them started. */
function groupTable(reports: readonly ProcessReport[]): Table {
  const groups = new Map<string, ProcessReport[]>();
  for (const process of reports) {
    const key = `${process.host}\0${process.command}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [process]);
    else group.push(process);
  }
  return {
    headers: ['HOST', 'PROCESSES', 'COMMAND', 'EXIT', 'FIRST START', 'LAST END', 'CPU', 'SENT', 'RECEIVED'],
    rightAligned: new Set(['PROCESSES', 'FIRST START', 'LAST END', 'CPU', 'SENT', 'RECEIVED']),
    rows: [...groups.values()].map((group) => [
      group[0]!.host,
      String(group.length),
      shorten(group[0]!.command),
      exitCounts(group),
      formatDuration(Math.min(...group.map((p) => p.start))),
      formatDuration(Math.max(...group.map((p) => p.end))),
      formatDuration(sum(group, (p) => p.cpuTime)),
      formatBytes(sum(group, (p) => p.bytesSent)),
      formatBytes(sum(group, (p) => p.bytesReceived)),
    ]),
  };
}

/** How a group's processes ended: the one way they all did, or each way with how many (`0 ×18, signal 9 ×2`), most first. */
function exitCounts(group: readonly ProcessReport[]): string {
  const counts = new Map<string, number>();
  for (const process of group) {
    const exit = exitColumn(process);
    counts.set(exit, (counts.get(exit) ?? 0) + 1);
  }
  if (counts.size === 1) return [...counts.keys()][0]!;
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([exit, count]) => `${exit} ×${count}`)
    .join(', ');
}

function sum(group: readonly ProcessReport[], value: (process: ProcessReport) => number): number {
  return group.reduce((total, process) => total + value(process), 0);
}

/** A process a fault killed shows SIGKILL, one simterpose stopped otherwise 'stopped'; the others show their exit code or the signal that ended them. */
function exitColumn(process: ProcessReport): string {
  if (process.stopped === 'fault') return 'SIGKILL';
  if (process.stopped !== null) return 'stopped';
  return 'code' in process.exit ? String(process.exit.code) : `signal ${process.exit.signal}`;
}

/** One line per fault: when, what, and whom it killed or started again. */
function faultLines(report: SummarizedRun): string {
  const named = (process: ProcessRef): string => `${process.host} ${process.pid} ${process.command}`;
  return report.faults
    .map((fault) => {
      const effects = [
        ...fault.killed.map((process) => `killed ${named(process)} (SIGKILL)`),
        ...fault.restarted.map((process) => `restarted ${named(process)}`),
        ...(fault.missed === null ? [] : [fault.missed]),
      ];
      return `fault at ${formatDuration(fault.date)}: ${fault.fault}${effects.length === 0 ? '' : `: ${effects.join(', ')}`}\n`;
    })
    .join('');
}

/** One line per migration: whom, from where to where, when, how long it was frozen, what crossed; or why it did not move. */
function migrationLines(report: SummarizedRun): string {
  return report.migrations
    .map((migration) => {
      const { process } = migration;
      if (migration.missed !== null || process === null)
        return `migration at ${formatDuration(migration.start)} of ${migration.asked} to ${migration.to}: ${migration.missed}\n`;
      const how = migration.live
        ? `live, ${formatBytes(migration.bytes)} in ${migration.rounds} rounds, ${formatDuration(migration.duration)}, frozen ${formatDuration(migration.downtime)}`
        : `${formatBytes(migration.bytes)} in ${formatDuration(migration.downtime)}`;
      return `migration at ${formatDuration(migration.start)}: ${process.host} ${process.pid} ${process.command} to ${migration.to}, ${how}\n`;
    })
    .join('');
}

/** At the stop time, how many processes it found running; a run cut short says why in its own message. */
function stopLine(report: SummarizedRun): string {
  if (report.end !== 'stop-time') return '';
  const running = report.processes.filter((p) => p.stopped === 'stop-time').length;
  return `stopped at ${formatDuration(report.virtualTime)} (--stop-time): ${processes(running)} ${running === 1 ? 'was' : 'were'} still running\n`;
}

function processes(count: number): string {
  return `${count} process${count === 1 ? '' : 'es'}`;
}

/** Long paths keep their end, where the program's name is. */
function shorten(command: string): string {
  return command.length <= MAX_COMMAND_WIDTH ? command : `…${command.slice(command.length - MAX_COMMAND_WIDTH + 1)}`;
}
