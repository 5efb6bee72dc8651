import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult, type SimterposeOptions } from '../helpers/apps.js';

// Virtual time under simterpose: sleeps cost no wall time, every clock reads
// SimGrid's clock from a fixed epoch, timers and signals arrive at their
// virtual dates. With --cpu-model none computing is free, so every virtual
// date the programs print is exact and the expected lines are written out.

const PLATFORM = 'test/fixtures/platforms/cpu-hosts.xml';
const FREE_CPU: SimterposeOptions = { platform: PLATFORM, runOptions: ['--cpu-model', 'none'] };

function expectSuccess(result: RunResult): void {
  expect(result.stderr).toBe('');
  expect(shellStatus(result)).toBe(0);
  expect(result.stdout.trimEnd().split('\n').at(-1)).toBe('EXIT-SUCCESS');
}

function lines(result: RunResult): string[] {
  return result.stdout.trimEnd().split('\n');
}

describe('an hour of virtual sleep', () => {
  const EVERY_CLOCK_MOVED_AN_HOUR = [
    'start realtime 946684800.000000000 monotonic 1000.000000000',
    'CLOCK_REALTIME elapsed 3600.000000000',
    'CLOCK_REALTIME_COARSE elapsed 3600.000000000',
    'CLOCK_MONOTONIC elapsed 3600.000000000',
    'CLOCK_MONOTONIC_COARSE elapsed 3600.000000000',
    'CLOCK_MONOTONIC_RAW elapsed 3600.000000000',
    'CLOCK_BOOTTIME elapsed 3600.000000000',
    'gettimeofday elapsed 3600.000000',
    'time elapsed 3600',
    'EXIT-SUCCESS',
  ];
  const ways = [
    { how: 'sleep', steps: 1, label: 'one sleep(3600)' },
    { how: 'nanosleep', steps: 60, label: '60 nanosleeps of a minute' },
    { how: 'usleep', steps: 7200, label: '7200 usleeps of half a second' },
    { how: 'clock_nanosleep', steps: 3600, label: '3600 relative clock_nanosleeps of a second' },
  ];
  for (const { how, steps, label } of ways) {
    test(`${label} move every clock by exactly 3600 s, in under 5 s of wall time`, async () => {
      const started = performance.now();
      const result = await runSimterpose([appPath('time_sleep'), how, '3600', String(steps)], FREE_CPU);
      const wallSeconds = (performance.now() - started) / 1000;
      expectSuccess(result);
      expect(lines(result)).toEqual(EVERY_CLOCK_MOVED_AN_HOUR);
      expect(wallSeconds).toBeLessThan(5);
    });
  }

  test('a few microseconds of sleep read to the nanosecond on the wall clock, not rounded at the scale of a date', async () => {
    const result = await runSimterpose([appPath('time_sleep'), 'nanosleep', '0.000003', '3'], FREE_CPU);
    expectSuccess(result);
    expect(lines(result)).toContain('CLOCK_REALTIME elapsed 0.000003000');
    expect(lines(result)).toContain('gettimeofday elapsed 0.000003');
  });
});

describe('the epoch', () => {
  test('date -u prints 2000-01-01, the default epoch', async () => {
    const result = await runSimterpose(['/bin/date', '-u'], FREE_CPU);
    expect(result.stdout).toBe('Sat Jan  1 00:00:00 UTC 2000\n');
    expect(shellStatus(result)).toBe(0);
  });

  test('date with TZ=UTC prints 2000-01-01, the default epoch', async () => {
    const result = await runSimterpose(['/bin/date'], { ...FREE_CPU, env: { TZ: 'UTC' } });
    expect(result.stdout).toBe('Sat Jan  1 00:00:00 UTC 2000\n');
  });

  test('--epoch 2024-05-01T12:00:00Z moves what date prints', async () => {
    const result = await runSimterpose(['/bin/date', '-u'], { platform: PLATFORM, runOptions: ['--cpu-model', 'none', '--epoch', '2024-05-01T12:00:00Z'] });
    expect(result.stdout).toBe('Wed May  1 12:00:00 UTC 2024\n');
  });

  test("python3's time.time() starts at the epoch, and it and time.monotonic() advance by exactly the 12.5 s slept", async () => {
    const script = 'import time\nt, m = time.time(), time.monotonic()\ntime.sleep(12.5)\nprint(t, time.time() - t, time.monotonic() - m)\n';
    const result = await runSimterpose(['/usr/bin/python3', '-c', script], FREE_CPU);
    expect(result.stdout).toBe('946684800.0 12.5 12.5\n');
    expect(shellStatus(result)).toBe(0);
  });
});

