import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { appPath, DEFAULT_PLATFORM, runNative, runSimterpose, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// Nothing a program does takes it or its children out of simterpose's
// reach, and nothing it does reaches simterpose or processes outside its run.

const SIMTERPOSE_CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

/** Live (not zombie) processes whose command line holds `tag`, as "pid state". */
function processesTagged(tag: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!readFileSync(`/proc/${entry}/cmdline`, 'latin1').split('\0').includes(tag)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z') found.push(`${entry} ${state}`);
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function eventually(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`still false after ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Starts `argv` in a process group of its own, its stdin a pipe whose other
 * end a `sleep` holds (not this process, which closes a child's pipes once
 * it exits), and resolves once its stdout holds `line`. `stop` ends the group.
 */
function startUntil(argv: string[], line: string): Promise<{ stop: () => void }> {
  // One command string, so that no argument of the shell's own is the tag looked for.
  const command = argv.map((arg) => `'${arg.replaceAll("'", "'\\''")}'`).join(' ');
  const group = spawn('sh', ['-c', `sleep 60 | exec ${command}`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const stop = () => {
    try {
      process.kill(-group.pid!, 'SIGKILL');
    } catch {
      // Gone already.
    }
  };
  let stdout = '';
  let stderr = '';
  group.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`${argv.join(' ')} never printed ${line}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, 30_000);
    group.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve({ stop });
      }
    });
  });
}

/** The pid of the tagged process whose command is `command`, and whose parent is not tagged too (the first of a family). */
function eldestTagged(tag: string, command: string): number {
  const tagged = processesTagged(tag).map((entry) => Number(entry.split(' ')[0]));
  const parentOf = (pid: number) => {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  };
  const commandOf = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0')[0];
  const eldest = tagged.filter((pid) => commandOf(pid) === command && !tagged.includes(parentOf(pid)));
  expect(eldest).toHaveLength(1);
  return eldest[0]!;
}

describe('a child made with CLONE_UNTRACED is traced all the same', () => {
  const lines = (stdout: string) => stdout.trimEnd().split('\n');

  test("natively, the untraced children of clone and clone3 see their kernel pid, the one clone returned, and the machine's name", async () => {
    const result = await runNative([appPath('untraced')]);
    expect(result.stderr).toBe('');
    expect(shellStatus(result)).toBe(0);
    const [cloneChild, cloneParent, clone3Child, clone3Parent, last] = lines(result.stdout);
    const parent = /getpid (\d+),/.exec(cloneParent!)![1];
    for (const [how, child, parentLine] of [
      ['clone', cloneChild, cloneParent],
      ['clone3', clone3Child, clone3Parent],
    ] as const) {
      const returned = /the child is (\d+)$/.exec(parentLine!)![1];
      expect(child).toBe(`${how} child: getpid ${returned} getppid ${parent} hostname ${hostname()}`);
    }
    expect(last).toBe('EXIT-SUCCESS');
  });

  for (const runOptions of [[], ['--no-notify-syscalls']]) {
    const how = runOptions.length === 0 ? 'under simterpose' : `under simterpose ${runOptions.join(' ')}`;
    test(`${how}, they see the virtual pid clone returned and the host's name, as traced children do`, async () => {
      const result = await runSimterpose([appPath('untraced')], { runOptions: ['--cpu-model', 'none', ...runOptions] });
      expect(result.stderr).toBe('');
      expect(shellStatus(result)).toBe(0);
      expect(lines(result.stdout)).toEqual([
        'clone child: getpid 1001 getppid 1000 hostname alice',
        'clone parent: getpid 1000, the child is 1001',
        'clone3 child: getpid 1002 getppid 1000 hostname alice',
        'clone3 parent: getpid 1000, the child is 1002',
        'EXIT-SUCCESS',
      ]);
    });
  }

  test('natively, the untraced child outlives its parent killed by SIGKILL', async () => {
    const tag = `untraced-${randomBytes(6).toString('hex')}`;
    const run = await startUntil([appPath('untraced'), 'linger', tag], 'child running');
    try {
      expect(processesTagged(tag)).toHaveLength(2);
      process.kill(eldestTagged(tag, appPath('untraced')), 'SIGKILL');
      await eventually(() => processesTagged(tag).length === 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(processesTagged(tag)).toHaveLength(1);
    } finally {
      run.stop();
    }
  });

  test('under simterpose, SIGKILL of simterpose ends the untraced child with it: no process of the run remains', async () => {
    const tag = `untraced-${randomBytes(6).toString('hex')}`;
    const run = await startUntil(
      [process.execPath, SIMTERPOSE_CLI, 'run', '--quiet', DEFAULT_PLATFORM, '--', appPath('untraced'), 'linger', tag],
      'child running',
    );
    try {
      // simterpose, the program and its child.
      expect(processesTagged(tag)).toHaveLength(3);
      process.kill(eldestTagged(tag, process.execPath), 'SIGKILL');
      // The child's stdin stays open: only simterpose's death can end it.
      await eventually(() => processesTagged(tag).length === 0);
    } finally {
      run.stop();
    }
  });
});

/** "label: call=answer ..." lines as label → call → answer. */
function answers(stdout: string): Map<string, Map<string, string>> {
  const table = new Map<string, Map<string, string>>();
  for (const line of stdout.trimEnd().split('\n')) {
    const match = /^(\w+): (\w+=.*)$/.exec(line);
    if (match === null) continue;
    table.set(match[1]!, new Map(match[2]!.split(' ').map((pair) => pair.split('=') as [string, string])));
  }
  return table;
}

/** A process outside any run, whose pid is none a tracee could have as a virtual one. */
async function outsider(): Promise<ChildProcess> {
  for (;;) {
    const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
    if (sleeper.pid! >= 1100) return sleeper;
    sleeper.kill('SIGKILL');
  }
}

/** A pid no process has now. */
function missingPid(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'latin1'));
  for (let pid = max - 1; ; pid--) if (!readdirSync('/proc').includes(String(pid))) return pid;
}

