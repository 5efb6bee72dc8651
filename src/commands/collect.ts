import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

/** `simterpose collect <dir>`: one table of a sweep's results. */
export function registerCollect(program: Command): void {
  program
    .command('collect')
    .description("Merge the experiments of a sweep's folder into one table: a row per experiment, its parameters and seed, then its report's figures.")
    .argument('<dir>', "the sweep's folder (simterpose sweep --out)")
    .option('--csv <file>', 'where the CSV table goes (default: DIR/results.csv)')
    .option('--json <file>', 'where the JSON table goes, an array of rows (default: DIR/results.json)')
    .addHelpText(
      'after',
      `
Columns: experiment, each parameter, seed; then from each report: end (how
the run ended), virtual_time, exit_code; per process, process.HOST.PID.command,
.status and .end (virtual seconds); per host, host.NAME.processes, .cpu_time,
.bytes_sent, .bytes_received; per link, link.NAME.transfers and .bytes. A
value an experiment lacks (no report yet, a process it did not start) is an
empty field in the CSV and null in the JSON. Parameter values that read as
numbers are numbers in the JSON.

Example:
  simterpose collect runs && python3 -c 'import pandas; print(pandas.read_csv("runs/results.csv"))'`,
    )
    .action(async (dir: string, options: { csv?: string; json?: string }) => {
      const { collectSweep, tableCsv } = await import('../sweep/collect.js');
      const table = collectSweep(dir);
      const csv = options.csv ?? join(dir, 'results.csv');
      const json = options.json ?? join(dir, 'results.json');
      writeFileSync(csv, tableCsv(table));
      writeFileSync(json, `${JSON.stringify(table.rows, null, 2)}\n`);
      const missing =
        table.missing.length === 0
          ? ''
          : ` (${table.missing.length} without a report yet: ${table.missing.slice(0, 5).join(', ')}${table.missing.length > 5 ? '...' : ''})`;
      process.stderr.write(`collect: ${table.rows.length} experiments${missing} into ${csv} and ${json}\n`);
    });
}
