// The `peers` benchmark section: the same workloads natively, under
// simterpose and, when a `shadow` binary is on PATH, under Shadow, side by
// side with their ratios. Every workload is described once (peers-tools.js
// runs it with each tool): getpid and clock_gettime in a loop, 100-byte TCP
// round trips between two hosts, one bulk TCP transfer, 10/100/1000
// processes of the scale example, `python3 -c 'import numpy'`, and curl ×10
// against python3's http.server on another host. Hosts share links of
// 100 Gbit/s without latency (Shadow's smallest, 1 ns, with its runahead
// forced down to it), so that wall time is each tool's own cost.
//
// simterpose runs as users start it, through the package's command,
// bin/simterpose, from its startup snapshot (built first; a row says when it
// could not be, and the runs then go without it).
//
// Per-call figures are the wall-time difference between a run doing n
// calls and one doing none, over n; the others are wall times of whole runs,
// start-up included, and for the simulators the CPU time of those runs too
// (all their processes, on whatever CPUs: Shadow runs its hosts on a thread
// per core, simterpose one process at a time). Medians of RUNS runs,
// interleaved. The bulk transfer is 256 MiB and the largest process count
// 100 unless SIMTERPOSE_BENCH_FULL=1 asks for 1 GiB and 1000 (minutes more).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir, buildPrograms, cpuOf, freshSnapshot, median, ratioRow, repoRoot } from './measure.js';
import { nativeRun, platformXml, scratchFolder, shadowOnPath, simulators } from './peers-tools.js';

const spinner = `${binDir}spin_syscalls`;
const timeSpin = `${binDir}time_spin`;
const pingpong = `${binDir}pingpong`;
const transfer = `${binDir}net_transfer`;

const FULL = process.env.SIMTERPOSE_BENCH_FULL === '1';
const RUNS = 3;
const MiB = 1024 * 1024;
const BULK_BYTES = (FULL ? 1024 : 256) * MiB;
const BULK_WRITE = 64 * 1024;
const PROCESS_COUNTS = FULL ? [10, 100, 1000] : [10, 100];
const ROUND_TRIP_BYTES = 100;
const CURLS = 10;
/** Debian's interpreter, the one python3-numpy installs into (a python3 found first on PATH may be another, or a shim). */
const PYTHON = '/usr/bin/python3';

function build() {
  buildPrograms([
    [spinner, `${repoRoot}test/apps/spin_syscalls.c`],
    [timeSpin, `${repoRoot}test/apps/time_spin.c`],
    [pingpong, `${repoRoot}examples/scale/pingpong.c`],
    [transfer, `${repoRoot}test/apps/net_transfer.c`],
    [cpuOf, `${repoRoot}bench/cpu-of.c`],
  ]);
}

// Workloads: functions from the network as the programs see it ({address(host), port(index)})
// to processes {host, argv, role, port?}: servers and daemons (never exiting, killed at the end)
// listen on their port before clients start.
const alone = (argv) => () => [{ host: 'host-0', argv, role: 'client' }];

const pairs = (count, serverArgs, clientArgs) => (network) =>
  Array.from({ length: count }, (_, pair) => {
    const port = network.port(pair);
    const server = `host-${2 * pair}`;
    return [
      { host: server, argv: serverArgs(port), role: 'server', port },
      { host: `host-${2 * pair + 1}`, argv: clientArgs(network.address(server), port), role: 'client' },
    ];
  }).flat();

const roundTrips = (rounds) =>
  pairs(
    1,
    (port) => [pingpong, 'server', String(port), String(rounds), String(ROUND_TRIP_BYTES)],
    (server, port) => [pingpong, 'client', server, String(port), String(rounds), String(ROUND_TRIP_BYTES)],
  );

const bulk = (bytes) =>
  pairs(
    1,
    (port) => [transfer, 'recv', String(port), String(bytes)],
    (server, port) => [transfer, 'send', server, String(port), String(bytes), String(BULK_WRITE)],
  );

