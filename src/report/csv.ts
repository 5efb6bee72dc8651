import type { ProcessReport } from './types.js';

/** The columns of `--report-csv`, one row per process: the report's own fields, the exit split in two. */
const COLUMNS: readonly { header: string; value: (process: ProcessReport) => string | number | null }[] = [
  { header: 'host', value: (p) => p.host },
  { header: 'pid', value: (p) => p.pid },
  { header: 'parent', value: (p) => p.parent },
  { header: 'command', value: (p) => p.command },
  { header: 'exit_code', value: (p) => ('code' in p.exit ? p.exit.code : null) },
  { header: 'exit_signal', value: (p) => ('signal' in p.exit ? p.exit.signal : null) },
  { header: 'status', value: (p) => p.status },
  { header: 'stopped', value: (p) => p.stopped },
  { header: 'start', value: (p) => p.start },
  { header: 'end', value: (p) => p.end },
  { header: 'cpu_time', value: (p) => p.cpuTime },
  { header: 'bytes_sent', value: (p) => p.bytesSent },
  { header: 'bytes_received', value: (p) => p.bytesReceived },
];

/**
 * The processes as CSV (RFC 4180: comma-separated, CRLF line ends, a field
 * holding a comma, a quote or a line end quoted, its quotes doubled), a
 * header first. An absent value (no parent, no signal) is an empty field;
 * times are virtual seconds.
 */
export function processesCsv(processes: readonly ProcessReport[]): string {
  const rows = [COLUMNS.map((column) => column.header), ...processes.map((process) => COLUMNS.map((column) => field(column.value(process))))];
  return rows.map((row) => `${row.join(',')}\r\n`).join('');
}

function field(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
