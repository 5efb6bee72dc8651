import type { RunReport } from './types.js';
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
    'code' in p.exit ? String(p.exit.code) : `signal ${p.exit.signal}`,
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
  return `${table}\n${more}${count} process${count === 1 ? '' : 'es'}, virtual time ${formatDuration(report.virtualTime)}, wall time ${formatDuration(wallTime)}, exit status ${report.exitCode}\n`;
}

/** Long paths keep their end, where the program's name is. */
function shorten(command: string): string {
  return command.length <= MAX_COMMAND_WIDTH ? command : `…${command.slice(command.length - MAX_COMMAND_WIDTH + 1)}`;
}
