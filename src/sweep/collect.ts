import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { RunReport } from '../report/types.js';
import { EXPERIMENT_FILES, type ExperimentParams } from './prepare.js';

/** A cell of the table: absent values (no report yet, a process one experiment lacks) are null. */
export type Cell = string | number | null;

/** The sweep's results: a row per experiment, its columns in `columns`' order. */
export interface ResultTable {
  columns: string[];
  rows: Record<string, Cell>[];
  /** Experiments with no report yet. */
  missing: string[];
}

/**
 * Reads every experiment folder of a sweep (`exp-*` holding params.json) and
 * makes a row of each: its parameters and seed, then from its report the
 * run's end, virtual time and status, each process's status and end
 * (`process.HOST.PID.status`), each host's totals (`host.NAME.cpu_time`...)
 * and each link's (`link.NAME.bytes`). A column some experiments lack (a
 * process another run did not start) is null in their rows.
 */
export function collectSweep(dir: string): ResultTable {
  if (!existsSync(dir)) throw new UserError(`no such folder: ${dir}`);
  const folders = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name.startsWith('exp-') && existsSync(join(dir, entry.name, EXPERIMENT_FILES.params)))
    .map((entry) => join(dir, entry.name));
  if (folders.length === 0)
    throw new UserError(`${dir} holds no experiment (exp-*/params.json)`, 'simterpose sweep writes them: simterpose sweep sweep.yaml --out DIR');
  const experiments = folders
    .map((folder) => ({ folder, params: JSON.parse(readFileSync(join(folder, EXPERIMENT_FILES.params), 'utf8')) as ExperimentParams }))
    .sort((a, b) => a.params.index - b.params.index);
  const columns = ['experiment', ...Object.keys(experiments[0]!.params.parameters), 'seed', 'end', 'virtual_time', 'exit_code'];
  const known = new Set(columns);
  const rows: Record<string, Cell>[] = [];
  const missing: string[] = [];
  for (const { folder, params } of experiments) {
    const row: Record<string, Cell> = { experiment: params.experiment, ...numbers(params.parameters), seed: params.seed };
    const report = readReport(join(folder, EXPERIMENT_FILES.report));
    if (report === undefined) missing.push(params.experiment);
    else Object.assign(row, reportCells(report));
    for (const column of Object.keys(row)) {
      if (!known.has(column)) {
        known.add(column);
        columns.push(column);
      }
    }
    rows.push(row);
  }
  return { columns, rows: rows.map((row) => Object.fromEntries(columns.map((column) => [column, row[column] ?? null]))), missing };
}

function readReport(file: string): RunReport | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunReport;
  } catch {
    return undefined;
  }
}

/** A parameter's value as a number when it reads as one (a program argument, a count), else as written (10MBps). */
function numbers(parameters: Record<string, string>): Record<string, Cell> {
  return Object.fromEntries(
    Object.entries(parameters).map(([name, value]) => [name, value.trim() !== '' && Number.isFinite(Number(value)) ? Number(value) : value]),
  );
}

function reportCells(report: RunReport): Record<string, Cell> {
  const cells: Record<string, Cell> = { end: report.end, virtual_time: report.virtualTime, exit_code: report.exitCode };
  for (const p of report.processes) {
    const key = `process.${p.host}.${p.pid}`;
    cells[`${key}.command`] = p.command;
    cells[`${key}.status`] = p.status;
    cells[`${key}.end`] = p.end;
  }
  for (const h of report.hosts) {
    cells[`host.${h.name}.processes`] = h.processes;
    cells[`host.${h.name}.cpu_time`] = h.cpuTime;
    cells[`host.${h.name}.bytes_sent`] = h.bytesSent;
    cells[`host.${h.name}.bytes_received`] = h.bytesReceived;
  }
  for (const l of report.links) {
    cells[`link.${l.name}.transfers`] = l.transfers;
    cells[`link.${l.name}.bytes`] = l.bytes;
  }
  return cells;
}

/** The table as CSV (RFC 4180, as --report-csv writes it): a header, then a row per experiment; null is an empty field. */
export function tableCsv(table: ResultTable): string {
  const field = (value: Cell): string => {
    if (value === null) return '';
    const text = String(value);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [table.columns.map(field), ...table.rows.map((row) => table.columns.map((column) => field(row[column] ?? null)))];
  return lines.map((line) => `${line.join(',')}\r\n`).join('');
}
