import { describe, expect, test } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { runExperiment } from '../../src/index.js';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// simterpose's own vDSO (native/vdso) answers clock reads inside the
// program, from the page the mediator keeps, instead of a stop per read:
// under --cpu-model none every program must read exactly what it reads with
// every call trapped (--no-vdso), polling loops, threads, forks and execs
// included, on a true clock and on a skewed one. Under cputime a read traps
// once the work since the last stop may reach --cpu-threshold, so that a
// loop computing and reading the clock still sees time move.

const PLATFORM = 'test/fixtures/platforms/cpu-hosts.xml';
const instructionCounterAvailable = ptrace.instructionCounterAvailable();
const SKEWED = ['--fault', 'clock:slow:offset=0.25:drift=+50ppm'];

function succeeded(result: RunResult): string[] {
  expect(result.stderr).toBe('');
  expect(shellStatus(result)).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines.at(-1)).toBe('EXIT-SUCCESS');
  return lines;
}

const saysVdso = (line: string): boolean => line.includes('has a vDSO');

function run(runOptions: string[]): Promise<RunResult> {
  return runSimterpose([appPath('vdso_clocks')], { platform: PLATFORM, runOptions });
}

describe("simterpose's vDSO", () => {
  test('the program reads its clocks natively, the kernel giving it a vDSO', async () => {
    expect(succeeded(await runNative([appPath('vdso_clocks')])).filter(saysVdso)).toEqual(['main: has a vDSO 1', 'exec-ed: has a vDSO 1']);
  });

  for (const [clock, faults, firstPoll] of [
    ['a true clock', [], 'main: 49986 reads to see 50 us pass, at 1000000050000 ns'],
    ['a skewed clock', SKEWED, 'main: 49986 reads to see 50 us pass, at 1000000050003 ns'],
  ] as const) {
    test(`under --cpu-model none, every clock read through it on ${clock} gives what a trapped read gives (--no-vdso), polling loops, threads, forks and execs included`, async () => {
      const own = succeeded(await run(['--cpu-model', 'none', ...faults]));
      const trapped = succeeded(await run(['--cpu-model', 'none', '--no-vdso', ...faults]));
      expect(own.filter(saysVdso)).toEqual(['main: has a vDSO 1', 'exec-ed: has a vDSO 1']);
      expect(trapped.filter(saysVdso)).toEqual(['main: has a vDSO 0', 'exec-ed: has a vDSO 0']);
      expect(own.filter((line) => !saysVdso(line))).toEqual(trapped.filter((line) => !saysVdso(line)));
      // The polling throttle still moves time: 10 us per 10000 reads.
      expect(own).toContain(firstPoll);
    });
  }

  test('a program that reads no clock for a while, and children it forks before and after its first read, read what trapped reads give once they do', async () => {
    const late = (runOptions: string[]) => runSimterpose([appPath('clock_late')], { platform: PLATFORM, runOptions: ['--cpu-model', 'none', ...runOptions] });
    const own = succeeded(await late([]));
    const trapped = succeeded(await late(['--no-vdso']));
    expect(own[0]).toBe('has a vDSO 1');
    expect(trapped[0]).toBe('has a vDSO 0');
    expect(own.slice(1)).toEqual(trapped.slice(1));
  });

  test("a program that maps its own memory over the vDSO's page keeps it as it wrote it: simterpose stops writing there", async () => {
    const kept = ["the program's page below the vDSO kept its bytes", 'EXIT-SUCCESS'];
    const result = await runSimterpose([appPath('vdso_clocks'), 'remap'], { platform: PLATFORM, runOptions: ['--cpu-model', 'none'] });
    expect(succeeded(result)).toEqual(kept);
  });

  test('under the cputime model, every program gets it too, threads, forks and execs included', async () => {
    expect(succeeded(await run(['--cpu-model', 'cputime'])).filter(saysVdso)).toEqual(['main: has a vDSO 1', 'exec-ed: has a vDSO 1']);
  });

  test('under --strace (every read is to be seen), programs have no vDSO and every read traps, as before', async () => {
    expect(succeeded(await run(['--cpu-model', 'none', '--strace', '/dev/null'])).filter(saysVdso)).toEqual(['main: has a vDSO 0', 'exec-ed: has a vDSO 0']);
  });
});

