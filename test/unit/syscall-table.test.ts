import { describe, expect, it } from 'vitest';
import { SYSCALLS, notifiedNumbers, notifiedStops, stopGates, syscallName, syscallNumber, trappedNumbers } from '../../src/mediator/syscalls/table.js';

describe('the syscall table', () => {
  it('names every x86_64 syscall once, from read (0) to the newest', () => {
    expect(syscallName(0)).toBe('read');
    expect(syscallName(1)).toBe('write');
    expect(syscallName(202)).toBe('futex');
    expect(syscallName(435)).toBe('clone3');
    const names = [...SYSCALLS.values()].map((entry) => entry.name);
    expect(new Set(names).size).toBe(names.length);
    expect(SYSCALLS.size).toBeGreaterThan(360);
  });

  it('gives every trapped syscall a handler or an unsupported verdict, and no handler to an untrapped one', () => {
    for (const entry of SYSCALLS.values()) {
      if (entry.level === 'emulated' || entry.level === 'mediated') expect(entry.handler, entry.name).toBeTypeOf('function');
      if (entry.level === 'native' || entry.level === 'unsupported') expect(entry.handler, entry.name).toBeUndefined();
    }
  });

  it('explains every syscall it does not leave to the kernel untouched', () => {
    for (const entry of SYSCALLS.values()) {
      if (entry.level !== 'native') expect(entry.note, entry.name).toMatch(/\w/);
    }
  });

  it("traps what can block or reveal time, pids, randomness or this machine's CPUs, and leaves file I/O and memory management native", () => {
    const trapped = new Set(trappedNumbers());
    const reveals = ['getrandom', 'gettid', 'getppid', 'kill', 'sched_getaffinity', 'openat' /* the CPU files */];
    for (const name of ['futex', 'wait4', 'read', 'write', 'poll', 'nanosleep', 'clock_gettime', 'clone', 'msgrcv', ...reveals]) {
      expect(trapped.has(syscallNumber(name)!), name).toBe(true);
    }
    for (const name of ['mmap', 'pread64', 'fstat', 'brk', 'getuid', 'exit']) {
      expect(trapped.has(syscallNumber(name)!), name).toBe(false);
    }
  });

  it('leaves a syscall untrapped when asked to', () => {
    const getpid = syscallNumber('getpid')!;
    expect(trappedNumbers()).toContain(getpid);
    expect(trappedNumbers(new Set(['getpid']))).not.toContain(getpid);
  });

  it("sends the calls that carry a socket's bytes, ids, clocks, yields, directory listings, random bytes, opens and closes as user notifications, unless left native or execve is (spawn takes the listener at its stop)", () => {
    const names = (numbers: number[]): string[] => numbers.map(syscallName).sort();
    expect(names(notifiedNumbers())).toEqual([
      'clock_getres',
      'clock_gettime',
      'close',
      'getdents64',
      'getpid',
      'getppid',
      'getrandom',
      'gettid',
      'gettimeofday',
      'open',
      'openat',
      'read',
      'readv',
      'recvfrom',
      'recvmsg',
      'sched_yield',
      'sendmsg',
      'sendto',
      'time',
      'write',
      'writev',
    ]);
    expect(names(notifiedNumbers(new Set(['write'])))).not.toContain('write');
    expect(notifiedNumbers(new Set(['execve']))).toEqual([]);
  });

  it('stops an O_PATH open or openat (no O_PATH descriptor can be handed over by notification), and every openat2', () => {
    const O_PATH = 0o10000000;
    expect(notifiedStops(notifiedNumbers())).toEqual([
      { syscall: syscallNumber('open'), argument: 1, bits: O_PATH },
      { syscall: syscallNumber('openat'), argument: 2, bits: O_PATH },
    ]);
    expect(trappedNumbers()).toContain(syscallNumber('openat2'));
    expect(notifiedNumbers()).not.toContain(syscallNumber('openat2'));
  });

  it('lets the filter run natively the ioctl requests no handler answers and the rt_sigaction calls that set nothing', () => {
    const gates = stopGates(trappedNumbers());
    expect(gates.find((gate) => gate.syscall === syscallNumber('rt_sigaction'))).toEqual({ syscall: syscallNumber('rt_sigaction'), argument: 1 });
    const ioctl = gates.find((gate) => gate.syscall === syscallNumber('ioctl'))!;
    expect(ioctl.argument).toBe(1);
    const [FIONREAD, SIOCGIFCONF, TIOCSPGRP, FIOSETOWN, FIOCLEX, TCGETS] = [0x541b, 0x8912, 0x5410, 0x8901, 0x5451, 0x5401];
    expect(ioctl.oneOf).toEqual(expect.arrayContaining([FIONREAD, SIOCGIFCONF, TIOCSPGRP, FIOSETOWN, FIOCLEX]));
    expect(ioctl.oneOf).not.toContain(TCGETS);
    expect(stopGates(trappedNumbers(new Set(['ioctl'])))).not.toContainEqual(ioctl);
  });

  it('lets the filter run natively the calls naming the caller as pid 0, which need no real pid', () => {
    const gates = stopGates(trappedNumbers());
    for (const name of ['prlimit64', 'sched_getparam', 'sched_getscheduler', 'get_robust_list']) {
      expect(gates).toContainEqual({ syscall: syscallNumber(name), argument: 0 });
    }
    // Their answers name pids the caller must see virtual: they stop whatever the pid.
    for (const name of ['getpgid', 'getsid']) expect(gates.find((gate) => gate.syscall === syscallNumber(name))).toBeUndefined();
  });

  it('names numbers it does not know instead of failing', () => {
    expect(syscallName(100_000)).toBe('syscall_100000');
    expect(syscallNumber('no_such_call')).toBeUndefined();
  });
});
