import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// What /proc tells a program of itself: under simterpose, its host's
// virtual ids and uptime, consistent with what the syscalls say.

const FREE_CPU = ['--cpu-model', 'none'];

function expectSuccess(result: RunResult): string[] {
  expect(result.stderr).toBe('');
  expect(shellStatus(result)).toBe(0);
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines.at(-1)).toBe('EXIT-SUCCESS');
  return lines;
}

/** The line starting with `label:`. */
const line = (lines: string[], label: string) => lines.find((candidate) => candidate.startsWith(`${label}:`));

describe('/proc/PID/status and stat show the ids the syscalls give', () => {
  test("natively, every way of opening them shows the kernel's ids, as getpid, gettid, getppid, getpgrp and getsid do; a waiting child sleeps", async () => {
    const lines = expectSuccess(await runNative([appPath('proc_self')]));
    const pid = /^self status: Pid (\d+) /.exec(lines[0]!)![1]!;
    expect(Number(pid)).not.toBe(1000);
    expect(line(lines, 'child stat')).toMatch(new RegExp(`^child stat: pid \\d+ state S ppid ${pid}$`));
  });

  for (const runOptions of [FREE_CPU, [...FREE_CPU, '--no-notify-syscalls']]) {
    const how = runOptions.length === FREE_CPU.length ? 'under simterpose' : `under simterpose ${runOptions.slice(FREE_CPU.length).join(' ')}`;
    test(`${how}, the same checks pass with the host's virtual ids: Pid, Tgid, PPid 1, TracerPid 0, NSpid, the groups, the state, the host's CPUs`, async () => {
      const lines = expectSuccess(await runSimterpose([appPath('proc_self')], { runOptions }));
      const status = 'Pid 1000 Tgid 1000 PPid 1 TracerPid 0 NSpid 1000 NSpgid 1 NSsid 1 State R (running)';
      const stat = 'pid 1000 state R ppid 1 pgrp 1 session 1';
      expect(lines.slice(0, -2)).toEqual([
        `self status: ${status}`,
        `self stat: ${stat}`,
        `pid status: ${status}`,
        `stat at /proc: ${stat}`,
        `stat from /proc: ${stat}`,
        'Cpus_allowed_list 0, sched_getaffinity 1',
        'thread-self status: Pid 1001 Tgid 1000 PPid 1 TracerPid 0 NSpid 1001 NSpgid 1 NSsid 1 State R (running)',
        'task stat: pid 1001 state R ppid 1 pgrp 1 session 1',
        'child stat: pid 1002 state S ppid 1000',
      ]);
    });
  }
});

describe("/proc/uptime, sysinfo, CLOCK_BOOTTIME, /proc/stat's btime and start times agree", () => {
  test('natively they agree on this machine', async () => {
    const lines = expectSuccess(await runNative([appPath('proc_self')]));
    expect(lines.at(-2)).toMatch(/^uptime \d+\.\d\d, boot time \d+, started at \d+\.\d\d$/);
  });

  test('under simterpose the host booted 1000 s before the epoch: up 1000.10 s once the program slept 0.1 s, started at 1000', async () => {
    const lines = expectSuccess(await runSimterpose([appPath('proc_self')], { runOptions: FREE_CPU }));
    // 2000-01-01T00:00:00Z is 946684800.
    expect(lines.at(-2)).toBe('uptime 1000.10, boot time 946683800, started at 1000.00');
  });
});

describe('listing /proc and /proc/PID/task shows the host, not the machine', () => {
  test("natively, /proc lists more processes than the program's own and its thread's ids are the kernel's", async () => {
    const lines = expectSuccess(await runNative([appPath('proc_listing')]));
    const [pid, child] = line(lines, 'pids')!.split(' ').slice(1);
    const listed = line(lines, '/proc')!.split(' ').slice(1);
    expect(listed).toContain(pid);
    expect(listed).toContain(child);
    expect(listed.length).toBeGreaterThan(2);
    expect(line(lines, '/proc/self/task')).toBe(`/proc/self/task: ${line(lines, 'tids')!.slice('tids: '.length)}`);
    expect(line(lines, 'room for no entry')).toBe('room for no entry: 22');
  });

  for (const runOptions of [FREE_CPU, [...FREE_CPU, '--no-notify-syscalls']]) {
    const how = runOptions.length === FREE_CPU.length ? 'under simterpose' : `under simterpose ${runOptions.slice(FREE_CPU.length).join(' ')}`;
    test(`${how}, getdents64 lists the host's processes and the caller's threads by virtual ids alone, whatever the buffer's room; none is EINVAL`, async () => {
      const lines = expectSuccess(await runSimterpose([appPath('proc_listing')], { runOptions }));
      expect(lines.slice(0, -1)).toEqual([
        'pids: 1000 1001',
        'tids: 1000 1002',
        '/proc: 1000 1001',
        '/proc, an entry a call: 1000 1001',
        '/proc/self/task: 1000 1002',
        '/proc/self/task, an entry a call: 1000 1002',
        'room for no entry: 22',
      ]);
    });
  }
});

describe("opens of the files served in place of the machine's behave as the kernel's own", () => {
  test("under simterpose, by notification or at a ptrace stop, each open, openat and openat2 gets the lowest free descriptor, close-on-exec as asked, and the same errors and permissions as natively, also once root's privileges are dropped", async () => {
    const native = expectSuccess(await runNative([appPath('served_opens')]));
    if (process.geteuid?.() === 0) expect(native).toContain('nobody /etc/hostname O_WRONLY: EACCES');
    for (const runOptions of [FREE_CPU, [...FREE_CPU, '--no-notify-syscalls']]) {
      expect(expectSuccess(await runSimterpose([appPath('served_opens')], { runOptions }))).toEqual(native);
    }
  });
});
