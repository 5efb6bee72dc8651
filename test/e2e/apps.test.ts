import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// Each program runs natively and under simterpose: where the outcome cannot
// depend on the platform, stdout and the exit status must be the same.

const PYTHON_SCRIPT = `
import json, subprocess, sys, threading
totals = [0] * 4
def work(i):
    totals[i] = sum(range(i * 10000, (i + 1) * 10000))
threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads: t.start()
for t in threads: t.join()
child = subprocess.run([sys.executable, '-c', 'import sys; print(sum(map(int, sys.argv[1:])))', '1', '2', '39'],
                       capture_output=True, text=True, check=True)
print(json.dumps({'totals': totals, 'child': child.stdout.strip(), 'status': child.returncode}, sort_keys=True))
assert sum(totals) == sum(range(40000)), totals
print('EXIT-SUCCESS')
`;

interface Program {
  behaviour: string;
  argv: string[];
  /** Whether the program prints EXIT-SUCCESS as its last line. */
  checksItself: boolean;
}

const programs: Program[] = [
  { behaviour: 'a program prints its arguments', argv: [appPath('hello'), 'one', 'two words', ''], checksItself: true },
  { behaviour: 'a statically linked program runs', argv: [appPath('hello-static'), 'static'], checksItself: true },
  {
    behaviour: 'fork, waitpid, wait and a WNOHANG poll see every child and grandchild exit',
    argv: [appPath('fork_wait')],
    checksItself: true,
  },
  {
    behaviour: 'a pthread mutex under contention counts exactly and a condition-variable queue hands over every item',
    argv: [appPath('threads')],
    checksItself: true,
  },
  {
    behaviour: 'a process execs itself three times, fails to exec a missing file with ENOENT, then becomes /bin/echo',
    argv: [appPath('exec_chain'), '3'],
    checksItself: true,
  },
  {
    behaviour: 'a second thread execs a shell while main joins it: the process keeps its pid (this used to hang simterpose)',
    argv: [appPath('thread_exec'), 'exec'],
    checksItself: true,
  },
  {
    behaviour: 'calls handed an unmapped address get EFAULT (a misaligned futex word EINVAL), and the program goes on',
    argv: [appPath('bad_pointers')],
    checksItself: true,
  },
  {
    behaviour: 'calls that return at once on Linux do not wait: reads and writes of an epoll descriptor, socket calls on it, reads of nothing',
    argv: [appPath('no_hangs')],
    checksItself: true,
  },
  {
    behaviour: 'the main thread leaves with pthread_exit while a worker goes on, and the process ends with the worker',
    argv: [appPath('leaving')],
    checksItself: false,
  },
  {
    behaviour: 'a thread joins the main thread, which left with pthread_exit: the join ends, as the tid word glibc set at start-up is cleared',
    argv: [appPath('leaving'), 'join'],
    checksItself: false,
  },
  {
    behaviour: 'a parent exits while its child goes on, and the run ends with the child',
    argv: [appPath('leaving'), 'orphan'],
    checksItself: false,
  },
  {
    behaviour: 'a second thread calls exit while main joins it: the whole process exits with its status',
    argv: [appPath('thread_exec'), 'exit_group'],
    checksItself: true,
  },
  {
    behaviour: 'signal handlers with and without SA_RESTART, pause, sigsuspend, SIGCHLD, blocked signals and SIGTERM behave as on Linux',
    argv: [appPath('signals')],
    checksItself: true,
  },
  {
    behaviour: '1 MiB through a pipe arrives whole, the reply comes back and both ends see EOF',
    argv: [appPath('pipe')],
    checksItself: true,
  },
  { behaviour: 'a Go program with goroutines, channels and a WaitGroup gets its result', argv: [appPath('go-app')], checksItself: true },
  {
    behaviour: 'a shell pipeline of seq, grep, sort and head prints the same lines',
    argv: ['/bin/sh', '-c', 'seq 1 20000 | grep 7 | sort -r | head -5; echo done'],
    checksItself: false,
  },
  {
    behaviour: 'python3 with threads, a subprocess and json prints the same result',
    argv: ['/usr/bin/python3', '-c', PYTHON_SCRIPT],
    checksItself: true,
  },
];

