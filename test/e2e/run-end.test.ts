import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunFailedError, runExperiment, type ChromeTrace, type ExperimentOptions } from '../../src/index.js';
import { appPath, runNative, shellStatus, type RunResult } from '../helpers/apps.js';
import { startSimterpose, waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { expectValidReport, readReport } from '../helpers/report-schema.js';

// Every run ends, and always with its results: at the stop time, at an
// actor's kill_time, past the wall-clock limit, on an interruption, on a
// deadlock or an unsupported syscall.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';

function simterpose(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return runNative([process.execPath, CLI, 'run', ...args], { env, timeoutMs: 60_000 });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'simterpose-run-end-'));
}

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** A deployment file of these actors (argv, host and attributes), in a scratch folder. */
function deployment(actors: Array<{ host: string; argv: string[]; start?: number; kill?: number }>): string {
  const body = actors.map(({ host, argv, start, kill }) => {
    const times = `${start === undefined ? '' : ` start_time="${start}"`}${kill === undefined ? '' : ` kill_time="${kill}"`}`;
    const args = argv
      .slice(1)
      .map((arg) => `<argument value="${arg}"/>`)
      .join('');
    return `  <actor host="${host}" function="${argv[0]}"${times}>${args}</actor>`;
  });
  const file = join(scratch(), 'deployment.xml');
  writeFileSync(file, `<?xml version='1.0'?>\n<platform version="4.1">\n${body.join('\n')}\n</platform>\n`);
  return file;
}

/** What runExperiment rejected with. */
async function failureOf(run: Promise<unknown>): Promise<RunFailedError> {
  const error = await run.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(RunFailedError);
  return error as RunFailedError;
}

const quiet: Partial<ExperimentOptions> = { cpuModel: 'none', captureOutput: true };

describe('--stop-time', () => {
  it('kills every process left at that virtual date; the run ends with status 0 and reports them as stopped', async () => {
    const report = join(scratch(), 'report.json');
    const result = await simterpose(['--cpu-model', 'none', '--stop-time', '3600', '--report', report, PLATFORM, '--', appPath('never_exits'), '2']);
    expect(shellStatus(result), result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.startsWith('running in'))).toHaveLength(3);
    expect(result.stderr).toMatch(/^alice +1000 +\S*never_exits +stopped +0 s +1 h /m);
    expect(result.stderr).toMatch(
      /^3 processes, virtual time 1 h, wall time .*, exit status 0\nstopped at 1 h \(--stop-time\): 3 processes were still running\n$/m,
    );
    // simterpose's own SIGKILLs are no crash.
    expect(result.stderr).not.toContain('killed by');
    const written = readReport(report);
    expect(written).toMatchObject({ version: 5, end: 'stop-time', virtualTime: 3600, exitCode: 0 });
    for (const process of written.processes) expect(process).toMatchObject({ exit: { signal: 9 }, status: 137, stopped: 'stop-time', end: 3600 });
    // An hour in at most 500 intervals: the first millisecond times a power of two above 7.2 s.
    expect(written.usage.interval).toBeCloseTo(8.192, 9);
    expect(written.usage.hosts.map((host) => host.cpuTime.length)).toEqual([Math.ceil(3600 / written.usage.interval)]);
  });

  it('leaves out of the run status only the processes it stopped: a program that failed before gives its status', async () => {
    const result = await runExperiment({
      ...quiet,
      platform: PLATFORM,
      deployment: deployment([
        { host: 'alice', argv: [appPath('exit_code'), '3'], start: 1 },
        { host: 'bob', argv: [appPath('never_exits'), '0'] },
      ]),
      stopTime: 10,
    });
    expect(result.end).toBe('stop-time');
    expect(result.exitCode).toBe(3);
    expect(result.report.processes.map((p) => [p.host, p.status, p.stopped])).toEqual([
      ['bob', 137, 'stop-time'],
      ['alice', 3, null],
    ]);
    // The report runExperiment returns is the one --report would write: no command line, the options as given.
    expectValidReport(result.report);
    expect(result.report.run).toMatchObject({ commandLine: null, command: null, options: { stopTime: 10, cpuModel: 'none' } });
  });

  it('never starts a program due at or after it, and a run that ends before it is completed', async () => {
    const late = await runExperiment({
      ...quiet,
      platform: PLATFORM,
      deployment: deployment([
        { host: 'bob', argv: [appPath('never_exits'), '0'] },
        { host: 'alice', argv: [appPath('exit_code'), '4'], start: 5 },
      ]),
      stopTime: 5,
    });
    expect(late.report.processes.map((p) => p.host)).toEqual(['bob']);
    expect(late.exitCode).toBe(0);
    const early = await runExperiment({ ...quiet, platform: PLATFORM, command: ['/bin/sleep', '1'], stopTime: 5 });
    expect(early).toMatchObject({ end: 'completed', exitCode: 0 });
    expect(early.report.virtualTime).toBe(1);
    expect(early.report.processes[0]!.stopped).toBeNull();
  });

  it('refuses a stop time that is not a positive number of seconds', async () => {
    const result = await simterpose(['--stop-time', '-1', PLATFORM, '--', '/bin/true']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('simterpose: --stop-time must be a positive number, not -1\n');
  });
});