/** The scale example: processes/2 pingpong pairs of 10 exchanges each. */
const scale = (processes) =>
  pairs(
    processes / 2,
    (port) => [pingpong, 'server', String(port), '10'],
    (server, port) => [pingpong, 'client', server, String(port), '10'],
  );

const curls = (network) => {
  const port = network.port(0);
  const url = `http://${network.address('host-0')}:${port}/`;
  const loop = `i=0; while [ $i -lt ${CURLS} ]; do curl -fsS -o /dev/null "$0" || exit 1; i=$((i+1)); done`;
  return [
    {
      host: 'host-0',
      argv: [PYTHON, '-m', 'http.server', String(port), '--bind', '0.0.0.0', '--directory', `${repoRoot}examples/web/site`],
      role: 'daemon',
      port,
    },
    { host: 'host-1', argv: ['sh', '-c', loop, url], role: 'client' },
  ];
};

/** RUNS interleaved runs of each tool: {tool: {idle: [...], busy: [...]}}, each run's {seconds, cpuSeconds?}, or the tool's failure. */
async function sample(tools, busy, idle) {
  const samples = {};
  for (let run = 0; run < RUNS; run++) {
    for (const [tool, runOf] of Object.entries(tools)) {
      samples[tool] ??= { idle: [], busy: [] };
      if (samples[tool].error !== undefined) continue;
      try {
        if (idle !== undefined) samples[tool].idle.push(await runOf(idle(tool)));
        samples[tool].busy.push(await runOf(busy(tool)));
      } catch (error) {
        samples[tool].error = error;
      }
    }
  }
  return samples;
}

const TOOL_NAMES = { native: 'native', simterpose: 'simterpose --cpu-model none', shadow: 'Shadow' };

/** The rows of one workload: each tool's figure, then the ratios between them. */
function rowsOf(workload, unit, figures, notes, shadowAbsent) {
  const rows = {};
  for (const tool of ['native', 'simterpose', 'shadow']) {
    const name = `${workload}: ${TOOL_NAMES[tool]}`;
    const figure = figures[tool];
    if (tool === 'shadow' && shadowAbsent) rows[tool] = { name, value: null, unit, note: 'no shadow on PATH' };
    else if (figure instanceof Error) rows[tool] = { name, value: null, unit, note: `failed: ${figure.message}` };
    else rows[tool] = { name, value: figure, unit, note: notes[tool] ?? '' };
  }
  const ratios = [ratioRow(`${workload}: simterpose / native`, rows.simterpose, rows.native)];
  if (!shadowAbsent) {
    ratios.push(ratioRow(`${workload}: Shadow / native`, rows.shadow, rows.native), ratioRow(`${workload}: simterpose / Shadow`, rows.simterpose, rows.shadow));
  }
  return [rows.native, rows.simterpose, rows.shadow, ...ratios];
}

/** The median of one measure ('seconds', 'cpuSeconds') over runs. */
const medianOf = (runs, measure) => median(runs.map((run) => run[measure]));

/** The simulators' CPU seconds of a whole-run workload, and simterpose's against Shadow's. */
function cpuRows(workload, samples, shadowAbsent) {
  const note = 'user + system time of the run and every process it reaped (wait4)';
  const row = (tool, label) => {
    const { busy, error } = samples[tool];
    const name = `${workload}: ${label} CPU`;
    return error === undefined
      ? { name, value: medianOf(busy, 'cpuSeconds'), unit: 's CPU', note }
      : { name, value: null, unit: 's CPU', note: `failed: ${error.message}` };
  };
  const simterpose = row('simterpose', 'simterpose');
  if (shadowAbsent) return [simterpose];
  const shadow = row('shadow', 'Shadow');
  return [simterpose, shadow, ratioRow(`${workload}: simterpose / Shadow, CPU`, simterpose, shadow)];
}