/** The number after `name ` in clock_until's output. */
function value(lines: string[], name: string): number {
  const line = lines.find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no '${name}' line in:\n${lines.join('\n')}`);
  return Number(line.slice(name.length + 1));
}

const SPAN_MS = 100;
const SPAN_NS = SPAN_MS * 1e6;

/** clock_until's lines on the slow host, with or without simterpose's vDSO, and the run's events (stops and notifications). */
async function clockUntil(cpuModel: 'cputime' | 'instructions', vdso = true): Promise<{ lines: string[]; events: number }> {
  const result = await runExperiment({ platform: PLATFORM, command: [appPath('clock_until'), String(SPAN_MS)], host: 'slow', cpuModel, vdso });
  expect(result.exitCodes).toEqual([0]);
  const lines = result.outputs[0]!.stdout.trimEnd().split('\n');
  expect(lines.at(-1)).toBe('EXIT-SUCCESS');
  return { lines, events: result.stops };
}

describe("a loop that only reads the clock, through simterpose's vDSO", () => {
  test(`under cputime, sees ${SPAN_MS} ms pass as with every read trapped (its CPU time is charged, --cpu-threshold at a time), ` +
    'making about as many reads as natively, all but a few without an event, where every trapped read is one', async () => {
    const native = succeeded(await runNative([appPath('clock_until'), String(SPAN_MS)]));
    const own = await clockUntil('cputime');
    const trapped = await clockUntil('cputime', false);
    expect(own.lines).toContain('has a vDSO 1');
    expect(trapped.lines).toContain('has a vDSO 0');
    // Time moves by the loop's work, charged when a read traps: once its
    // wall time since the last stop may hold --cpu-threshold (1e5 flops,
    // 100 us on the 1 Gf host) of work, carried work included, the last
    // step is under 2 thresholds (and a 10 us pause of the polling throttle).
    for (const { lines } of [own, trapped]) {
      expect(value(lines, 'elapsed')).toBeGreaterThanOrEqual(SPAN_NS);
      expect(value(lines, 'elapsed')).toBeLessThan(SPAN_NS + 250e3);
    }
    // A read from the page costs the loop about what the kernel's vDSO
    // does (10-40 ns here): the reads one virtual span holds are about the
    // native loop's (whose count varies with the CPU share this machine
    // gives it in its span). They trap only at the deadlines, one per
    // threshold of work at most (1000 in the span), where each trapped read
    // is an event. How many reads a trapped loop makes depends on how much
    // of a stop's cost the cputime model takes off (host/stop-overhead.ts),
    // not on the vDSO: it is not compared.
    const reads = value(own.lines, 'reads');
    expect(reads).toBeGreaterThan(value(native, 'reads') / 4);
    expect(reads).toBeLessThan(value(native, 'reads') * 20);
    expect(own.events).toBeLessThan(reads / 100);
    expect(trapped.events).toBeGreaterThanOrEqual(value(trapped.lines, 'reads'));
  }, 120_000);

  test.skipIf(!instructionCounterAvailable)(
    'under the instructions model, gets no vDSO: every read traps and is charged exactly, and a rerun sees the same reads and times' +
      (instructionCounterAvailable ? '' : ' (skipped: this machine has no hardware instruction counter)'),
    async () => {
      const { lines: first } = await clockUntil('instructions');
      expect(first).toContain('has a vDSO 0');
      expect(value(first, 'elapsed')).toBeGreaterThanOrEqual(SPAN_NS);
      expect((await clockUntil('instructions')).lines).toEqual(first);
    },
    120_000,
  );
});