function lastLine(output: string): string | undefined {
  return output.trimEnd().split('\n').at(-1);
}

function expectSuccess(result: RunResult, program: Program): void {
  expect(result.stderr).toBe('');
  expect(shellStatus(result)).toBe(0);
  if (program.checksItself) expect(lastLine(result.stdout)).toBe('EXIT-SUCCESS');
}

// The native result is the reference for both suites: run each program once.
const nativeRuns = new Map<Program, Promise<RunResult>>();
function nativeRun(program: Program): Promise<RunResult> {
  let run = nativeRuns.get(program);
  if (run === undefined) {
    run = runNative(program.argv);
    nativeRuns.set(program, run);
  }
  return run;
}

describe('test programs run natively', () => {
  for (const program of programs) {
    test(`natively, ${program.behaviour}`, async () => {
      expectSuccess(await nativeRun(program), program);
    });
  }
});

describe('test programs under simterpose match their native run', () => {
  // By default their reads, writes, id and clock calls come as seccomp user notifications; also with every call
  // a ptrace stop: held while they block, interrupted by signals alike.
  for (const runOptions of [[], ['--no-notify-syscalls']]) {
    const how = runOptions.length === 0 ? 'under simterpose' : `under simterpose ${runOptions.join(' ')}`;
    for (const program of programs) {
      test(`${how}, ${program.behaviour}, with the same output and status`, async () => {
        const native = await nativeRun(program);
        const simulated = await runSimterpose(program.argv, { runOptions });
        expect(simulated.stdout).toBe(native.stdout);
        expect(shellStatus(simulated)).toBe(shellStatus(native));
        if (program.checksItself) expect(lastLine(simulated.stdout)).toBe('EXIT-SUCCESS');
      });
    }
  }

  test('output is the same on a second run under simterpose', async () => {
    const program = programs.find((candidate) => candidate.argv[0] === appPath('threads'));
    if (program === undefined) throw new Error('the threads program is not in the list');
    const first = await runSimterpose(program.argv);
    const second = await runSimterpose(program.argv);
    expect(second.stdout).toBe(first.stdout);
    expect(shellStatus(second)).toBe(shellStatus(first));
  });
});

describe('exit statuses pass through simterpose', () => {
  for (const status of [0, 3, 255]) {
    test(`a program exiting with ${status} makes simterpose exit with ${status}`, async () => {
      const argv = [appPath('exit_code'), String(status)];
      expect(shellStatus(await runNative(argv))).toBe(status);
      const simulated = await runSimterpose(argv);
      expect(simulated.status).toBe(status);
      expect(simulated.stdout).toBe('');
    });
  }

  const deaths = [
    { signal: 15, name: 'SIGTERM', status: 143 },
    { signal: 9, name: 'SIGKILL', status: 137 },
  ] as const;
  for (const { signal, name, status } of deaths) {
    test(`a program killed by ${name} makes simterpose exit with ${status}`, async () => {
      const argv = [appPath('exit_code'), 'signal', String(signal)];
      const native = await runNative(argv);
      expect(native.signal).toBe(name);
      expect(shellStatus(native)).toBe(status);
      const simulated = await runSimterpose(argv);
      expect(simulated.signal).toBeNull();
      expect(simulated.status).toBe(status);
    });
  }

  test('a program that does not exist makes simterpose exit with 127 and one stderr line naming it', async () => {
    const missing = '/nonexistent/simterpose-missing-program';
    const simulated = await runSimterpose([missing, 'arg']);
    expect(simulated.status).toBe(127);
    expect(simulated.stdout).toBe('');
    const lines = simulated.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(missing);
  });
});
