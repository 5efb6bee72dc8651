import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { EXIT_STATUS } from '../../src/exit-status.js';
import { runExperiment } from '../../src/index.js';
import { RUN_OPTIONS } from '../../src/run-options.js';
import { appPath, DEFAULT_PLATFORM, runSimterpose } from '../helpers/apps.js';

/** What runExperiment rejected with, as the CLI would print it. */
async function rejection(run: Promise<unknown>): Promise<UserError> {
  const error = await run.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UserError);
  return error as UserError;
}

describe('runExperiment fails as the CLI does', () => {
  it('a deadlock rejects with the run-failed status and says who waits for what', async () => {
    const error = await rejection(runExperiment({ platform: DEFAULT_PLATFORM, command: [appPath('deadlock')], cpuModel: 'none' }));
    expect(error.exitCode).toBe(EXIT_STATUS.runFailed);
    expect(error.message).toMatch(/^deadlock: every process waits/);
    expect(error.message).toMatch(/deadlock\[\d+\] on alice waits for futex 0x[0-9a-f]+/);
  });

  it('an unsupported syscall rejects with the run-failed status, names the call and says how to report it', async () => {
    const error = await rejection(runExperiment({ platform: DEFAULT_PLATFORM, command: [appPath('unsupported')], cpuModel: 'none' }));
    expect(error.exitCode).toBe(EXIT_STATUS.runFailed);
    expect(error.message).toMatch(/unsupported syscall msgrcv \(70\)/);
    expect(error.hint).toMatch(/simterpose syscalls/);
    const cli = await runSimterpose([appPath('unsupported')], { runOptions: ['--cpu-model', 'none'] });
    expect(cli.status).toBe(EXIT_STATUS.runFailed);
    expect(cli.stderr).toContain(`simterpose: ${error.message}\nhint: ${error.hint}\n`);
  });

  it('a bad option value is the same one-line usage error from the library and from the command line', async () => {
    const error = await rejection(runExperiment({ platform: DEFAULT_PLATFORM, command: ['true'], seed: -1 }));
    expect(error.exitCode).toBe(EXIT_STATUS.usage);
    expect(error.message).toMatch(/^--seed must be an integer/);
    const cli = await runSimterpose(['true'], { runOptions: ['--seed', '-1'] });
    expect(cli.status).toBe(EXIT_STATUS.usage);
    expect(cli.stderr).toBe(`simterpose: ${error.message}\n`);
  });
});

describe('the run options, declared once', () => {
  it("each option's command-line flag names the runExperiment option commander gives it", () => {
    for (const [key, spec] of Object.entries(RUN_OPTIONS)) {
      const long = /^--(?:no-)?([a-z-]+)/.exec(spec.flag)![1]!;
      expect(
        long.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase()),
        spec.flag,
      ).toBe(key);
    }
  });
});
