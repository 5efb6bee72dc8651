import { describe, expect, it } from 'vitest';
import { formatProgress } from '../../src/report/progress.js';
import { formatSummary, type SummarizedRun } from '../../src/report/summary.js';
import type { ProcessReport } from '../../src/report/types.js';
import { formatBytes, formatDuration } from '../../src/report/units.js';

describe('units', () => {
  it('durations take the largest unit that keeps them at 1 or more, with 3 significant digits', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(4.903698802)).toBe('4.9 s');
    expect(formatDuration(0.2602)).toBe('260 ms');
    expect(formatDuration(0.001308153)).toBe('1.31 ms');
    expect(formatDuration(42e-6)).toBe('42 µs');
    expect(formatDuration(3e-9)).toBe('3 ns');
    expect(formatDuration(90)).toBe('1.5 min');
    expect(formatDuration(7200)).toBe('2 h');
  });

  it('sizes are in decimal units, as SimGrid bandwidths are', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1 kB');
    expect(formatBytes(1000037)).toBe('1 MB');
    expect(formatBytes(268435456)).toBe('268 MB');
    expect(formatBytes(3.5e9)).toBe('3.5 GB');
  });
});

const REPORT: SummarizedRun = {
  end: 'completed',
  virtualTime: 4.903698802,
  exitCode: 1,
  processes: [
    {
      host: 'bob',
      pid: 7,
      parent: null,
      command: 'net_tcp_server',
      exit: { code: 0 },
      status: 0,
      stopped: null,
      start: 0,
      end: 4.77,
      cpuTime: 0.0013,
      bytesSent: 1e6,
      bytesReceived: 1e6,
    },
    {
      host: 'alice',
      pid: 12345,
      parent: null,
      command: './client',
      exit: { signal: 9, core: false },
      status: 137,
      stopped: null,
      start: 0.001,
      end: 4.9,
      cpuTime: 0,
      bytesSent: 21,
      bytesReceived: 0,
    },
  ],
  faults: [],
  migrations: [],
};

