import { describe, expect, it } from 'vitest';
import { type ProcessView, uptimeFile, virtualStat, virtualStatus } from '../../src/mediator/host/proc-files.js';

/** Real ids 5000 (the process), 5001 (a thread), 4000 (simterpose, outside): virtual 1000, 1001, and 1 for anything else (0 too: outside the kernel's namespace). */
function view(overrides: Partial<ProcessView> = {}): ProcessView {
  return {
    virtualId: (real) => ({ 5000: 1000, 5001: 1001 })[real] ?? 1,
    state: { letter: 'R', words: 'running' },
    cores: 4,
    cpuTime: 1.5,
    startedSinceBoot: 1002.25,
    ...overrides,
  };
}

const STATUS = [
  'Name:\tapp',
  'State:\tt (tracing stop)',
  'Tgid:\t5000',
  'Ngid:\t0',
  'Pid:\t5001',
  'PPid:\t4000',
  'TracerPid:\t4000',
  'NStgid:\t77\t5000',
  'NSpid:\t78\t5001',
  'NSpgid:\t3900',
  'NSsid:\t0',
  'Threads:\t2',
  'Cpus_allowed:\t3',
  'Cpus_allowed_list:\t0-1',
  'voluntary_ctxt_switches:\t12',
  '',
].join('\n');

describe('a process status file as its host shows it', () => {
  it("ids become the host's, the tracer is none, nested namespaces one, the state the scheduler's and the CPUs the host's", () => {
    expect(virtualStatus(STATUS, view())).toBe(
      [
        'Name:\tapp',
        'State:\tR (running)',
        'Tgid:\t1000',
        'Ngid:\t0',
        'Pid:\t1001',
        'PPid:\t1',
        'TracerPid:\t0',
        'NStgid:\t1000',
        'NSpid:\t1001',
        'NSpgid:\t1',
        'NSsid:\t1',
        'Threads:\t2',
        'Cpus_allowed:\tf',
        'Cpus_allowed_list:\t0-3',
        'voluntary_ctxt_switches:\t12',
        '',
      ].join('\n'),
    );
  });

  it("CPU masks are printed as the kernel does, in 32-bit groups; a zombie keeps the kernel's state", () => {
    const hundred = virtualStatus(STATUS, view({ cores: 100, state: undefined }));
    expect(hundred).toContain('Cpus_allowed:\tf,ffffffff,ffffffff,ffffffff\nCpus_allowed_list:\t0-99\n');
    expect(hundred).toContain('State:\tt (tracing stop)\n');
    expect(virtualStatus(STATUS, view({ cores: 1 }))).toContain('Cpus_allowed:\t1\nCpus_allowed_list:\t0\n');
  });
});

describe('a process stat file as its host shows it', () => {
  // pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime priority nice threads itreal starttime vsize...
  const STAT = '5001 (a (b) c) t 4000 5000 4000 0 -1 4194560 100 0 0 0 250 80 0 0 20 0 2 0 987654 1000000 300\n';

  it('keeps comm whole, makes ids virtual, and shows the state, the virtual CPU time and the start time in ticks since the host booted', () => {
    expect(virtualStat(STAT, view())).toBe('1001 (a (b) c) R 1 1000 1 0 -1 4194560 100 0 0 0 150 0 0 0 20 0 2 0 100225 1000000 300\n');
  });

  it("a group and session whose leader lies outside the kernel's pid namespace (0, in a container) are outside the run, as getpgrp and getsid say; a terminal's group stays", () => {
    const inContainer = '5001 (app) S 0 0 0 34816 5000 4194560 100 0 0 0 250 80 0 0 20 0 2 0 987654 1000000 300\n';
    expect(virtualStat(inContainer, view())).toBe('1001 (app) R 1 1 1 34816 1000 4194560 100 0 0 0 150 0 0 0 20 0 2 0 100225 1000000 300\n');
  });
});

describe('/proc/uptime', () => {
  it('says the seconds since boot to the hundredth, truncated, and no idle time', () => {
    expect(uptimeFile(1000.29)).toBe('1000.29 0.00\n');
    expect(uptimeFile(1003.999)).toBe('1003.99 0.00\n');
    expect(uptimeFile(1000)).toBe('1000.00 0.00\n');
  });
});
