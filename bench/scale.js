// The `scale` benchmark section: how simterpose's cost grows with the number
// of processes. The scale example (examples/scale: pingpong client/server
// pairs on a 1000-host cluster) runs with 10, 100 and 1000 processes; each
// size runs in a fresh Node process that calls runExperiment and reports its
// wall time, the tracee stops the mediator handled (the events), its own CPU
// time and its peak RSS.
//
// An event is one tracee stop: a resume of a tracee until its next stop,
// whatever the stop is (syscall, exec, exit, signal). The cost per event that
// must not grow with the number of processes is the marginal one: a second
// run adds about EXTRA_EXCHANGES exchanges, spread over the pairs, and the
// extra wall time over the extra events leaves out start-up and per-process
// costs (spawn, exec, the dynamic loader, exit), which the overall figure
// includes. Every size thus does about the same extra work: only the number
// of processes it is spread over differs.
//
// Next to it, the floor: a bare C tracer (c-tracer-turns.c) resuming as many
// tracees in turn, one seccomp stop each. A stop costs the kernel and the
// CPU more when it switches among more address spaces, whoever the tracer
// is; the ratio of simterpose's cost per event to that floor is its own
// cost per event.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { binDir, buildPrograms, median, repoRoot } from './measure.js';

const pingpong = `${binDir}pingpong`;
const floorTracer = `${binDir}c-tracer-turns`;
const spinner = `${binDir}spin_syscalls`;
const platform = `${repoRoot}examples/scale/cluster.xml`;
const generator = `${repoRoot}examples/scale/generate.js`;

const SIZES = [10, 100, 1000];
const ROUNDS = 10;
const EXTRA_EXCHANGES = 50_000;
const RUNS = 3;
const FLOOR_STOPS = 200_000;
/** simterpose's own cost per event (over the floor) at 1000 processes may be this much that at 10 (noise on a shared machine), no more. */
const GROWTH_TARGET = 1.2;

function build() {
  buildPrograms([
    [pingpong, `${repoRoot}examples/scale/pingpong.c`],
    [floorTracer, `${repoRoot}bench/c-tracer-turns.c`],
    [spinner, `${repoRoot}test/apps/spin_syscalls.c`],
  ]);
}

/** µs per stop of the bare C tracer taking FLOOR_STOPS stops in turn across `processes` tracees (median of RUNS). */
function floorPerStop(processes) {
  const getpidsEach = String(Math.ceil(FLOOR_STOPS / processes) + 2);
  const runs = [];
  for (let run = 0; run < RUNS; run++) {
    const output = execFileSync(floorTracer, [String(processes), String(FLOOR_STOPS), '--', spinner, 'getpid', getpidsEach], { encoding: 'utf8' });
    runs.push(Number(output.trim()));
  }
  return median(runs);
}

function deploymentFor(folder, processes, rounds) {
  const file = join(folder, `deployment-${processes}-${rounds}.xml`);
  const xml = execFileSync(process.execPath, [generator, String(processes / 2), '--rounds', String(rounds), '--program', pingpong]);
  writeFileSync(file, xml);
  return file;
}

/** One run in a fresh Node process (its own peak RSS, no JIT or heap carried over): what `child` prints. */
function measureRun(deployment) {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, [self, platform, deployment], { cwd: repoRoot, encoding: 'utf8', timeout: 900_000 });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    const telling =
      result.stderr
        .trim()
        .split('\n')
        .find((line) => /error|simterpose/i.test(line)) ?? '';
    throw new Error(`exit status ${result.status ?? result.signal}${telling ? `: ${telling}` : ''}`);
  }
  return JSON.parse(result.stdout.trim().split('\n').at(-1));
}

/** The median of RUNS runs by wall time, fewer and more rounds interleaved so that a slow spell hits both alike. */
function measureSize(folder, processes) {
  const few = deploymentFor(folder, processes, ROUNDS);
  const many = deploymentFor(folder, processes, moreRounds(processes));
  const fewRuns = [];
  const manyRuns = [];
  for (let run = 0; run < RUNS; run++) {
    fewRuns.push(measureRun(few));
    manyRuns.push(measureRun(many));
  }
  const middle = (runs) => {
    const wall = median(runs.map((r) => r.wall));
    return runs.find((r) => r.wall === wall);
  };
  return { few: middle(fewRuns), many: middle(manyRuns), walls: manyRuns.map((r) => r.wall) };
}

