import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';
import { runExperimentArtefacts } from '../helpers/experiment.js';

// Reproducibility: whatever a program could read that differs from run to
// run on a real machine comes from simterpose, fixed by the platform, the
// deployment, the options and --seed.

const FREE_CPU = ['--cpu-model', 'none'];

function expectSuccess(result: RunResult): void {
  expect(result.stderr).toBe('');
  expect(shellStatus(result)).toBe(0);
  expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('EXIT-SUCCESS');
}

/** "label hex" lines as [label, hex] pairs. */
function labelled(stdout: string): Array<[string, string]> {
  return stdout
    .trimEnd()
    .split('\n')
    .map((line) => line.split(' ') as [string, string])
    .filter((fields) => fields.length === 2);
}

describe('randomness comes from --seed', () => {
  const randomBytes = (seed?: number): Promise<RunResult> =>
    runSimterpose([appPath('random_bytes')], { runOptions: [...FREE_CPU, ...(seed === undefined ? [] : ['--seed', String(seed)])] });

  test("getrandom, /dev/urandom, /dev/random, AT_RANDOM and a child's bytes are the same on two runs with the same seed", async () => {
    const [first, second, defaultSeed] = await Promise.all([randomBytes(0), randomBytes(0), randomBytes()]);
    expectSuccess(first);
    expect(second.stdout).toBe(first.stdout);
    expect(defaultSeed.stdout).toBe(first.stdout);
    const values = labelled(first.stdout);
    expect(values.map(([label]) => label)).toEqual([
      'AT_RANDOM',
      'getrandom',
      'getrandom-odd',
      '/dev/urandom',
      'readv',
      '/dev/random',
      'readv',
      'fread',
      'child-getrandom',
      'parent-after-fork',
    ]);
    // Every read takes fresh bytes: no two values share a prefix.
    expect(new Set(values.map(([, hex]) => hex.slice(0, 8))).size).toBe(values.length);
  });

  test('another seed gives other bytes everywhere', async () => {
    const [zero, one] = await Promise.all([randomBytes(0), randomBytes(1)]);
    expectSuccess(one);
    const before = labelled(zero.stdout);
    const after = labelled(one.stdout);
    expect(after.map(([label]) => label)).toEqual(before.map(([label]) => label));
    for (const [i, [label, value]] of before.entries()) expect(after[i]![1], label).not.toBe(value);
  });

  test('natively the same program prints other bytes on every run: that is what the seed replaces', async () => {
    const [first, second] = await Promise.all([runNative([appPath('random_bytes')]), runNative([appPath('random_bytes')])]);
    expect(shellStatus(first)).toBe(0);
    expect(second.stdout).not.toBe(first.stdout);
  });

  test("python3's os.urandom and random module are reproducible", async () => {
    const script = 'import os, random; print(os.urandom(8).hex(), random.random())';
    const runs = await Promise.all([0, 0, 5].map((seed) => runSimterpose(['python3', '-c', script], { runOptions: [...FREE_CPU, '--seed', String(seed)] })));
    for (const run of runs) expect(shellStatus(run)).toBe(0);
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
    expect(runs[2]!.stdout).not.toBe(runs[0]!.stdout);
  });

  test('a seed that is not a non-negative integer is refused in one line', async () => {
    const result = await runSimterpose([appPath('random_bytes')], { runOptions: ['--seed', '-3'] });
    expect(shellStatus(result)).toBe(2);
    expect(result.stderr.trim().split('\n')[0]).toMatch(/--seed must be an integer/);
  });
});

describe('address-space randomization is off', () => {
  test('stack, heap, mmap, libc and program addresses are the same on every run', async () => {
    const runs = await Promise.all([0, 1].map(() => runSimterpose([appPath('addresses')], { runOptions: FREE_CPU })));
    expectSuccess(runs[0]!);
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
  });

  test.skipIf(readFileSync('/proc/sys/kernel/randomize_va_space', 'utf8').trim() === '0')(
    'natively (with randomization on in the kernel) they differ between runs',
    async () => {
      const runs = await Promise.all([0, 1].map(() => runNative([appPath('addresses')])));
      expect(runs[1]!.stdout).not.toBe(runs[0]!.stdout);
    },
  );
});