describe('clock resolutions and CPU-time clocks', () => {
  const RESOLUTIONS = [
    'res CLOCK_REALTIME 0.000000001',
    'res CLOCK_REALTIME_COARSE 0.004000000',
    'res CLOCK_MONOTONIC 0.000000001',
    'res CLOCK_MONOTONIC_COARSE 0.004000000',
    'res CLOCK_MONOTONIC_RAW 0.000000001',
    'res CLOCK_BOOTTIME 0.000000001',
    'res CLOCK_PROCESS_CPUTIME_ID 0.000000001',
    'res CLOCK_THREAD_CPUTIME_ID 0.000000001',
  ];

  test('clock_getres reports 1 ns for the fine clocks and one 4 ms tick for the coarse ones', async () => {
    const result = await runSimterpose([appPath('time_clocks'), '0'], FREE_CPU);
    expectSuccess(result);
    expect(lines(result).slice(0, RESOLUTIONS.length)).toEqual(RESOLUTIONS);
  });

  test('under --cpu-model none the CPU-time clocks stay at 0 and a loop takes no virtual time', async () => {
    const result = await runSimterpose([appPath('time_clocks'), '200000000'], FREE_CPU);
    expectSuccess(result);
    expect(lines(result).slice(RESOLUTIONS.length)).toEqual([
      'process cputime before 0.000000000',
      'process cputime after 0.000000000',
      'thread cputime before 0.000000000',
      'thread cputime after 0.000000000',
      'loop took 0.000000000',
      'EXIT-SUCCESS',
    ]);
  });

  test('under cputime the CPU-time clocks grow by the virtual time the loop took', async () => {
    const result = await runSimterpose([appPath('time_clocks'), '200000000'], { platform: PLATFORM, runOptions: ['--cpu-model', 'cputime'] });
    expect(shellStatus(result)).toBe(0);
    const value = (name: string): number => {
      const line = lines(result).find((candidate) => candidate.startsWith(`${name} `));
      if (line === undefined) throw new Error(`no '${name}' line in:\n${result.stdout}`);
      return Number(line.slice(name.length + 1));
    };
    const loop = value('loop took');
    const threadGrowth = value('thread cputime after') - value('thread cputime before');
    const processGrowth = value('process cputime after') - value('process cputime before');
    // 2e8 iterations take about 0.1 s on this kind of machine; 20 ms is a floor no run falls under.
    expect(loop).toBeGreaterThan(0.02);
    expect(threadGrowth).toBeCloseTo(loop, 2);
    expect(Math.abs(threadGrowth - loop) / loop).toBeLessThan(0.01);
    expect(processGrowth).toBeGreaterThanOrEqual(threadGrowth);
  });
});

