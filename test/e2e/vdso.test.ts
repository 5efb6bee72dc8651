import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// simterpose's own vDSO (native/vdso) answers clock reads inside the
// program, from the page the mediator keeps, instead of a stop per read:
// under --cpu-model none every program must read exactly what it reads with
// every call trapped (--no-vdso), polling loops, threads, forks and execs
// included, on a true clock and on a skewed one.

const PLATFORM = 'test/fixtures/platforms/cpu-hosts.xml';
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

  test("a program that maps its own memory over the vDSO's page keeps it as it wrote it: simterpose stops writing there", async () => {
    const kept = ["the program's page below the vDSO kept its bytes", 'EXIT-SUCCESS'];
    const result = await runSimterpose([appPath('vdso_clocks'), 'remap'], { platform: PLATFORM, runOptions: ['--cpu-model', 'none'] });
    expect(succeeded(result)).toEqual(kept);
  });

  for (const [why, runOptions] of [
    ['under the cputime model (work between reads must be charged at each read)', ['--cpu-model', 'cputime']],
    ['under --strace (every read is to be seen)', ['--cpu-model', 'none', '--strace', '/dev/null']],
  ] as const) {
    test(`${why}, programs have no vDSO and every read traps, as before`, async () => {
      expect(succeeded(await run([...runOptions])).filter(saysVdso)).toEqual(['main: has a vDSO 0', 'exec-ed: has a vDSO 0']);
    });
  }
});