export async function run() {
  build();
  const folder = scratchFolder();
  try {
    const platform = join(folder, 'platform.xml');
    writeFileSync(platform, platformXml(Math.max(2, ...PROCESS_COUNTS)));
    const shadowAbsent = !shadowOnPath();
    const tools = { native: nativeRun, ...simulators(folder, platform) };
    if (shadowAbsent) delete tools.shadow;

    /** A per-call workload: n calls per tool (natively more, to outweigh noise), µs per call from the difference with n = 0. */
    const perCall = async (workload, unit, workloadOf, calls, note) => {
      const count = (tool) => (tool === 'native' ? calls.native : calls.simulated);
      const samples = await sample(
        tools,
        (tool) => workloadOf(count(tool)),
        () => workloadOf(0),
      );
      const figures = {};
      for (const [tool, { idle, busy, error }] of Object.entries(samples)) {
        figures[tool] = error ?? ((medianOf(busy, 'seconds') - medianOf(idle, 'seconds')) / count(tool)) * 1e6;
      }
      return rowsOf(workload, unit, figures, { native: note, simterpose: note, shadow: note }, shadowAbsent);
    };

    /** A whole-run workload: median wall seconds, and the simulators' median CPU seconds. */
    const whole = async (workload, workloadOf, note) => {
      const samples = await sample(tools, () => workloadOf);
      const figures = {};
      for (const [tool, { busy, error }] of Object.entries(samples)) figures[tool] = error ?? medianOf(busy, 'seconds');
      return [
        ...rowsOf(workload, 's wall', figures, { native: note, simterpose: note, shadow: note }, shadowAbsent),
        ...cpuRows(workload, samples, shadowAbsent),
      ];
    };

    const bulkRows = async () => {
      const samples = await sample(
        tools,
        () => bulk(BULK_BYTES),
        () => bulk(0),
      );
      const figures = {};
      const notes = {};
      for (const [tool, { idle, busy, error }] of Object.entries(samples)) {
        figures[tool] = error ?? medianOf(busy, 'seconds');
        if (error === undefined)
          notes[tool] =
            `${(BULK_BYTES / 1e6 / (medianOf(busy, 'seconds') - medianOf(idle, 'seconds'))).toFixed(0)} MB/s (over the wall time minus an empty transfer's)`;
      }
      return rowsOf(`${BULK_BYTES / MiB} MiB TCP transfer`, 's wall', figures, notes, shadowAbsent);
    };

    const rows = [
      ...(freshSnapshot() ? [] : [{ name: 'simterpose startup snapshot', value: null, unit: '', note: 'could not be built: simterpose runs without it' }]),
      ...(await perCall('getpid', 'µs/call', (n) => alone([spinner, 'getpid', String(n)]), { native: 2_000_000, simulated: 100_000 }, 'syscall(2) in a loop')),
      ...(await perCall(
        'clock_gettime',
        'µs/call',
        (n) => alone([timeSpin, String(n), 'libc']),
        { native: 20_000_000, simulated: 2_000_000 },
        "glibc's, as a program calls it",
      )),
      ...(await perCall(
        `${ROUND_TRIP_BYTES} B TCP ping-pong`,
        'µs/round trip',
        roundTrips,
        { native: 50_000, simulated: 2_000 },
        `${ROUND_TRIP_BYTES} B each way between two hosts`,
      )),
      ...(await bulkRows()),
    ];
    for (const processes of PROCESS_COUNTS) {
      rows.push(...(await whole(`${processes} processes`, scale(processes), `${processes / 2} pingpong pairs of the scale example, 10 exchanges each`)));
    }
    const numpy = [PYTHON, '-c', 'import numpy'];
    if (spawnSync(numpy[0], numpy.slice(1), { stdio: 'ignore' }).status === 0) {
      rows.push(...(await whole("python3 -c 'import numpy'", alone(numpy), 'a file-heavy start')));
    } else {
      rows.push({ name: "python3 -c 'import numpy'", value: null, unit: 's wall', note: 'skipped: python3-numpy not installed' });
    }
    rows.push(...(await whole(`curl ×${CURLS}`, curls, `${CURLS} curl runs against python3 -m http.server on another host, its start-up included`)));
    return rows;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