describe('timers deliver at their virtual dates', () => {
  const scenarios: Array<{ scenario: string; behaviour: string; expected: string[] }> = [
    {
      scenario: 'itimer-once',
      behaviour: 'a one-shot setitimer of 1.5 s sends SIGALRM at 1.5 s, and getitimer shows the time left',
      expected: ['getitimer value 1.000000 interval 0.000000', 'SIGALRM at 1.500000000', 'after: getitimer value 0.000000'],
    },
    {
      scenario: 'itimer-periodic',
      behaviour: 'a periodic setitimer of 0.25 s sends 40 SIGALRMs in 10 s, each on its period',
      expected: [
        'slept until 10.100000000',
        'SIGALRM count 40',
        'SIGALRM 1 at 0.250000000',
        'SIGALRM 14 at 3.500000000',
        'SIGALRM 27 at 6.750000000',
        'SIGALRM 40 at 10.000000000',
      ],
    },
    {
      scenario: 'alarm',
      behaviour: 'alarm returns the seconds left when re-armed and sends SIGALRM at the new date',
      expected: ['alarm(5) returned 0', 'alarm(10) returned 3', 'SIGALRM at 12.000000000', 'alarm(0) returned 0'],
    },
    {
      scenario: 'pause',
      behaviour: 'pause returns -1 EINTR once the alarm that woke it ran its handler',
      expected: ['pause returned -1 errno EINTR', 'SIGALRM at 3.000000000'],
    },
    {
      scenario: 'timerfd-once',
      behaviour: 'a read on a one-shot timerfd of 2.5 s returns one expiration at 2.5 s',
      expected: ['read 1 expirations at 2.500000000', 'gettime value 0.000000000'],
    },
    {
      scenario: 'timerfd-periodic',
      behaviour: 'a periodic timerfd read after 3.2 s counts its 5 expirations, then the next read waits for the next period',
      expected: ['read 5 expirations at 3.200000000', 'gettime value 0.300000000', 'gettime interval 0.500000000', 'read 1 expirations at 3.500000000'],
    },
    {
      scenario: 'timerfd-poll',
      behaviour: 'poll on a timerfd returns when it expires, and times out first when the timer is later',
      expected: ['poll returned 1 revents POLLIN', 'at 0.750000000', 'read 1 expirations at 0.750000000', 'poll returned 0', 'at 2.250000000'],
    },
    {
      scenario: 'timerfd-epoll',
      behaviour: 'epoll_wait on a timerfd armed at an absolute CLOCK_REALTIME date returns at that date',
      expected: ['epoll_wait returned 1 data 42', 'at 2.000000000', 'read 1 expirations at 2.000000000'],
    },
    {
      scenario: 'abstime',
      behaviour: 'clock_nanosleep with TIMER_ABSTIME wakes at the absolute date to the nanosecond, and at once for a past date',
      expected: [
        'REALTIME woke at 946684900.123456789 asked 946684900.123456789',
        'elapsed 100.123456789',
        'MONOTONIC woke, elapsed 200.000000000',
        'a date in the past returns at once, elapsed 200.000000000',
      ],
    },
    {
      scenario: 'eintr-itimer',
      behaviour: "a 10 s nanosleep interrupted by an itimer's SIGALRM at 1 s returns EINTR with 9 s remaining",
      expected: ['nanosleep returned -1 errno EINTR', '  remaining 9.000000000', '  at 1.000000000'],
    },
    {
      scenario: 'eintr-kill',
      behaviour: "nanosleep, clock_nanosleep and sleep interrupted by a child's kill return EINTR (or the seconds left) with the remaining time",
      expected: [
        'nanosleep returned -1 errno EINTR',
        '  remaining 8.000000000',
        '  at 2.000000000',
        'clock_nanosleep returned -1 errno EINTR',
        '  remaining 7.500000000',
        '  at 5.000000000',
        'sleep(20) returned 16',
        '  at 9.000000000',
        'signals 3',
      ],
    },
  ];
  for (const { scenario, behaviour, expected } of scenarios) {
    test(behaviour, async () => {
      const result = await runSimterpose([appPath('time_timers'), scenario], { ...FREE_CPU, timeoutMs: 20_000 });
      expect(lines(result)).toEqual([...expected, 'EXIT-SUCCESS']);
      expectSuccess(result);
    });
  }
});

describe('a thread spinning on a flag another thread sets', () => {
  for (const model of ['cputime', 'none']) {
    for (const sleepMs of [0, 10]) {
      const setter = sleepMs === 0 ? 'sets it at once' : `sets it after a ${sleepMs} ms sleep`;
      test(`under --cpu-model ${model}, the spinner is preempted and sees the flag when the other thread ${setter}`, async () => {
        const argv = [appPath('spin_wait'), ...(sleepMs === 0 ? [] : [String(sleepMs)])];
        const result = await runSimterpose(argv, { platform: PLATFORM, runOptions: ['--cpu-model', model], timeoutMs: 10_000 });
        expect(lines(result)).toEqual(['flag seen after some spins', 'EXIT-SUCCESS']);
        expect(shellStatus(result)).toBe(0);
      });
    }
  }
});

describe('a loop of sched_yield and clock reads, waiting for the clock to move (as UCX does when it starts)', () => {
  test('ends as natively: each yield costs about 1 µs of virtual time, as on Linux, so the wait takes seconds of wall time, not minutes', async () => {
    const argv = [appPath('yield_wait'), '50'];
    const native = await runNative(argv);
    const started = performance.now();
    const result = await runSimterpose(argv, { ...FREE_CPU, timeoutMs: 20_000 });
    const wallSeconds = (performance.now() - started) / 1000;
    expectSuccess(result);
    expectSuccess(native);
    const thousands = (run: RunResult) => Number(/^waited 50 ms, (\d+) thousand yields$/.exec(lines(run)[0]!)?.[1]);
    // Natively a yield takes 1 to 4 µs, with the machine's load; under simterpose 1 µs, and a clock read 1 ns.
    expect(thousands(native)).toBeGreaterThan(0);
    expect(thousands(result)).toBeGreaterThanOrEqual(40);
    expect(thousands(result)).toBeLessThanOrEqual(50);
    expect(wallSeconds).toBeLessThan(10);
  });
});

describe('determinism', () => {
  for (const argv of [
    [appPath('time_timers'), 'eintr-kill'],
    [appPath('time_timers'), 'itimer-periodic'],
    [appPath('time_sleep'), 'usleep', '10', '1000'],
  ]) {
    test(`two runs of ${argv.slice(1).join(' ')} under --cpu-model none print the same bytes`, async () => {
      const first = await runSimterpose(argv, FREE_CPU);
      const second = await runSimterpose(argv, FREE_CPU);
      expectSuccess(first);
      expect(second.stdout).toBe(first.stdout);
    });
  }
});