describe('the summary table', () => {
  it('has a row per process under aligned headers, then the totals', () => {
    const lines = formatSummary(REPORT, 0.122).split('\n');
    expect(lines).toEqual([
      'HOST     PID  COMMAND         EXIT      START     END     CPU  SENT  RECEIVED',
      'bob        7  net_tcp_server  0           0 s  4.77 s  1.3 ms  1 MB      1 MB',
      'alice  12345  ./client        signal 9   1 ms   4.9 s     0 s  21 B       0 B',
      '2 processes, virtual time 4.9 s, wall time 122 ms, exit status 1',
      '',
    ]);
  });

  it('shows a process a fault killed as SIGKILL, and a line per fault with whom it killed or started again', () => {
    const crashed = { ...REPORT.processes[0]!, exit: { signal: 9, core: false }, status: 137, stopped: 'fault' as const };
    const restarted = { ...REPORT.processes[0]!, pid: 8, start: 3 };
    const report: SummarizedRun = {
      ...REPORT,
      processes: [crashed, restarted],
      faults: [
        { date: 2.5, fault: 'host bob off', killed: [{ host: 'bob', pid: 7, command: 'net_tcp_server' }], restarted: [], missed: null },
        { date: 3, fault: 'host bob on', killed: [], restarted: [{ host: 'bob', pid: 8, command: 'net_tcp_server' }], missed: null },
        { date: 4, fault: 'link wire off', killed: [], restarted: [], missed: null },
      ],
    };
    const lines = formatSummary(report, 0.122).split('\n');
    expect(lines[1]).toMatch(/^bob\s+7\s+net_tcp_server\s+SIGKILL\s/);
    expect(lines.slice(3, 6)).toEqual([
      'fault at 2.5 s: host bob off: killed bob 7 net_tcp_server (SIGKILL)',
      'fault at 3 s: host bob on: restarted bob 8 net_tcp_server',
      'fault at 4 s: link wire off',
    ]);
  });

  it('has a line per migration: the process, where it went, when, what crossed and for how long it was frozen (live: in how many rounds, how long in all); or why it did not move', () => {
    const report: SummarizedRun = {
      ...REPORT,
      migrations: [
        {
          process: { host: 'bob', pid: 7, command: 'net_tcp_server' },
          asked: '7@bob',
          from: 'bob',
          to: 'carol',
          live: false,
          start: 1.5,
          downtime: 0.0214,
          duration: 0.0214,
          rounds: 1,
          bytes: 2_150_000,
          missed: null,
        },
        {
          process: { host: 'carol', pid: 7, command: 'net_tcp_server' },
          asked: '7@carol',
          from: 'carol',
          to: 'bob',
          live: true,
          start: 1.75,
          downtime: 0.0012,
          duration: 0.031,
          rounds: 3,
          bytes: 2_300_000,
          missed: null,
        },
        {
          process: null,
          asked: '9@bob',
          from: '',
          to: 'carol',
          live: false,
          start: 2,
          downtime: 0,
          duration: 0,
          rounds: 0,
          bytes: 0,
          missed: 'no process 9@bob',
        },
      ],
    };
    expect(formatSummary(report, 0.122).split('\n').slice(3, 6)).toEqual([
      'migration at 1.5 s: bob 7 net_tcp_server to carol, 2.15 MB in 21.4 ms',
      'migration at 1.75 s: carol 7 net_tcp_server to bob, live, 2.3 MB in 3 rounds, 31 ms, frozen 1.2 ms',
      'migration at 2 s of 9@bob to carol: no process 9@bob',
    ]);
  });

  it('past 20 processes, has a row per program and host: how many, how they ended, first start, last end and their totals', () => {
    const [server, client] = REPORT.processes as [ProcessReport, ProcessReport];
    const shells = Array.from({ length: 19 }, (_, i) => ({
      ...server,
      pid: 100 + i,
      parent: 7,
      command: 'sh',
      start: 1 + i,
      end: 2 + i,
      cpuTime: 0.001,
      bytesSent: 10,
    }));
    const crashed = { ...shells[0]!, pid: 200, exit: { signal: 11, core: true }, status: 139 };
    const big: SummarizedRun = { ...REPORT, processes: [server, client, ...shells, crashed] };
    expect(formatSummary(big, 1).split('\n')).toEqual([
      'HOST   PROCESSES  COMMAND         EXIT                 FIRST START  LAST END     CPU   SENT  RECEIVED',
      'bob            1  net_tcp_server  0                            0 s    4.77 s  1.3 ms   1 MB      1 MB',
      'alice          1  ./client        signal 9                    1 ms     4.9 s     0 s   21 B       0 B',
      'bob           20  sh              0 ×19, signal 11 ×1          1 s      20 s   20 ms  200 B     20 MB',
      '22 processes, virtual time 4.9 s, wall time 1 s, exit status 1',
      '',
    ]);
    // 20 processes still get a row each.
    expect(formatSummary({ ...REPORT, processes: [server, client, ...shells.slice(0, 18)] }, 1).split('\n')).toHaveLength(20 + 3);
  });

  it('shows processes simterpose killed as stopped, and after the totals how many the stop time found running', () => {
    const [server, client] = REPORT.processes as [ProcessReport, ProcessReport];
    const stopped: SummarizedRun = {
      ...REPORT,
      end: 'stop-time',
      virtualTime: 3600,
      exitCode: 0,
      processes: [
        { ...server, exit: { signal: 9, core: false }, status: 137, stopped: 'stop-time', end: 3600 },
        { ...client, stopped: 'kill-time', end: 60 },
        { ...server, pid: 8, parent: 7, exit: { signal: 9, core: false }, status: 137, stopped: 'stop-time', end: 3600 },
      ],
    };
    const lines = formatSummary(stopped, 1).split('\n');
    expect(lines[1]).toMatch(/^bob +7 +net_tcp_server +stopped +0 s +1 h /);
    expect(lines[2]).toMatch(/^alice +12345 +\.\/client +stopped +1 ms +1 min /);
    expect(lines.slice(4)).toEqual([
      '3 processes, virtual time 1 h, wall time 1 s, exit status 0',
      'stopped at 1 h (--stop-time): 2 processes were still running',
      '',
    ]);
  });

  it('keeps the end of long commands, where the program name is', () => {
    const long = { ...REPORT, processes: [{ ...REPORT.processes[0]!, command: `/very/long/path/${'x'.repeat(40)}/server` }] };
    const row = formatSummary(long, 1).split('\n')[1]!;
    expect(row).toContain('…');
    expect(row).toContain('/server');
  });
});

describe('the progress line', () => {
  it('shows virtual time, events per second and processes alive', () => {
    expect(formatProgress({ virtualTime: 1.5, events: 100, alive: 4 }, 12345)).toBe('simterpose: virtual 1.5 s · 12.3k events/s · 4 processes alive');
    expect(formatProgress({ virtualTime: 0, events: 0, alive: 1 }, 12.4)).toBe('simterpose: virtual 0 s · 12 events/s · 1 process alive');
  });
});
