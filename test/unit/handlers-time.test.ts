import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { SIGALRM } from '../../src/mediator/abi/signal.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, ITIMER_REAL } from '../../src/mediator/abi/time.js';
import { TraceeFault } from '../../src/mediator/abi/tracee-memory.js';
import { DEFAULT_EPOCH, FakeMemory, FakeWorld, waitOf, type FakeTracee } from '../helpers/fake-tracee.js';

/** linux/time.h */
const ITIMER_VIRTUAL = 1;

/** 64-bit fields: a timespec or timeval is two, an itimerval four (interval then value). */
function longs(...values: number[]): Buffer {
  const data = Buffer.alloc(8 * values.length);
  for (const [i, value] of values.entries()) data.writeBigInt64LE(BigInt(value), 8 * i);
  return data;
}

function longsAt(tracee: FakeTracee, address: number, count: number): number[] {
  const data = tracee.memory.read(address, 8 * count);
  return Array.from({ length: count }, (_, i) => Number(data.readBigInt64LE(8 * i)));
}

function setup() {
  const world = new FakeWorld();
  return { world, tracee: world.spawn('alice') };
}

const alarmsOf = (world: FakeWorld) => world.signals.sent.filter((sent) => sent.signal === SIGALRM);

describe('clock reads', () => {
  it('clock_gettime(CLOCK_REALTIME) writes the epoch plus virtual now as a timespec', () => {
    const { world, tracee } = setup();
    world.advanceTo(12.25);
    const timespec = tracee.map(16);
    expect(tracee.call('clock_gettime', CLOCK_REALTIME, timespec)).toEqual({ kind: 'done', value: 0 });
    expect(longsAt(tracee, timespec, 2)).toEqual([DEFAULT_EPOCH + 12, 250_000_000]);
    expect(DEFAULT_EPOCH).toBe(946_684_800);
  });

  it('clock_gettime(CLOCK_MONOTONIC) reads virtual now past a fixed uptime of 1000 s', () => {
    const { world, tracee } = setup();
    world.advanceTo(3.5);
    const timespec = tracee.map(16);
    expect(tracee.call('clock_gettime', CLOCK_MONOTONIC, timespec)).toEqual({ kind: 'done', value: 0 });
    expect(longsAt(tracee, timespec, 2)).toEqual([1003, 500_000_000]);
  });

  it('clock_gettime on a clock id Linux does not have is left to the kernel, which fails it with EINVAL', () => {
    const { tracee } = setup();
    expect(tracee.call('clock_gettime', 100, tracee.map(16))).toEqual({ kind: 'native' });
  });

  it('clock_gettime with an unmapped timespec fails with EFAULT, decided by the dispatcher alone', () => {
    const { tracee } = setup();
    expect(() => tracee.call('clock_gettime', CLOCK_REALTIME, FakeMemory.UNMAPPED)).toThrow(TraceeFault);
    const outcome = tracee.dispatch('clock_gettime', CLOCK_REALTIME, FakeMemory.UNMAPPED);
    expect(outcome).toEqual({ kind: 'errno', errno: Errno.EFAULT });
    expect(tracee.finish(outcome)).toEqual({ kind: 'return', value: -14 });
  });

  it('clock_gettime with a timespec that runs off the end of its mapping fails with EFAULT', () => {
    const { tracee } = setup();
    expect(tracee.dispatch('clock_gettime', CLOCK_REALTIME, tracee.map(8))).toEqual({ kind: 'errno', errno: Errno.EFAULT });
  });

  it('gettimeofday truncates the virtual wall clock to microseconds and writes a zero timezone', () => {
    const { world, tracee } = setup();
    world.advanceTo(7.123456789);
    const timeval = tracee.map(16);
    const timezone = tracee.map(Buffer.alloc(8, 0xff));
    expect(tracee.call('gettimeofday', timeval, timezone)).toEqual({ kind: 'done', value: 0 });
    expect(longsAt(tracee, timeval, 2)).toEqual([DEFAULT_EPOCH + 7, 123_456]);
    expect(tracee.memory.read(timezone, 8)).toEqual(Buffer.alloc(8));
  });

  it('time returns the virtual seconds since 1970 and stores them where asked', () => {
    const { world, tracee } = setup();
    world.advanceTo(61.9);
    const tloc = tracee.map(8);
    expect(tracee.call('time', tloc)).toEqual({ kind: 'done', value: DEFAULT_EPOCH + 61 });
    expect(longsAt(tracee, tloc, 1)).toEqual([DEFAULT_EPOCH + 61]);
    expect(tracee.call('time', 0)).toEqual({ kind: 'done', value: DEFAULT_EPOCH + 61 });
  });

  it('clock_settime and settimeofday fail with EPERM: SimGrid owns time', () => {
    const { tracee } = setup();
    const timespec = tracee.map(longs(DEFAULT_EPOCH, 0));
    expect(tracee.call('clock_settime', CLOCK_REALTIME, timespec)).toEqual({ kind: 'errno', errno: Errno.EPERM });
    expect(tracee.call('settimeofday', timespec, 0)).toEqual({ kind: 'errno', errno: Errno.EPERM });
  });
});

