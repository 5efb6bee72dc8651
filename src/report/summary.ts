import type { ProcessRef, ProcessReport, RunReport } from './types.js';
import { formatBytes, formatDuration } from './units.js';

const HEADERS = ['HOST', 'PID', 'COMMAND', 'EXIT', 'START', 'END', 'CPU', 'SENT', 'RECEIVED'];
/** Numbers read best right-aligned, names left-aligned. */
const RIGHT_ALIGNED = new Set(['PID', 'START', 'END', 'CPU', 'SENT', 'RECEIVED']);
const MAX_COMMAND_WIDTH = 32;
/** Past this many processes, only the programs started from the command line or deployment get a row. */
const MAX_ROWS = 20;

/** The table printed at the end of a run: one row per process, then the run's virtual and wall time. */
export function formatSummary(report: RunReport, wallTime: number): string {
  const shown = report.processes.length <= MAX_ROWS ? report.processes : report.processes.filter((p) => p.parent === null);
  const rows = shown.map((p) => [
    p.host,
    String(p.pid),
    shorten(p.command),
    exitColumn(p),
    formatDuration(p.start),
    formatDuration(p.end),
    formatDuration(p.cpuTime),
    formatBytes(p.bytesSent),
    formatBytes(p.bytesReceived),
  ]);
  const widths = HEADERS.map((header, column) => Math.max(header.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, column) => (RIGHT_ALIGNED.has(HEADERS[column]!) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  const table = [line(HEADERS), ...rows.map(line)].join('\n');
  const hidden = report.processes.length - shown.length;
  const more = hidden === 0 ? '' : `(and ${hidden} processes they started: see --report)\n`;
  const count = report.processes.length;
  return `${table}\n${more}${faultLines(report)}${processes(count)}, virtual time ${formatDuration(report.virtualTime)}, wall time ${formatDuration(wallTime)}, exit status ${report.exitCode}\n${stopLine(report)}`;
}

/** A process a fault killed shows SIGKILL, one simterpose stopped otherwise 'stopped'; the others show their exit code or the signal that ended them. */
function exitColumn(process: ProcessReport): string {
  if (process.stopped === 'fault') return 'SIGKILL';
  if (process.stopped !== null) return 'stopped';
  return 'code' in process.exit ? String(process.exit.code) : `signal ${process.exit.signal}`;
}

/** One line per fault: when, what, and whom it killed or started again. */
function faultLines(report: RunReport): string {
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

/** At the stop time, how many processes it found running; a run cut short says why in its own message. */
function stopLine(report: RunReport): string {
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
