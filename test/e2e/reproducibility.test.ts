import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

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

  test('getrandom, /dev/urandom, /dev/random, AT_RANDOM and a child\'s bytes are the same on two runs with the same seed', async () => {
    const [first, second, defaultSeed] = await Promise.all([randomBytes(0), randomBytes(0), randomBytes()]);
    expectSuccess(first);
    expect(second.stdout).toBe(first.stdout);
    expect(defaultSeed.stdout).toBe(first.stdout);
    const values = labelled(first.stdout);
    expect(values.map(([label]) => label)).toEqual([
      'AT_RANDOM', 'getrandom', 'getrandom-odd', '/dev/urandom', 'readv', '/dev/random', 'readv', 'fread', 'child-getrandom', 'parent-after-fork',
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
    before.forEach(([label, value], i) => expect(after[i]![1], label).not.toBe(value));
  });

  test('natively the same program prints other bytes on every run: that is what the seed replaces', async () => {
    const [first, second] = await Promise.all([runNative([appPath('random_bytes')]), runNative([appPath('random_bytes')])]);
    expect(shellStatus(first)).toBe(0);
    expect(second.stdout).not.toBe(first.stdout);
  });

  test('python3\'s os.urandom and random module are reproducible', async () => {
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