describe('nanosleep', () => {
  it('blocks until the requested virtual date, then returns 0', () => {
    const { world, tracee } = setup();
    world.advanceTo(5);
    const outcome = tracee.call('nanosleep', tracee.map(longs(2, 500_000_000)), 0);
    const wait = tracee.block(outcome);
    expect(wait).toMatchObject({ kind: 'sleep', deadline: 7.5, onSignal: 'eintr' });
    expect(tracee.thread.state).toBe('blocked');
    world.nextEvent();
    expect(world.scheduler.now).toBe(7.5);
    expect(tracee.thread.state).toBe('runnable');
    expect(tracee.concluded()).toEqual({ kind: 'done', value: 0 });
  });

  it('accepts 999999999 nanoseconds, the largest Linux allows', () => {
    const { tracee } = setup();
    expect(waitOf(tracee.call('nanosleep', tracee.map(longs(0, 999_999_999)), 0)).deadline).toBeCloseTo(0.999999999, 12);
  });

  it('nanosleep with nanoseconds past 999999999 fails with EINVAL, as Linux does', () => {
    const { tracee } = setup();
    expect(tracee.call('nanosleep', tracee.map(longs(1, 1_000_000_000)), 0)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
  });

  it('nanosleep with negative seconds or negative nanoseconds fails with EINVAL, as Linux does', () => {
    const { tracee } = setup();
    expect(tracee.call('nanosleep', tracee.map(longs(-1, 0)), 0)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(tracee.call('nanosleep', tracee.map(longs(1, -1)), 0)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
  });

  it('nanosleep interrupted by a signal writes the time left into rem and fails with EINTR', () => {
    const { world, tracee } = setup();
    world.advanceTo(1);
    const rem = tracee.map(16);
    const outcome = tracee.call('nanosleep', tracee.map(longs(10, 0)), rem);
    tracee.block(outcome);
    world.advanceTo(4.25);
    expect(tracee.interrupted(outcome)).toEqual({ kind: 'errno', errno: Errno.EINTR });
    expect(longsAt(tracee, rem, 2)).toEqual([6, 750_000_000]);
  });

  it('nanosleep interrupted with rem at an unmapped address fails with EFAULT', () => {
    const { tracee } = setup();
    const outcome = tracee.call('nanosleep', tracee.map(longs(10, 0)), FakeMemory.UNMAPPED);
    expect(tracee.interrupted(outcome)).toEqual({ kind: 'errno', errno: Errno.EFAULT });
  });
});

describe('interval timers', () => {
  it('setitimer(ITIMER_REAL) sends SIGALRM to the process at the virtual date it was armed for, then every interval', () => {
    const { world, tracee } = setup();
    const setting = tracee.map(longs(0, 250_000, 1, 500_000));
    expect(tracee.call('setitimer', ITIMER_REAL, setting, 0)).toEqual({ kind: 'done', value: 0 });
    world.advanceTo(2.1);
    expect(alarmsOf(world)).toEqual([1.5, 1.75, 2].map((date) => ({ signal: SIGALRM, pid: tracee.process.pid, date })));
  });

  it('getitimer reports the interval and the time left of ITIMER_REAL', () => {
    const { world, tracee } = setup();
    tracee.call('setitimer', ITIMER_REAL, tracee.map(longs(2, 0, 3, 0)), 0);
    world.advanceTo(1.25);
    const current = tracee.map(32);
    expect(tracee.call('getitimer', ITIMER_REAL, current)).toEqual({ kind: 'done', value: 0 });
    expect(longsAt(tracee, current, 4)).toEqual([2, 0, 1, 750_000]);
  });

  it('getitimer truncates the time left to whole microseconds, as Linux does (never a tv_usec of 1000000)', () => {
    const { world, tracee } = setup();
    tracee.call('setitimer', ITIMER_REAL, tracee.map(longs(0, 0, 1, 0)), 0);
    world.advanceTo(0.0000004);
    const current = tracee.map(32);
    tracee.call('getitimer', ITIMER_REAL, current);
    expect(longsAt(tracee, current, 4)).toEqual([0, 0, 0, 999_999]);
  });

  it('setitimer with microseconds outside [0, 999999] or negative seconds fails with EINVAL and leaves the timer as it was, as Linux does', () => {
    const { world, tracee } = setup();
    tracee.call('setitimer', ITIMER_REAL, tracee.map(longs(0, 0, 2, 0)), 0);
    const old = tracee.map(Buffer.alloc(32, 0xff));
    for (const invalid of [longs(0, 0, 0, 1_000_000), longs(0, -1, 1, 0), longs(0, 0, -1, 0)]) {
      expect(tracee.call('setitimer', ITIMER_REAL, tracee.map(invalid), old)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    }
    expect(tracee.memory.read(old, 32)).toEqual(Buffer.alloc(32, 0xff));
    world.advanceTo(3);
    expect(alarmsOf(world)).toEqual([{ signal: SIGALRM, pid: tracee.process.pid, date: 2 }]);
  });

  it('setitimer returns the previous setting, and a zero value disarms the timer', () => {
    const { world, tracee } = setup();
    const old = tracee.map(32);
    tracee.call('setitimer', ITIMER_REAL, tracee.map(longs(1, 0, 3, 0)), old);
    expect(longsAt(tracee, old, 4)).toEqual([0, 0, 0, 0]);
    world.advanceTo(1.2);
    expect(tracee.call('setitimer', ITIMER_REAL, tracee.map(longs(0, 0, 0, 0)), old)).toEqual({ kind: 'done', value: 0 });
    expect(longsAt(tracee, old, 4)).toEqual([1, 0, 1, 800_000]);
    world.advanceTo(10);
    expect(alarmsOf(world)).toEqual([]);
    const current = tracee.map(Buffer.alloc(32, 0xff));
    tracee.call('getitimer', ITIMER_REAL, current);
    expect(longsAt(tracee, current, 4)).toEqual([0, 0, 0, 0]);
  });

  it('setitimer and getitimer on the CPU-time timers are left to the kernel', () => {
    const { tracee } = setup();
    expect(tracee.call('setitimer', ITIMER_VIRTUAL, tracee.map(longs(0, 0, 1, 0)), 0)).toEqual({ kind: 'native' });
    expect(tracee.call('getitimer', ITIMER_VIRTUAL, tracee.map(32))).toEqual({ kind: 'native' });
  });

  it('alarm arms ITIMER_REAL for whole seconds, returns 0 when no alarm was pending, and SIGALRM comes at its date', () => {
    const { world, tracee } = setup();
    world.advanceTo(0.5);
    expect(tracee.call('alarm', 5)).toEqual({ kind: 'done', value: 0 });
    world.advanceTo(5.4);
    expect(alarmsOf(world)).toEqual([]);
    world.advanceTo(5.5);
    expect(alarmsOf(world)).toEqual([{ signal: SIGALRM, pid: tracee.process.pid, date: 5.5 }]);
    expect(tracee.call('alarm', 0)).toEqual({ kind: 'done', value: 0 });
  });

  it('alarm returns the seconds left on the previous alarm rounded to the nearest, and never 0 while one is pending, as Linux does', () => {
    const { world, tracee } = setup();
    tracee.call('alarm', 3);
    world.advanceTo(0.4);
    expect(tracee.call('alarm', 3)).toEqual({ kind: 'done', value: 3 }); // 2.6 s were left
    world.advanceTo(1);
    expect(tracee.call('alarm', 3)).toEqual({ kind: 'done', value: 2 }); // 2.4 s were left
    world.advanceTo(3.8);
    expect(tracee.call('alarm', 0)).toEqual({ kind: 'done', value: 1 }); // 0.2 s were left
    world.advanceTo(10);
    expect(alarmsOf(world)).toEqual([]);
  });
});
