import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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
    expect(error.message).toMatch(/unsupported syscall io_getevents \(208\)/);
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
  it("each option's command-line flag names the runExperiment option commander gives it (in the plural for a repeated flag: --fault, faults; --migrate, migrations)", () => {
    const plural = new Map([
      ['fault', 'faults'],
      ['migrate', 'migrations'],
    ]);
    for (const [key, spec] of Object.entries(RUN_OPTIONS)) {
      const long = /^--(?:no-)?([a-z-]+)/.exec(spec.flag)![1]!;
      const named = long.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
      expect(plural.get(named) ?? named, spec.flag).toBe(key);
    }
  });
});

describe('a program Linux cannot run is said so in one line, with status 127, whatever the trapping', () => {
  const folder = mkdtempSync(join(tmpdir(), 'simterpose-exec-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));
  const program = (name: string, content: string | Buffer): string => {
    const path = join(folder, name);
    writeFileSync(path, content);
    chmodSync(path, 0o755);
    return path;
  };
  const cases = [
    { what: 'a script without #!', path: program('no-shebang.sh', 'echo hi\n'), says: 'not a program Linux can run (no #! line, or a file of another format)' },
    {
      what: 'a script whose interpreter is missing',
      path: program('missing.sh', '#!/no/such/interpreter\necho hi\n'),
      says: 'bad interpreter /no/such/interpreter: no such file',
    },
    {
      what: 'a file of garbage',
      path: program('garbage', Buffer.from([0x7f, 0x45, 0x4c, 0x46, 1, 2, 3, 4, 5, 6, 7, 8])),
      says: 'not a program Linux can run (no #! line, or a file of another format)',
    },
  ];
  for (const { what, path, says } of cases) {
    for (const runOptions of [
      ['--cpu-model', 'none'],
      ['--cpu-model', 'none', '--no-notify-syscalls'],
    ]) {
      it(`${what} (${runOptions.join(' ')})`, async () => {
        const result = await runSimterpose([path], { runOptions, timeoutMs: 20_000 });
        expect(result.status).toBe(EXIT_STATUS.cannotExecute);
        expect(result.stderr).toBe(`simterpose: cannot execute '${path}': ${says}\n`);
      });
    }
  }
});

describe('--untrap', () => {
  it('refuses to leave a call that can wait inside the kernel untrapped: it would hold the whole run', async () => {
    const result = await runSimterpose(['true'], { runOptions: ['--untrap', 'wait4'] });
    expect(result.status).toBe(EXIT_STATUS.usage);
    expect(result.stderr).toBe('simterpose: --untrap: wait4 can wait inside the kernel, where it would hold the whole run: it must stay trapped\n');
  });

  it('refuses to leave a call that frees descriptor numbers untrapped: the descriptor table would keep what it knew of them', async () => {
    for (const name of ['close', 'dup2', 'dup3', 'close_range']) {
      const result = await runSimterpose(['true'], { runOptions: ['--untrap', name] });
      expect(result.status).toBe(EXIT_STATUS.usage);
      expect(result.stderr).toBe(
        `simterpose: --untrap: ${name} frees descriptor numbers, which simterpose must see to keep its descriptor table right: it must stay trapped\n`,
      );
    }
  });
});