describe("an actor's kill_time", () => {
  it('kills its process and every process it started at that date; the run goes on and counts them as stopped', async () => {
    const result = await runExperiment({
      ...quiet,
      platform: PLATFORM,
      deployment: deployment([
        { host: 'bob', argv: [appPath('never_exits'), '2'], kill: 5 },
        { host: 'alice', argv: ['/bin/sleep', '10'] },
      ]),
    });
    expect(result).toMatchObject({ end: 'completed', exitCode: 0 });
    expect(result.report.virtualTime).toBe(10);
    const bob = result.report.processes.filter((p) => p.host === 'bob');
    expect(bob).toHaveLength(3);
    for (const process of bob) expect(process).toMatchObject({ exit: { signal: 9 }, stopped: 'kill-time', end: 5 });
    expect(result.report.processes.find((p) => p.host === 'alice')).toMatchObject({ exit: { code: 0 }, stopped: null, end: 10 });
  });
});

describe('--wall-limit', () => {
  it('stops a run that takes longer in wall time, with the run-failed status, one line, and the report', async () => {
    const report = join(scratch(), 'report.json');
    const started = Date.now();
    const result = await simterpose(['--cpu-model', 'none', '--wall-limit', '1', '--report', report, PLATFORM, '--', appPath('never_exits'), '0']);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.status).toBe(125);
    expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
      /^simterpose: wall-clock limit of 1 s reached \(--wall-limit\) at virtual time [^:]+: 1 process was still running and was killed$/,
    );
    expect(result.stderr).toMatch(/^alice +1000 +\S*never_exits +stopped /m);
    expect(readReport(report)).toMatchObject({ end: 'wall-limit', exitCode: 125, processes: [{ stopped: 'wall-limit' }] });
  });

  it('makes runExperiment reject with the results of the run', async () => {
    const error = await failureOf(runExperiment({ ...quiet, platform: PLATFORM, command: [appPath('never_exits'), '0'], wallLimit: 0.5 }));
    expect(error.end).toBe('wall-limit');
    expect(error.exitCode).toBe(125);
    expect(error.result?.report).toMatchObject({ end: 'wall-limit', exitCode: 125 });
    expect(error.result?.outputs[0]?.stdout).toMatch(/^running in 1000\n/);
  });
});

describe('runExperiment stopped by its abort signal', () => {
  it('kills the processes left and rejects with the interruption and the results', async () => {
    const interruption = new AbortController();
    const run = runExperiment({ ...quiet, platform: PLATFORM, command: [appPath('never_exits'), '1'], signal: interruption.signal });
    setTimeout(() => interruption.abort('SIGINT'), 300);
    const error = await failureOf(run);
    expect(error.end).toBe('interrupted');
    expect(error.exitCode).toBe(130);
    expect(error.message).toMatch(/^interrupted by SIGINT at virtual time [^:]+: 2 processes were still running and were killed$/);
    expect(error.result?.report.processes.map((p) => p.stopped)).toEqual(['interrupted', 'interrupted']);
  });
});

describe('a run cut short still writes its results', () => {
  it.each([
    ['deadlock', 'deadlock', /^simterpose: deadlock: every process waits/m],
    ['unsupported', 'unsupported-syscall', /^simterpose: unsupported syscall io_getevents \(208\)/m],
  ])('%s: the summary, the report (end %s) and the trace, then the message', async (program, end, message) => {
    const folder = scratch();
    const report = join(folder, 'report.json');
    const trace = join(folder, 'trace.json');
    const result = await simterpose(['--cpu-model', 'none', '--report', report, '--trace', trace, PLATFORM, '--', appPath(program)]);
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^alice +1000 +\\S*${program} +stopped `, 'm'));
    expect(result.stderr).toMatch(/^1 process, virtual time .*, exit status 125$/m);
    expect(result.stderr).toMatch(message);
    expect(result.stderr.indexOf('exit status 125')).toBeLessThan(result.stderr.search(message));
    expect(readReport(report)).toMatchObject({ end, exitCode: 125, processes: [{ stopped: end, exit: { signal: 9 } }] });
    expect(Array.isArray(readJson<ChromeTrace>(trace).traceEvents)).toBe(true);
  });
});

describe('the generated files programs read', () => {
  // cat opens /proc/cpuinfo and /etc/hosts: simterpose generates their copies in a folder of TMPDIR.
  const readsGeneratedFiles = 'cat /proc/cpuinfo /etc/hosts > /dev/null; exec';

  it.each([
    ['a deadlock', [], 'deadlock'],
    ['the stop time', ['--stop-time', '10'], 'never_exits 0'],
  ])('are removed after %s', async (_, options, program) => {
    const temp = scratch();
    const [name, ...args] = program.split(' ');
    const result = await simterpose(
      ['--cpu-model', 'none', ...options, PLATFORM, '--', 'sh', '-c', `${readsGeneratedFiles} ${appPath(name!)} ${args.join(' ')}`],
      { TMPDIR: temp },
    );
    expect(result.status, result.stderr).toBe(program === 'deadlock' ? 125 : 0);
    expect(readdirSync(temp)).toEqual([]);
  });

  it('are removed after an interruption, having been there during the run', async () => {
    const temp = scratch();
    const run = startSimterpose(['run', PLATFORM, '--', 'sh', '-c', `${readsGeneratedFiles} cat`], { TMPDIR: temp });
    await waitFor(() => (readdirSync(temp).some((name) => name.startsWith('simterpose-names-')) ? true : undefined));
    run.child.kill('SIGTERM');
    expect((await run.finished).status).toBe(143);
    expect(readdirSync(temp)).toEqual([]);
  });
});