describe('a program reaches no process outside its run', () => {
  const CALLS = [
    'kill',
    'sigqueue',
    'tgkill',
    'tkill',
    'pidfd_open',
    'pidfd_send_signal',
    'vm_readv',
    'vm_writev',
    'kcmp',
    'prlimit',
    'getpgid',
    'getsid',
    'sched_getparam',
    'sched_getaffinity',
    'getpriority',
    'get_robust_list',
    'perf_event_open',
    'f_setown',
    'ptrace_peek',
  ];
  /** Opening /proc/PID/status or mem: directly, relative to a descriptor of /proc, through a symbolic link, through /proc/self/root. */
  const OPENS = ['proc_status', 'proc_mem', 'proc_at', 'proc_link', 'proc_root'];
  /** Every call answering `answer` and every open `opened`, but for those in `except`. */
  const all = (answer: string, except: Record<string, string> = {}, opened = answer) =>
    new Map([...CALLS.map((call) => [call, except[call] ?? answer] as const), ...OPENS.map((open) => [open, opened] as const)]);

  test('natively, signals, pidfds, process_vm_readv/writev, kcmp, ptrace and the rest reach its parent, a process outside and every pid in /proc', async () => {
    const sleeper = await outsider();
    try {
      const result = await runNative([appPath('reach'), String(sleeper.pid), String(missingPid())]);
      expect(result.stderr).toBe('');
      expect(shellStatus(result)).toBe(0);
      const table = answers(result.stdout);
      // The tests run as root, or as the user who started the test runner and the outsider.
      const reached = all('ok', { vm_readv: 'EFAULT', vm_writev: 'EFAULT', ptrace_peek: 'ESRCH' }, 'ok');
      for (const target of ['self', 'child', 'parent', 'outside']) expect(table.get(target), target).toEqual(reached);
      expect(table.get('missing')).toEqual(all('ESRCH', { pidfd_send_signal: '-' }, 'ENOENT'));
      const scan = /^scan: others listed, reached by kill (\d+), by pidfd_open (\d+), memory of (\d+), \/proc of (\d+)$/m.exec(result.stdout)!;
      for (const reachedCount of scan.slice(1)) expect(Number(reachedCount)).toBeGreaterThan(0);
      expect(result.stdout.trimEnd().split('\n').slice(-2)).toEqual(['pidfd_send_signal woke a pausing child', 'EXIT-SUCCESS']);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  test('under simterpose, its own processes answer as natively, its parent (pid 1) is out of reach (EPERM) and other pids are no process (ESRCH, and no /proc/PID: ENOENT), not listed in /proc nor bound elsewhere; no new proc file system', async () => {
    const sleeper = await outsider();
    const missing = missingPid();
    try {
      const [native, simulated] = await Promise.all([
        runNative([appPath('reach'), String(sleeper.pid), String(missing)]),
        // The cputime model: under --cpu-model none, a parent polling a pipe forever at one date starves the child it signalled.
        runSimterpose([appPath('reach'), String(sleeper.pid), String(missing), 'attach'], { runOptions: ['--cpu-model', 'cputime'] }),
      ]);
      expect(simulated.stderr).toBe('');
      expect(shellStatus(simulated)).toBe(0);
      const nativeTable = answers(native.stdout);
      const table = answers(simulated.stdout);
      for (const target of ['self', 'child', 'missing', 'zero', 'negative']) {
        const { ptrace_attach: attach, ...rest } = Object.fromEntries(table.get(target)!);
        expect(new Map(Object.entries(rest)), target).toEqual(nativeTable.get(target));
        // A tracee is traced by simterpose already; 0 and -5 name no process.
        expect(attach, target).toBe(target === 'self' || target === 'child' ? 'EPERM' : 'ESRCH');
      }
      expect(table.get('parent')).toEqual(
        new Map([
          ...all('EPERM', { pidfd_send_signal: '-', getpgid: 'ok', getsid: 'ok', sched_getaffinity: 'ok', ptrace_peek: 'ESRCH' }, 'ENOENT'),
          ['ptrace_attach', 'EPERM'],
        ]),
      );
      expect(table.get('outside')).toEqual(new Map([...all('ESRCH', { pidfd_send_signal: '-' }, 'ENOENT'), ['ptrace_attach', 'ESRCH']]));
      // Listing /proc shows the host's processes alone: none but the program's own.
      expect(simulated.stdout).toContain('scan: none listed, reached by kill 0, by pidfd_open 0, memory of 0, /proc of 0\n');
      // A new proc file system is refused; one bound elsewhere hides what is outside the host (without the privilege, the bind fails).
      expect(simulated.stdout).toMatch(/^mount proc=EPERM bind=(ok bound_status=ENOENT|EPERM)$/m);
      expect(simulated.stdout.trimEnd().split('\n').slice(-2)).toEqual(['pidfd_send_signal woke a pausing child', 'EXIT-SUCCESS']);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });
});
