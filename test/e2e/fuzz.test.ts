import { describe, expect, test } from 'vitest';
import { fuzzSeed, type FuzzMode } from '../helpers/fuzz.js';

// A short slice of the syscall fuzzer (test/apps/fuzz_syscalls.c): a few
// seeds, each in one of the ways simterpose runs programs. `npm run fuzz`
// runs many more, in every mode.
const SLICE: readonly [number, FuzzMode][] = [
  [3, 'full'],
  [4, 'translate'],
  [7, 'no-notify'],
  [8, 'strace'],
  [9, 'full'],
  [10, 'translate'],
  [12, 'no-notify'],
  [14, 'strace'],
];
const CALLS = 300;

describe('hostile syscalls get the answers Linux gives, and never end the run', () => {
  test.each(SLICE)(`seed %i of ${CALLS} calls under --%s: no internal error, no hang, every result and the status as on Linux`, async (seed, mode) => {
    const run = await fuzzSeed(seed, CALLS, mode);
    expect(run.verdict, run.detail).toBe('ok');
  });
});
