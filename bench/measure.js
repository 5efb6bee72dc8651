// What the benchmark sections share: building their programs, and timing
// whole runs in wall time from outside (simterpose virtualizes the programs'
// own clocks, so they cannot time themselves).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));
export const binDir = fileURLToPath(new URL('./bin/', import.meta.url));
export const simterposeCli = `${repoRoot}bin/simterpose.js`;
/** The package's command, which starts Node.js from the CLI's startup snapshot once one is built (src/snapshot). */
export const simterposeCommand = `${repoRoot}bin/simterpose`;
/** The environment simterposeCommand runs in: it takes the first node on PATH, this one. */
export const commandEnv = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` };
const SNAPSHOT_WAIT_MS = 120_000;

/**
 * Whether simterposeCommand has a startup snapshot of the current bundle,
 * after a first run that has it built in the background, waited for: where
 * bin/simterpose looks for it, the command's path then Node.js's under the
 * user's cache folder. One left from an earlier bundle would send every run
 * the long way (and build anew): it is removed first.
 */
export function freshSnapshot() {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const blob = `${cache}/simterpose/snapshot${simterposeCommand}${dirname(process.execPath)}/node.blob`;
  for (const file of [blob, `${blob}.node`, `${blob}.failed`]) rmSync(file, { force: true });
  spawnSync(simterposeCommand, ['--version'], { env: commandEnv, stdio: 'ignore' });
  for (const deadline = Date.now() + SNAPSHOT_WAIT_MS; Date.now() < deadline; ) {
    if (existsSync(`${blob}.node`)) return true;
    if (existsSync(`${blob}.failed`)) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  return false;
}

/**
 * Builds SimGrid's code cache (src/sim/code-cache.ts) anew, as a run that
 * finds none has it built in the background: the runs measured then load
 * SimGrid from it, as users' runs do after their first. Whether it was built.
 */
export function freshCodeCache() {
  const built = spawnSync(process.execPath, [`${repoRoot}dist/sim/build-code-cache.js`, `${repoRoot}native/simgrid-wasm/dist/simgrid.wasm`], {
    stdio: 'ignore',
  });
  return built.status === 0;
}

/** Compiles each [output, source] pair with gcc -O2 into bench/bin. */
export function buildPrograms(builds) {
  mkdirSync(binDir, { recursive: true });
  for (const [output, source] of builds) {
    execFileSync('gcc', ['-O2', '-Wall', '-Werror', '-o', output, source], { stdio: 'inherit' });
  }
}

/** Resolves when `child` exits with status 0; rejects, with its first stderr line, otherwise. */
export function exited(child, what) {
  return new Promise((resolve, reject) => {
    const stderr = [];
    child.stderr?.on('data', (chunk) => stderr.push(chunk));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      if (status === 0) resolve();
      else
        reject(
          new Error(
            `${what}: ${status === null ? `killed by ${signal}` : `exit status ${status}`} ${Buffer.concat(stderr).toString().trim().split('\n')[0] ?? ''}`,
          ),
        );
    });
  });
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The CPU time a command and every process it reaped took, as bench/cpu-of.c prints it (built by the sections that use it). */
export const cpuOf = `${binDir}cpu-of`;

/**
 * Runs `argv` to its end: its wall-clock seconds and, if `keepStdout`, its
 * stdout (left out otherwise: a program's output past spawnSync's buffer
 * would end it); throws with the run's telling stderr line if it fails.
 */
function runToEnd(argv, timeoutMs, env, keepStdout = false) {
  const started = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { cwd: repoRoot, env, stdio: ['ignore', keepStdout ? 'pipe' : 'ignore', 'pipe'], timeout: timeoutMs });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) {
    const lines = result.stderr.toString().trim().split('\n');
    // A stack trace starts with where it was thrown; the error's own line says more.
    const telling = lines.find((line) => /error|simterpose:/i.test(line)) ?? lines[0] ?? '';
    const how = result.status === null ? `killed by ${result.signal}` : `exit status ${result.status}`;
    throw new Error(`${how}${telling ? `: ${telling.trim()}` : ''}`);
  }
  return { seconds, stdout: result.stdout?.toString() ?? '' };
}

/** Wall-clock seconds of one run; throws with the run's telling stderr line if it fails. */
export function timeRun(argv, timeoutMs = 600_000, env = process.env) {
  return runToEnd(argv, timeoutMs, env).seconds;
}

/**
 * Wall-clock seconds of one run, and the CPU seconds it took with every
 * process it reaped (cpu-of: wait4's count, exact), whatever CPUs they ran
 * on: a tool that spreads a run over several CPUs takes less wall time for
 * as much work or more.
 */
export function timeAndCpuRun(argv, timeoutMs = 600_000, env = process.env) {
  // cpu-of sends the program's stdout to /dev/null and prints only its count.
  const { seconds, stdout } = runToEnd([cpuOf, ...argv], timeoutMs, env, true);
  return { seconds, cpuSeconds: Number(stdout) / 1e6 };
}

/** Median wall seconds of `busy` minus that of `idle`, runs interleaved so that a slow spell hits both alike. */
export function wallDifference(idle, busy, runs = 5) {
  const idleTimes = [];
  const busyTimes = [];
  for (let run = 0; run < runs; run++) {
    idleTimes.push(timeRun(idle));
    busyTimes.push(timeRun(busy));
  }
  return median(busyTimes) - median(idleTimes);
}

/** A row of µs per call of `commandFor(n)`: wall time with n = calls minus n = 0, over `calls`. */
export function perCallRow(name, commandFor, calls, note) {
  try {
    return { name, value: (wallDifference(commandFor(0), commandFor(calls)) / calls) * 1e6, unit: 'µs/call', note };
  } catch (error) {
    return { name, value: null, unit: 'µs/call', note: `failed: ${error.message}` };
  }
}

/**
 * A row of numerator / denominator against a ceiling (≤ target), or against
 * a floor (≥ target) when `atLeast`, for rates, where more is better.
 */
export function ratioRow(name, numerator, denominator, target, { atLeast = false } = {}) {
  const goal = target === undefined ? '' : `target ${atLeast ? '≥' : '≤'} ${target}×`;
  if (numerator.value === null || denominator.value === null) {
    return { name, value: null, unit: '×', note: `${goal}${goal ? ', ' : ''}not measured` };
  }
  const value = numerator.value / denominator.value;
  const met = atLeast ? value >= target : value <= target;
  return { name, value, unit: '×', note: goal ? `${goal}: ${met ? 'met' : 'MISSED'}` : '' };
}
