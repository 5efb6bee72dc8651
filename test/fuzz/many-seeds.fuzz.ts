import { expect, test } from 'vitest';
import { FUZZ_MODES, fuzzFigures, fuzzSeed, type FuzzMode, type FuzzRun } from '../helpers/fuzz.js';

// `npm run fuzz`: many seeds of the syscall fuzzer in every mode, with the
// figures at the end. FUZZ_SEEDS (200), FUZZ_FIRST_SEED (1), FUZZ_CALLS (300)
// and FUZZ_JOBS (2 runs at a time) change how much it does.
const seeds = Number(process.env.FUZZ_SEEDS ?? 200);
const firstSeed = Number(process.env.FUZZ_FIRST_SEED ?? 1);
const calls = Number(process.env.FUZZ_CALLS ?? 300);
const jobs = Number(process.env.FUZZ_JOBS ?? 2);

test(`${seeds} seeds of ${calls} hostile calls, in every mode, end as on Linux`, { timeout: 0 }, async () => {
  const work: [number, FuzzMode][] = [];
  for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
    for (const mode of Object.keys(FUZZ_MODES) as FuzzMode[]) work.push([seed, mode]);
  }
  const runs: FuzzRun[] = [];
  const worker = async () => {
    for (let next = work.shift(); next !== undefined; next = work.shift()) {
      const run = await fuzzSeed(next[0], calls, next[1]);
      runs.push(run);
      if (run.verdict !== 'ok') console.log(`seed ${run.seed} --${run.mode}: ${run.verdict}: ${run.detail}`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  const figures = fuzzFigures(runs);
  console.log(
    Object.entries(figures)
      .map(([name, value]) => `${name}: ${value}`)
      .join(', '),
  );
  expect(runs.filter((run) => run.verdict !== 'ok')).toEqual([]);
});
