import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment, UserError } from '../../src/index.js';
import { runNative, type RunResult } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// What a run writes must be writable before any program runs: a mistake in
// a path is refused in one line with the usage status, and the program that
// would have created a file has not run.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'platforms/two-hosts.xml';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'simterpose-outputs-'));
}

/** `simterpose run OPTIONS platform -- touch MARKER`, as `uid` if given. */
function runTouching(options: string[], marker: string, uid?: number): Promise<RunResult> {
  return runNative([process.execPath, CLI, 'run', ...options, PLATFORM, '--', 'touch', marker], { timeoutMs: 30_000, ...(uid === undefined ? {} : { uid }) });
}

describe('an output simterpose could not write is refused before any program runs', () => {
  const folder = scratch();
  const file = join(folder, 'a-file');
  writeFileSync(file, '');
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'a report in a missing folder',
      '--report',
      join(folder, 'missing', 'report.json'),
      /^--report: cannot write .*\/missing\/report\.json: folder .*\/missing does not exist$/,
    ],
    ['a report that is a folder', '--report', folder, /^--report: cannot write .*: it is a folder$/],
    ['a CSV report that is a folder', '--report-csv', folder, /^--report-csv: cannot write .*: it is a folder$/],
    ['a report under a file', '--report', join(file, 'report.json'), /^--report: cannot write .*: a folder on its way is a file$/],
    [
      'a trace on /proc',
      '--trace',
      '/proc/simterpose-trace.json',
      /^--trace: cannot write \/proc\/simterpose-trace\.json: it is on the kernel's proc filesystem, which keeps no files$/,
    ],
    [
      'a report on /sys',
      '--report',
      '/sys/kernel/simterpose.json',
      /^--report: cannot write \/sys\/kernel\/simterpose\.json: it is on the kernel's sysfs filesystem, which keeps no files$/,
    ],
    [
      'an output folder on /proc (it used to hang)',
      '--output-dir',
      '/proc/simterpose-out/run',
      /^--output-dir: cannot write in \/proc\/simterpose-out\/run: it is on the kernel's proc filesystem, which keeps no files$/,
    ],
    ['an output folder that is a file', '--output-dir', file, /^--output-dir: cannot write in .*a-file: .*a-file is not a folder$/],
    [
      'a strace file on /proc',
      '--strace=/proc/simterpose.strace',
      '',
      /^--strace: cannot write \/proc\/simterpose\.strace: it is on the kernel's proc filesystem/,
    ],
  ];
  for (const [what, option, value, message] of cases) {
    it(what, async () => {
      const marker = join(scratch(), 'marker');
      const result = await runTouching(value === '' ? [option] : [option, value], marker);
      expect(result.status).toBe(2);
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]!.replace(/^simterpose: /, '')).toMatch(message);
      expect(existsSync(marker)).toBe(false);
    });
  }

  it('a report in a folder this user may not write in', async () => {
    const locked = scratch();
    // root may write anywhere: the refusal is then checked for nobody.
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    chmodSync(locked, 0o555);
    const marker = join(scratch(), 'marker');
    chmodSync(join(marker, '..'), 0o777);
    const result = await runTouching(['--report', join(locked, 'report.json')], marker, uid);
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toBe(`simterpose: --report: cannot write ${join(locked, 'report.json')}: no permission to write in ${locked}\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it.each([['--trace'], ['--report-csv']])('the same file for the report and %s', async (other) => {
    const report = join(scratch(), 'run.json');
    const marker = join(scratch(), 'marker');
    const result = await runTouching(['--report', report, other, report], marker);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`simterpose: ${report} is given for two outputs of the run: each needs its own file\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('by runExperiment too, with the usage status', async () => {
    const marker = join(scratch(), 'marker');
    const refused = await runExperiment({ platform: PLATFORM, command: ['touch', marker], outputDir: '/proc/simterpose-out' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).exitCode).toBe(2);
    expect(existsSync(marker)).toBe(false);
  });

  it('while a device, a folder to create and an existing file are accepted', async () => {
    const folder = scratch();
    const report = join(folder, 'report.json');
    writeFileSync(report, 'old');
    const marker = join(folder, 'marker');
    const result = await runTouching(['--report', report, '--trace', '/dev/null', '--output-dir', join(folder, 'out', 'run')], marker);
    expect(result.status, result.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(existsSync(join(folder, 'out', 'run'))).toBe(true);
  });
});
