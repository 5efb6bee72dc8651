import { mkdtempSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChromeTrace } from '../../src/index.js';
import { appPath, runNative, runSimterpose } from '../helpers/apps.js';
import { isLive, liveDescendants, startSimterpose, waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const simterpose = (...args: string[]) => runNative([process.execPath, CLI, ...args]);

describe('simterpose --help and --version', () => {
  it('lists the commands', async () => {
    const result = await simterpose('--help');
    expect(result.status).toBe(0);
    for (const command of ['run', 'platform', 'syscalls']) expect(result.stdout).toContain(command);
  });

  it('shows examples and exit statuses in run --help', async () => {
    const result = await simterpose('run', '--help');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('--strace');
    expect(result.stdout).toContain('Examples:');
    expect(result.stdout).toContain('128+N');
  });

  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await simterpose('--version');
    expect(result.stdout.trim()).toBe(pkg.version);
  });
});

describe('simterpose syscalls', () => {
  it('lists every syscall with its support level, and how a trapped one reaches simterpose', async () => {
    const result = await simterpose('syscalls');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^\s*202\s+futex\s+emulated\s+stop\s/m);
    expect(result.stdout).toMatch(/^\s*39\s+getpid\s+emulated\s+notification\s/m);
    expect(result.stdout).toMatch(/^\s*0\s+read\s+mediated\s+notification\s/m);
    expect(result.stdout).toMatch(/^\s*9\s+mmap\s+native\s*$/m);
    expect(result.stdout).toMatch(/^\s*208\s+io_getevents\s+unsupported/m);
    expect(result.stdout).toMatch(/^\s*217\s+getdents64\s+mediated\s+notification\s/m);
    expect(result.stdout).toMatch(/^\s*257\s+openat\s+mediated\s+notification\s/m);
    expect(result.stdout).toMatch(/^\s*437\s+openat2\s+mediated\s+stop\s/m);
    expect(result.stdout).toMatch(/; 21 of those listed come as seccomp user notifications, unless --no-notify-syscalls$/m);
  });

  it('filters by level and speaks JSON', async () => {
    const result = await simterpose('syscalls', '--level', 'unsupported', '--json');
    const entries = JSON.parse(result.stdout) as Array<{ name: string; level: string; trap: string | null }>;
    expect(entries.length).toBeGreaterThan(3);
    expect(entries.every((entry) => entry.level === 'unsupported' && entry.trap === 'stop')).toBe(true);
    expect(entries.map((entry) => entry.name)).toContain('io_getevents');
  });
});

describe('simterpose calibrate', () => {
  it('prints the reference speed of this machine and the option that passes it', async () => {
    const result = await simterpose('calibrate', '--seconds', '0.2');
    expect(result.status, result.stderr).toBe(0);
    const option = /--reference-speed (\S+)/.exec(result.stdout);
    expect(option, result.stdout).not.toBeNull();
    // Between 100 million and 100 billion simple instructions per second: any machine of this century.
    const speed = Number(option![1]);
    expect(speed).toBeGreaterThan(1e8);
    expect(speed).toBeLessThan(1e11);
    const run = await simterpose('run', 'platforms/two-hosts.xml', '--cpu-model', 'cputime', '--reference-speed', option![1]!, '--', 'true');
    expect(run.status, run.stderr).toBe(0);
  });

  it('scales the speed by the flops one instruction counts for', async () => {
    const result = await simterpose('calibrate', '--seconds', '0.2', '--flops-per-instruction', '2', '--json');
    const calibration = JSON.parse(result.stdout) as { instructionsPerSecond: number; referenceSpeed: number };
    expect(calibration.referenceSpeed).toBeCloseTo(2 * calibration.instructionsPerSecond, 0);
  });
});