describe('programs see virtual pids', () => {
  test("pids, parent pids, tids, groups and sessions are the host's virtual ids in creation order; kill, waitpid, waitid, pthread_kill, pthread_join and sigqueue work with them", async () => {
    const result = await runSimterpose([appPath('pids')], { runOptions: FREE_CPU });
    expectSuccess(result);
    expect(result.stdout.trimEnd().split('\n')).toEqual([
      'main pid 1000 ppid 1 tid 1000',
      'main group 1 session 1',
      'thread tid 1001',
      'thread joined after pthread_kill',
      'child pid 1002 ppid 1000 tid 1002',
      'fork returned 1002, waitpid collected it',
      'SIGCHLD came from 1002',
      'waitid collected 1003',
      'own group 1000',
      'tgkill, kill(0) and kill(-group) reached the caller',
      'sigqueue reached the caller, from 1000',
      'EXIT-SUCCESS',
    ]);
  });

  test("the same program natively passes the same checks (with the kernel's pids)", async () => {
    const result = await runNative([appPath('pids')]);
    expectSuccess(result);
    expect(result.stdout).not.toContain('main pid 1000 ppid 1 ');
  });

  test('--strace lines carry the virtual tid', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'simterpose-strace-')), 'trace.txt');
    const result = await runSimterpose([appPath('pids')], { runOptions: [...FREE_CPU, `--strace=${file}`] });
    expect(shellStatus(result)).toBe(0);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) expect(line).toMatch(/^\[alice 100[0-3] \d+\.\d{6}\] /);
    expect(lines).toContain('[alice 1000 0.000000] getpid() = 1000');
  });
});

const EXPERIMENT = ['test/fixtures/platforms/net-dumbbell.xml', 'test/fixtures/deployments/reproducible.xml'] as const;
/** The summary table ends with the run's wall time, which no two runs share: what is compared is what the programs and the simulation produce. */
const QUIET = ['--quiet'];

describe('a multi-host experiment, run twice', () => {
  test('with --cpu-model none, every byte it leaves is the same: pids, random bytes, dates, host names, network timings', async () => {
    const first = await runExperimentArtefacts(...EXPERIMENT, [...QUIET, ...FREE_CPU]);
    const second = await runExperimentArtefacts(...EXPERIMENT, [...QUIET, ...FREE_CPU]);
    expect(first.status).toBe(0);
    expect(second).toEqual(first);
    // The run did print what varies on a real machine, on every host, each in its host's pid namespace.
    for (const expected of [
      '[r2 1001] main pid 1001 ppid 1 tid 1001',
      '[r1 1001] AT_RANDOM ',
      '[s2 1002] Sat Jan  1 00:00:02 UTC 2000',
      '[s2 1003] s2',
      '[s1 1001] s1 1001 1 946684801.0 ',
      '[s1 1000] last echoed byte after ',
    ]) {
      expect(first.stdout).toContain(expected);
    }
  });

  test.skipIf(!ptrace.instructionCounterAvailable())(
    'with CPU time counted by the instructions model, every byte it leaves is the same' +
      (ptrace.instructionCounterAvailable() ? '' : ' (skipped: this machine has no hardware instruction counter)'),
    async () => {
      const first = await runExperimentArtefacts(...EXPERIMENT, [...QUIET, '--cpu-model', 'instructions']);
      const second = await runExperimentArtefacts(...EXPERIMENT, [...QUIET, '--cpu-model', 'instructions']);
      expect(first.status).toBe(0);
      expect(second).toEqual(first);
    },
  );
});

describe("programs count their host's cores", () => {
  const CORES_PLATFORM = 'test/fixtures/platforms/cores.xml';
  for (const [host, cores] of [
    ['single', 1],
    ['quad', 4],
    ['hundred', 100],
  ] as const) {
    test(`on a ${cores}-core host, sysconf, get_nprocs, the affinity mask, nproc, python3's os.cpu_count, /proc/cpuinfo and /proc/stat all say ${cores}`, async () => {
      const counts = await runSimterpose([appPath('cpu_count')], { platform: CORES_PLATFORM, runOptions: [...FREE_CPU, '--host', host] });
      expectSuccess(counts);
      expect(counts.stdout.trimEnd().split('\n')).toEqual([
        `sysconf-online ${cores}`,
        `sysconf-configured ${cores}`,
        `get_nprocs ${cores}`,
        `get_nprocs_conf ${cores}`,
        `affinity ${cores}`,
        'EXIT-SUCCESS',
      ]);
      const script =
        'nproc; python3 -c "import os; print(os.cpu_count(), len(os.sched_getaffinity(0)))"; grep -c ^processor /proc/cpuinfo; grep -c "^cpu[0-9]" /proc/stat; cat /sys/devices/system/cpu/online';
      const tools = await runSimterpose(['sh', '-c', script], { platform: CORES_PLATFORM, runOptions: [...FREE_CPU, '--host', host] });
      expect(shellStatus(tools)).toBe(0);
      expect(tools.stdout.trimEnd().split('\n')).toEqual([
        String(cores),
        `${cores} ${cores}`,
        String(cores),
        String(cores),
        cores === 1 ? '0' : `0-${cores - 1}`,
      ]);
    });
  }
});

describe('the machine behind the host does not show through sysinfo', () => {
  test('after an hour of virtual sleep sysinfo says up 4600 s (the host booted 1000 s before the epoch, as CLOCK_BOOTTIME has it), no load, one process', async () => {
    const result = await runSimterpose([appPath('sysinfo')], { runOptions: FREE_CPU });
    expectSuccess(result);
    expect(result.stdout.trimEnd().split('\n')).toEqual(['uptime 4600 loads 0 0 0 procs 1', 'EXIT-SUCCESS']);
  });
});
