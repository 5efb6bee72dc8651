// Start-up: the CPU time a whole simterpose run of /bin/true costs (the
// simterpose process and everything it started, as the kernel counts them
// for a reaped child), beside Node.js doing nothing and /bin/true alone.
// CPU time, not wall time: it is what concurrent runs (a test suite, a
// sweep) pay each other, and it moves less with the machine's load.
// The target of issue 23: 50 ms.
//
// Steps in between say where that time goes: each command does what the
// one before it did, and one thing more (loading the CLI, then SimGrid, then
// tracing a program, then the cputime model a machine without an
// instruction counter uses: what a ptrace stop costs a tracee is measured
// by the first run after boot and read from the user's cache folder by the
// others, so the median is that of runs that read it).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { median, repoRoot, simterposeCli } from './measure.js';

const RUNS = 7;
const TARGET_MS = 50;

/** User and system CPU time of this process's reaped children so far, in ms (/proc/self/stat's cutime and cstime). */
function childrenCpuMs() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of stat(5), counted from 1 with pid and comm the first two.
  const ticks = Number(fields[13]) + Number(fields[14]);
  return (ticks * 1000) / clockTicksPerSecond();
}

let ticksPerSecond;
function clockTicksPerSecond() {
  ticksPerSecond ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim());
  return ticksPerSecond;
}

/** Median CPU ms of `argv` run to its end. */
function cpuOfRuns(argv) {
  const costs = [];
  for (let run = 0; run < RUNS; run++) {
    const before = childrenCpuMs();
    const result = spawnSync(argv[0], argv.slice(1), { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
    if (result.status !== 0) throw new Error(`${argv.join(' ')}: exit status ${result.status}: ${result.stderr}`);
    costs.push(childrenCpuMs() - before);
  }
  return median(costs);
}

export async function run() {
  const node = cpuOfRuns([process.execPath, '-e', '0']);
  const help = cpuOfRuns([process.execPath, simterposeCli, '--help']);
  const platform = cpuOfRuns([process.execPath, simterposeCli, 'platform', 'platforms/two-hosts.xml']);
  const uncharged = cpuOfRuns([process.execPath, simterposeCli, 'run', '--quiet', '--cpu-model', 'none', 'platforms/two-hosts.xml', '--', '/bin/true']);
  const simterpose = cpuOfRuns([process.execPath, simterposeCli, 'run', '--quiet', 'platforms/two-hosts.xml', '--', '/bin/true']);
  const alone = cpuOfRuns(['/bin/true']);
  const note = (value) => `${value <= TARGET_MS ? 'meets' : 'misses'} the ${TARGET_MS} ms target; median of ${RUNS}, ${1000 / clockTicksPerSecond()} ms ticks`;
  return [
    { name: '/bin/true natively', value: alone, unit: 'ms CPU', note: `median of ${RUNS}` },
    { name: 'node -e 0 (Node.js alone)', value: node, unit: 'ms CPU', note: `median of ${RUNS}; ${process.version}` },
    { name: 'simterpose --help', value: help, unit: 'ms CPU', note: 'Node.js and the CLI loaded' },
    { name: 'simterpose platform two-hosts.xml', value: platform, unit: 'ms CPU', note: 'and SimGrid: compiled, booted, a platform loaded' },
    { name: 'simterpose run --cpu-model none -- /bin/true', value: uncharged, unit: 'ms CPU', note: 'and the addon and the mediator, tracing /bin/true' },
    { name: 'simterpose run -- /bin/true', value: simterpose, unit: 'ms CPU', note: note(simterpose) },
    { name: 'simterpose over Node.js alone', value: simterpose - node, unit: 'ms CPU', note: 'what simterpose itself adds' },
  ];
}