describe('simterpose run --strace', () => {
  it('logs each syscall with host, pid, virtual time, decoded arguments and result', async () => {
    const result = await simterpose(
      'run',
      'platforms/two-hosts.xml',
      '--strace',
      '--cpu-model',
      'none',
      '--',
      'sh',
      '-c',
      'echo hi; cat /nonexistent-simterpose-file',
    );
    expect(result.stdout).toBe('hi\n');
    expect(result.stderr).toMatch(/^\[alice \d+ 0\.000000\] write\(1, "hi\\n", 3\) = 3$/m);
    expect(result.stderr).toMatch(/openat\(AT_FDCWD, "\/nonexistent-simterpose-file", O_RDONLY(, 0+)?\) = -1 ENOENT \(no such file or directory\)/i);
    expect(result.stderr).toMatch(/execve\("\/usr\/bin\/cat", \["cat", "\/nonexistent-simterpose-file"\], 0x[0-9a-f]+\) = 0$/m);
  });

  it('writes the log to a file when given one, and nothing to stderr', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'simterpose-')), 'trace.txt');
    const result = await runSimterpose(['/bin/echo', 'hello'], { runOptions: [`--strace=${file}`, '--cpu-model', 'none'] });
    expect(result.stdout).toBe('hello\n');
    expect(result.stderr).toBe('');
    expect(readFileSync(file, 'utf8')).toMatch(/write\(1, "hello\\n", 6\) = 6/);
  });
});

describe('simterpose run, mistakes and failures', () => {
  it('names an unknown host and lists the valid ones, in one line plus a hint', async () => {
    const result = await runSimterpose(['/bin/true'], { runOptions: ['--host', 'nosuchhost'] });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^simterpose: unknown host 'nosuchhost'/);
    expect(result.stderr).toMatch(/alice/);
    expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
  });

  it('names a missing platform file', async () => {
    const result = await runSimterpose(['/bin/true'], { platform: 'platforms/nope.xml' });
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^simterpose: .*nope\.xml/);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('refuses a --cpu it may not run on, in one line naming the CPUs it may use', async () => {
    const result = await simterpose('run', '--cpu', '4095', 'platforms/two-hosts.xml', '--', '/bin/true');
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^simterpose: --cpu 4095: simterpose may not run there \(it may use CPUs \d+(, \d+)*\)$/);
  });

  it('asks for a program when none follows --', async () => {
    const result = await simterpose('run', 'platforms/two-hosts.xml');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^simterpose: no program to run/);
  });

  it('reports a deadlock, naming who waits for what, and exits 125', async () => {
    const result = await runSimterpose([appPath('deadlock')], { runOptions: ['--cpu-model', 'none'] });
    expect(result.stdout).toBe('locking twice\n');
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(/deadlock/);
    expect(result.stderr).toMatch(/deadlock\[\d+\] on alice waits for futex 0x[0-9a-f]+/);
  });

  it('stops on an unsupported syscall, names it and says how to report it', async () => {
    const result = await runSimterpose([appPath('unsupported')], { runOptions: ['--cpu-model', 'none'] });
    expect(result.status).toBe(125);
    expect(result.stderr).toMatch(/unsupported syscall io_getevents \(208\) called by .*unsupported\[\d+\] on host alice/);
    expect(result.stderr).toMatch(/^hint: .*simterpose syscalls/m);
  });
});

describe('no tracee outlives simterpose', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    const catches = signal !== 'SIGKILL';
    it(`kills every tracee when simterpose gets ${signal}${catches ? ', and still writes the summary, the report and the trace' : ''}`, async () => {
      const folder = mkdtempSync(join(tmpdir(), 'simterpose-interrupted-'));
      const report = join(folder, 'report.json');
      const trace = join(folder, 'trace.json');
      // The tracees wait for input that never comes; simterpose waits with them.
      const run = startSimterpose(['run', '--report', report, '--trace', trace, 'platforms/two-hosts.xml', '--', 'sh', '-c', 'cat | cat']);
      const tracees = await waitFor(() => {
        const found = liveDescendants(run.pid);
        return found.length >= 3 ? found : undefined;
      });
      run.child.kill(signal);
      const result = await run.finished;
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(tracees.filter(isLive)).toEqual([]);
      if (!catches) return;
      expect(result.status).toBe(128 + constants.signals[signal]);
      expect(result.stderr).toMatch(/^3 processes, virtual time .*, exit status 1[34][03]$/m);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toMatch(
        new RegExp(`^simterpose: interrupted by ${signal} at virtual time [^:]+: 3 processes were still running and were killed$`),
      );
      const written = readReport(report);
      expect(written).toMatchObject({ end: 'interrupted', exitCode: 128 + constants.signals[signal] });
      expect(written.processes.map((p) => p.stopped)).toEqual(['interrupted', 'interrupted', 'interrupted']);
      expect((JSON.parse(readFileSync(trace, 'utf8')) as ChromeTrace).traceEvents.length).toBeGreaterThan(0);
    });
  }
});
