// Benchmark runner: `node bench/run.js [section...]` (all sections by
// default). Each section module exports `async function run()` returning
// rows {name, value, unit, note}; the runner prints them as one aligned
// table per section, then every row as one JSON line. Missed targets are
// reported, never turned into a failing exit status.
import { existsSync } from 'node:fs';

const SECTIONS = {
  syscalls: new URL('./syscalls.js', import.meta.url),
  sim: new URL('./sim.js', import.meta.url),
  time: new URL('./time.js', import.meta.url),
  network: new URL('./network.js', import.meta.url),
  scale: new URL('./scale.js', import.meta.url),
  startup: new URL('./startup.js', import.meta.url),
  peers: new URL('./peers.js', import.meta.url),
};

function formatValue(value) {
  if (value === null || value === undefined) return '—';
  if (typeof value !== 'number') return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function printTable(section, rows) {
  const cells = rows.map((row) => [row.name, formatValue(row.value), row.unit ?? '', row.note ?? '']);
  const header = ['benchmark', 'value', 'unit', 'note'];
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column].length)));
  const format = (line) =>
    line
      .map((cell, column) => (column === 1 ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  console.log(`\n== ${section} ==`);
  console.log(format(header));
  console.log(format(widths.map((width) => '-'.repeat(width))));
  for (const line of cells) console.log(format(line));
}

async function runSection(name) {
  const url = SECTIONS[name];
  if (!existsSync(url)) {
    return [{ name: `${name} section`, value: null, unit: '', note: `skipped: ${url.pathname} does not exist` }];
  }
  try {
    const section = await import(url.href);
    return await section.run();
  } catch (error) {
    return [{ name: `${name} section`, value: null, unit: '', note: `failed: ${error?.message ?? error}` }];
  }
}

async function main(args) {
  const unknown = args.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) {
    console.error(`bench: unknown section ${unknown.join(', ')} (sections: ${Object.keys(SECTIONS).join(', ')})`);
    return 2;
  }
  const chosen = args.length > 0 ? args : Object.keys(SECTIONS);
  const summary = {};
  for (const name of chosen) {
    const rows = await runSection(name);
    printTable(name, rows);
    summary[name] = rows;
  }
  console.log(`\n${JSON.stringify({ bench: summary })}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