/** Exchanges per pair in the longer run. */
function moreRounds(processes) {
  return ROUNDS + Math.round(EXTRA_EXCHANGES / (processes / 2));
}

function rowsFor(processes, { few, many, walls }, floor) {
  const extraEvents = many.stops - few.stops;
  const marginal = ((many.wall - few.wall) / extraEvents) * 1e6;
  const marginalCpu = ((many.cpu - few.cpu) / extraEvents) * 1e6;
  const range = `${Math.min(...walls).toFixed(2)}–${Math.max(...walls).toFixed(2)} s over ${RUNS} runs`;
  return {
    marginal,
    overFloor: marginal / floor,
    rows: [
      { name: `${processes} processes, wall time`, value: many.wall, unit: 's', note: `${moreRounds(processes)} exchanges per pair; ${range}` },
      { name: `${processes} processes, events`, value: many.stops, unit: 'stops', note: 'tracee stops the mediator handled' },
      { name: `${processes} processes, events per second`, value: many.stops / many.wall, unit: 'events/s', note: 'whole run, start-up included' },
      { name: `${processes} processes, cost per event`, value: (many.wall / many.stops) * 1e6, unit: 'µs/event', note: 'whole run: wall time / events' },
      {
        name: `${processes} processes, marginal cost per event`,
        value: marginal,
        unit: 'µs/event',
        note: `${ROUNDS} vs ${moreRounds(processes)} exchanges per pair: extra wall time / ${extraEvents} extra events (mediator CPU ${marginalCpu.toFixed(1)} µs)`,
      },
      {
        name: `${processes} processes, C tracer floor per stop`,
        value: floor,
        unit: 'µs/stop',
        note: `a bare C tracer resuming ${processes} tracees in turn, one seccomp stop each`,
      },
      { name: `${processes} processes, marginal cost per event / floor`, value: marginal / floor, unit: '×', note: "simterpose's own cost per event" },
      {
        name: `${processes} processes, mediator peak RSS`,
        value: many.maxRssMiB,
        unit: 'MiB',
        note: "simterpose's own process (Node, SimGrid), not the tracees",
      },
    ],
  };
}

export async function run() {
  build();
  const folder = mkdtempSync(join(tmpdir(), 'simterpose-bench-scale-'));
  try {
    const rows = [];
    const measured = new Map();
    for (const processes of SIZES) {
      try {
        const size = rowsFor(processes, measureSize(folder, processes), floorPerStop(processes));
        measured.set(processes, size);
        rows.push(...size.rows);
      } catch (error) {
        rows.push({ name: `${processes} processes`, value: null, unit: '', note: `failed: ${error.message}` });
      }
    }
    const smallest = measured.get(SIZES[0]);
    for (const processes of SIZES.slice(1)) {
      const size = measured.get(processes);
      if (smallest === undefined || size === undefined) continue;
      const more = `${processes / SIZES[0]}× the processes`;
      rows.push({
        name: `growth of the marginal cost per event, ${SIZES[0]} → ${processes} processes`,
        value: size.marginal / smallest.marginal,
        unit: '×',
        note: more,
      });
      const growth = size.overFloor / smallest.overFloor;
      const target = processes === SIZES.at(-1) ? `; target ≤ ${GROWTH_TARGET}×: ${growth <= GROWTH_TARGET ? 'met' : 'MISSED'}` : '';
      rows.push({
        name: `growth of the cost per event over the floor, ${SIZES[0]} → ${processes} processes`,
        value: growth,
        unit: '×',
        note: `${more}${target}`,
      });
    }
    return rows;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Child mode: `node bench/scale.js PLATFORM DEPLOYMENT` runs it once and prints one JSON line. */
async function child(platformFile, deployment) {
  const { runExperiment } = await import(pathToFileURL(`${repoRoot}dist/index.js`).href);
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const result = await runExperiment({
    platform: platformFile,
    deployment,
    cpuModel: 'none',
    captureOutput: false,
    writeStdout: () => {},
    writeStderr: () => {},
  });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  if (result.exitCode !== 0) throw new Error(`the run exited with ${result.exitCode}`);
  const failed = result.processes.filter((p) => !('code' in p.exit) || p.exit.code !== 0);
  if (failed.length > 0) throw new Error(`${failed.length} processes failed`);
  console.log(JSON.stringify({ wall, stops: result.stops, cpu: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await child(process.argv[2], process.argv[3]);
}
