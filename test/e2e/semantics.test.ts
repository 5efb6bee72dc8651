import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// Linux semantics that real programs rely on: each C program runs natively
// and under simterpose, and prints what it saw step by step; the two outputs
// must be the same, line for line. Programs on sockets run under both data
// paths.

const NETWORK_MODES = ['full', 'translate'] as const;

interface Case {
  behaviour: string;
  argv: string[];
  /** Whether the program uses virtual sockets, and so runs under each data path. */
  network: boolean;
}

const cases: Case[] = [
  {
    behaviour:
      'edge-triggered epoll reports each arrival, even with data unread or while the thread was away; EPOLL_CTL_MOD re-arms; one-shot disarms; EPOLLOUT rises when room frees',
    argv: [appPath('epoll_edges'), 'sequence'],
    network: true,
  },
  {
    behaviour: 'an edge-triggered server that reads until EAGAIN answers every request its client sent in two writes',
    argv: [appPath('epoll_edges'), 'split'],
    network: true,
  },
  {
    behaviour:
      'getsockopt(IP_OPTIONS) gives nothing, bind takes AF_UNSPEC with INADDR_ANY, and connect after a non-blocking one reports its outcome once, then EISCONN',
    argv: [appPath('socket_calls')],
    network: true,
  },
  {
    behaviour:
      'POSIX timers give ids 0, 1, 2..., signal SI_TIMER with their id and value in date order, count overruns while blocked, report the time left, fail bad calls with EINVAL; sigtimedwait takes their signals; SIGEV_THREAD calls its function',
    argv: [appPath('posix_timers')],
    network: false,
  },
  {
    behaviour:
      "fcntl gives back the owner it was given (F_SETOWN, F_SETOWN_EX for a thread, a process and a group) and names a record lock's holder by its pid (F_GETLK, F_OFD_GETLK)",
    argv: [appPath('pid_views')],
    network: false,
  },
  {
    behaviour:
      "SO_PEERCRED names the process at the other end of an AF_UNIX socket, none on TCP or UDP; SCM_CREDENTIALS sent with one's own pid are accepted and arrive, as those the kernel adds",
    argv: [appPath('peer_credentials')],
    network: true,
  },
];

function lastLine(output: string): string | undefined {
  return output.trimEnd().split('\n').at(-1);
}

const nativeRuns = new Map<Case, Promise<RunResult>>();
function nativeRun(program: Case): Promise<RunResult> {
  let run = nativeRuns.get(program);
  if (run === undefined) {
    run = runNative(program.argv);
    nativeRuns.set(program, run);
  }
  return run;
}

describe('semantics programs run natively', () => {
  for (const program of cases) {
    test(`natively, ${program.behaviour}`, async () => {
      const native = await nativeRun(program);
      expect(native.stderr).toBe('');
      expect(shellStatus(native)).toBe(0);
      expect(lastLine(native.stdout)).toBe('EXIT-SUCCESS');
    });
  }
});

describe('semantics programs under simterpose see what they see on Linux', () => {
  for (const program of cases) {
    for (const mode of program.network ? NETWORK_MODES : [undefined]) {
      const how = mode === undefined ? 'under simterpose' : `under simterpose --network ${mode}`;
      test(`${how}, ${program.behaviour}`, async () => {
        const native = await nativeRun(program);
        const runOptions = ['--cpu-model', 'none', ...(mode === undefined ? [] : ['--network', mode])];
        const simulated = await runSimterpose(program.argv, { runOptions });
        expect(simulated.stdout).toBe(native.stdout);
        expect(simulated.stderr).toBe('');
        expect(shellStatus(simulated)).toBe(0);
      });
    }
  }
});

describe('POSIX timers run on virtual time', () => {
  test('coreutils timeout 2 sleep 10 ends at 2 s virtual with status 124', async () => {
    const script = 'date +%s.%N; timeout 2 sleep 10; echo "status $?"; date +%s.%N';
    const simulated = await runSimterpose(['/bin/sh', '-c', script], { runOptions: ['--cpu-model', 'none'] });
    const [start, status, end] = simulated.stdout.trimEnd().split('\n');
    expect(status).toBe('status 124');
    const elapsed = Number(end) - Number(start);
    expect(elapsed).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeLessThan(2.01);
  });
});
