import { describe, expect, test } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { appPath, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// Computation costs virtual time: the work a thread did between two stops
// runs as a SimGrid exec on its host. Under cputime the work is this
// machine's CPU time, which varies from run to run (and with whatever else
// the machine runs): relations between runs get a tolerance of 25%, on
// medians of five interleaved runs. Relations inside one run hold to 1-5%.

const PLATFORM = 'test/fixtures/platforms/cpu-hosts.xml';
/** About 0.1-0.2 s of CPU on this kind of machine: well above the 20 ms quantum and the noise of one stop. */
const ITERATIONS = '300000000';
const instructionCounterAvailable = ptrace.instructionCounterAvailable();

function expectSuccess(result: RunResult): void {
  expect(shellStatus(result), result.stderr).toBe(0);
  expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('EXIT-SUCCESS');
}

/** The number after `name ` in the program's output. */
function value(result: RunResult, name: string): number {
  const line = result.stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no '${name}' line in:\n${result.stdout}`);
  return Number(line.slice(name.length + 1));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function loop(host: string, model: string, extra: string[] = []): Promise<RunResult> {
  const result = await runSimterpose([appPath('compute_loop'), ITERATIONS], { platform: PLATFORM, runOptions: ['--host', host, '--cpu-model', model, ...extra] });
  expectSuccess(result);
  return result;
}

/** Median virtual durations (ns) of the loop in each configuration, runs interleaved so that a slow spell hits all alike. */
async function medianDurations(configurations: Array<() => Promise<RunResult>>, runs = 5): Promise<number[]> {
  const durations: number[][] = configurations.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, configuration] of configurations.entries()) durations[index]!.push(value(await configuration(), 'duration'));
  }
  return durations.map(median);
}

describe('a compute loop on hosts of different speeds (cputime)', () => {
  for (const host of ['slow', 'fast']) {
    test(`on the ${host} host, the loop's virtual duration equals the virtual CPU time its thread was charged, within 1%`, async () => {
      const result = await loop(host, 'cputime');
      const duration = value(result, 'duration');
      const cputime = value(result, 'cputime');
      expect(duration).toBeGreaterThan(20e6);
      expect(Math.abs(duration - cputime) / cputime).toBeLessThan(0.01);
    });
  }

  test('the loop takes half the virtual time on the 2 Gf host that it takes on the 1 Gf host, within 25%', async () => {
    const [slow, fast] = await medianDurations([() => loop('slow', 'cputime'), () => loop('fast', 'cputime')]);
    expect(slow! / fast!).toBeGreaterThan(2 * 0.85);
    expect(slow! / fast!).toBeLessThan(2 * 1.15);
  });

  test('doubling --reference-speed doubles the flops a CPU second counts for, and so the virtual time, within 25%', async () => {
    const [base, doubled] = await medianDurations([() => loop('slow', 'cputime'), () => loop('slow', 'cputime', ['--reference-speed', '2e9'])]);
    expect(doubled! / base!).toBeGreaterThan(2 * 0.85);
    expect(doubled! / base!).toBeLessThan(2 * 1.15);
  });
});

describe('a compute loop on hosts of different speeds (instructions)', () => {
  test.skipIf(!instructionCounterAvailable)(
    'counted in instructions, the loop takes half the virtual time on the 2 Gf host, within 1%, and reruns print the same bytes' +
      (instructionCounterAvailable ? '' : ' (skipped: this machine has no hardware instruction counter)'),
    async () => {
      const slow = await loop('slow', 'instructions');
      const fast = await loop('fast', 'instructions');
      const ratio = value(slow, 'duration') / value(fast, 'duration');
      expect(Math.abs(ratio - 2) / 2).toBeLessThan(0.01);
      expect((await loop('slow', 'instructions')).stdout).toBe(slow.stdout);
      expect((await loop('fast', 'instructions')).stdout).toBe(fast.stdout);
    },
  );
});

interface Child {
  start: number;
  end: number;
  cputime: number;
}

async function twoChildren(host: string): Promise<Child[]> {
  const result = await runSimterpose([appPath('compute_loop'), ITERATIONS, '2'], { platform: PLATFORM, runOptions: ['--host', host, '--cpu-model', 'cputime'] });
  expectSuccess(result);
  const children = [...result.stdout.matchAll(/^child \d+ start (\d+) end (\d+) cputime (\d+)$/gm)].map((match) => ({
    start: Number(match[1]),
    end: Number(match[2]),
    cputime: Number(match[3]),
  }));
  expect(children).toHaveLength(2);
  return children;
}

async function aloneDuration(host: string): Promise<number> {
  const durations: number[] = [];
  for (let run = 0; run < 3; run++) {
    const result = await runSimterpose([appPath('compute_loop'), ITERATIONS, '1'], { platform: PLATFORM, runOptions: ['--host', host, '--cpu-model', 'cputime'] });
    expectSuccess(result);
    const match = /^child 0 start (\d+) end (\d+)/m.exec(result.stdout);
    if (match === null) throw new Error(`no child line in:\n${result.stdout}`);
    durations.push(Number(match[2]) - Number(match[1]));
  }
  return median(durations);
}

describe('CPU-bound processes sharing a host (cputime)', () => {
  test('two processes on a one-core host share it: each ends when it has had its own CPU time plus as much of the other one, within 5%, about twice as late as alone', async () => {
    const alone = await aloneDuration('slow');
    const children = await twoChildren('slow');
    for (const [index, child] of children.entries()) {
      const other = children[1 - index]!;
      const shared = child.cputime + Math.min(child.cputime, other.cputime);
      expect(Math.abs(child.end - child.start - shared) / shared).toBeLessThan(0.05);
      const ratio = (child.end - child.start) / alone;
      expect(ratio).toBeGreaterThan(2 * 0.7);
      expect(ratio).toBeLessThan(2 * 1.3);
    }
  });

  test('two processes on a two-core host each take their own CPU time, within 2%, about as long as alone', async () => {
    const alone = await aloneDuration('duo');
    const children = await twoChildren('duo');
    for (const child of children) {
      expect(Math.abs(child.end - child.start - child.cputime) / child.cputime).toBeLessThan(0.02);
      const ratio = (child.end - child.start) / alone;
      expect(ratio).toBeGreaterThan(0.7);
      expect(ratio).toBeLessThan(1.3);
    }
  });
});
