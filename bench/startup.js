// Start-up: the CPU time a whole simterpose run of /bin/true costs (the
// simterpose process and everything it started, as the kernel counts them
// for a reaped child), beside Node.js doing nothing and /bin/true alone.
// CPU time, not wall time: it is what concurrent runs (a test suite, a
// sweep) pay each other, and it moves less with the machine's load. The
// runs go through bin/simterpose.js, then the last one also through the
// package's command, bin/simterpose, from its startup snapshot.
// The target of issue 23: 50 ms.
//
// Steps in between say where that time goes: each command does what the
// one before it did, and one thing more (loading the CLI, then SimGrid, then
// tracing a program, then the cputime model a machine without an
// instruction counter uses: what a ptrace stop costs a tracee is measured
// by the first run after boot and read from the user's cache folder by the
// others, so the median is that of runs that read it). SimGrid is loaded
// from its code cache (src/sim/code-cache.ts), built first, as users' runs
// load it after their first; a row says what the platform step costs
// without it.
import {
  buildPrograms,
  commandEnv,
  cpuOf,
  freshCodeCache,
  freshSnapshot,
  median,
  repoRoot,
  simterposeCli,
  simterposeCommand,
  timeAndCpuRun,
} from './measure.js';

const RUNS = 7;
const TARGET_MS = 50;

/** CPU ms of `argv` run to its end (wait4's count: exact, where /proc's is in 10 ms ticks). */
function cpuOf1(argv, env) {
  return timeAndCpuRun(argv, undefined, env).cpuSeconds * 1000;
}

/** Median CPU ms of `argv` run to its end. */
function cpuOfRuns(argv, env = commandEnv) {
  const costs = [];
  for (let run = 0; run < RUNS; run++) costs.push(cpuOf1(argv, env));
  return median(costs);
}

/**
 * Median CPU ms of `argv` in each environment of `envs`, their runs taken in
 * turn: this VM's speed drifts from one minute to the next, which would
 * otherwise weigh on a difference between two rows.
 */
function cpuOfInterleaved(argv, envs) {
  const costs = envs.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (const [which, env] of envs.entries()) costs[which].push(cpuOf1(argv, env));
  }
  return costs.map(median);
}

export async function run() {
  buildPrograms([[cpuOf, `${repoRoot}bench/cpu-of.c`]]);
  const node = cpuOfRuns([process.execPath, '-e', '0']);
  const help = cpuOfRuns([process.execPath, simterposeCli, '--help']);
  const cached = freshCodeCache();
  const platformArgv = [process.execPath, simterposeCli, 'platform', 'platforms/two-hosts.xml'];
  const [compiled, platform] = cpuOfInterleaved(platformArgv, [{ ...commandEnv, SIMTERPOSE_NO_CODE_CACHE: '1' }, commandEnv]);
  const uncharged = cpuOfRuns([process.execPath, simterposeCli, 'run', '--quiet', '--cpu-model', 'none', 'platforms/two-hosts.xml', '--', '/bin/true']);
  const simterpose = cpuOfRuns([process.execPath, simterposeCli, 'run', '--quiet', 'platforms/two-hosts.xml', '--', '/bin/true']);
  const snapshot = freshSnapshot() ? cpuOfRuns([simterposeCommand, 'run', '--quiet', 'platforms/two-hosts.xml', '--', '/bin/true']) : null;
  const alone = cpuOfRuns(['/bin/true']);
  const note = (value) => `${value <= TARGET_MS ? 'meets' : 'misses'} the ${TARGET_MS} ms target; median of ${RUNS}`;
  return [
    { name: '/bin/true natively', value: alone, unit: 'ms CPU', note: `median of ${RUNS}` },
    { name: 'node -e 0 (Node.js alone)', value: node, unit: 'ms CPU', note: `median of ${RUNS}; ${process.version}` },
    { name: 'simterpose --help', value: help, unit: 'ms CPU', note: 'Node.js and the CLI loaded (bin/simterpose.js)' },
    {
      name: 'simterpose platform two-hosts.xml, SimGrid compiled',
      value: compiled,
      unit: 'ms CPU',
      note: 'and SimGrid: compiled, booted, a platform loaded (SIMTERPOSE_NO_CODE_CACHE=1)',
    },
    {
      name: 'simterpose platform two-hosts.xml',
      value: platform,
      unit: 'ms CPU',
      note: cached ? 'SimGrid loaded from its code cache instead' : 'SimGrid compiled: its code cache could not be built',
    },
    { name: 'simterpose run --cpu-model none -- /bin/true', value: uncharged, unit: 'ms CPU', note: 'and the addon and the mediator, tracing /bin/true' },
    { name: 'simterpose run -- /bin/true', value: simterpose, unit: 'ms CPU', note: `${note(simterpose)}; without the startup snapshot` },
    {
      name: 'simterpose run -- /bin/true, from the snapshot',
      value: snapshot,
      unit: 'ms CPU',
      note: snapshot === null ? 'no startup snapshot could be built' : `${note(snapshot)}; bin/simterpose, the package's command`,
    },
    { name: 'simterpose over Node.js alone', value: (snapshot ?? simterpose) - node, unit: 'ms CPU', note: 'what simterpose itself adds' },
  ];
}
