import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { asInt, memory, writeInt64LE } from '../../tracees/memory.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';
import type { Thread } from '../../tracees/tracees.js';
import { toTimespec, type Timespec } from '../../host/virtual-time.js';

/** Sleeps wait in virtual time: an hour of sleep costs no wall time. */

const TIMER_ABSTIME = 1;

/** A struct timespec as the tracee wrote it, nanoseconds apart: an absolute date near 1e9 s would lose them in one number. */
export function readTimespec(pid: number, address: number): Timespec {
  const data = memory.read(pid, address, 16);
  return { seconds: Number(data.readBigInt64LE(0)), nanoseconds: Number(data.readBigInt64LE(8)) };
}

export function writeTimespec(pid: number, address: number, value: Timespec | number): void {
  const { seconds, nanoseconds } = typeof value === 'number' ? toTimespec(value) : value;
  const data = Buffer.alloc(16);
  writeInt64LE(data, seconds, 0);
  writeInt64LE(data, nanoseconds, 8);
  memory.write(pid, address, data);
}

function sleepUntil(ctx: SyscallContext, deadline: number, remaining: number): Outcome {
  const scheduler = ctx.services.scheduler;
  return blocked({
    kind: 'sleep',
    reason: `a sleep to end in ${ctx.thread.label}`,
    deadline,
    onTimeout: () => done(0),
    onSignal: 'eintr',
    onInterrupt: (thread: Thread) => {
      if (remaining !== 0) writeTimespec(thread.process.pid, remaining, Math.max(0, deadline - scheduler.now));
      return fail(Errno.EINTR);
    },
  });
}

function nanosleep(ctx: SyscallContext): Outcome {
  const [request, remaining] = ctx.args as [number, number];
  const seconds = memory.timespec(ctx.process.pid, request);
  if (seconds < 0) return fail(Errno.EINVAL);
  return sleepUntil(ctx, ctx.services.time.after(seconds), remaining);
}

function clockNanosleep(ctx: SyscallContext): Outcome {
  const [clockid, flags, request, remaining] = ctx.args as [number, number, number, number];
  if ((asInt(flags) & TIMER_ABSTIME) !== 0) {
    return sleepUntil(ctx, ctx.services.time.at(asInt(clockid), readTimespec(ctx.process.pid, request)), 0);
  }
  const seconds = memory.timespec(ctx.process.pid, request);
  if (seconds < 0) return fail(Errno.EINVAL);
  return sleepUntil(ctx, ctx.services.time.after(seconds), remaining);
}

const ITIMER_REAL = 0;
const SIGALRM = 14;

/** Arms (or with value 0 disarms) the process's ITIMER_REAL; returns the previous {value, interval}. */
function armRealTimer(ctx: SyscallContext, value: number, interval: number): { value: number; interval: number } {
  const { process, services } = ctx;
  const scheduler = services.scheduler;
  const previous = process.realTimer;
  const old = previous === undefined ? { value: 0, interval: 0 } : { value: Math.max(0, previous.deadline - scheduler.now), interval: previous.interval };
  process.realTimer = undefined;
  if (value > 0) {
    const timer = { deadline: scheduler.now + value, interval, armed: {} };
    process.realTimer = timer;
    const expire = (): void => {
      if (!process.alive) return;
      globalThis.process.kill(process.pid, SIGALRM);
      services.signalsMayBePending();
      if (timer.interval > 0) {
        timer.deadline += timer.interval;
        scheduler.at(timer.deadline, () => process.realTimer === timer, expire);
      } else {
        process.realTimer = undefined;
      }
    };
    scheduler.at(timer.deadline, () => process.realTimer === timer, expire);
  }
  return old;
}

function readItimerval(pid: number, address: number): { interval: number; value: number } {
  return { interval: memory.timeval(pid, address), value: memory.timeval(pid, address + 16) };
}

function writeItimerval(pid: number, address: number, timer: { interval: number; value: number }): void {
  const data = Buffer.alloc(32);
  const put = (offset: number, seconds: number): void => {
    const whole = Math.floor(seconds);
    data.writeBigInt64LE(BigInt(whole), offset);
    data.writeBigInt64LE(BigInt(Math.round((seconds - whole) * 1e6)), offset + 8);
  };
  put(0, timer.interval);
  put(16, timer.value);
  memory.write(pid, address, data);
}

function setitimer(ctx: SyscallContext): Outcome {
  const [which, value, old] = ctx.args as [number, number, number];
  if (asInt(which) !== ITIMER_REAL) return NATIVE;
  const pid = ctx.process.pid;
  const requested = value === 0 ? { interval: 0, value: 0 } : readItimerval(pid, value);
  const previous = armRealTimer(ctx, requested.value, requested.interval);
  if (old !== 0) writeItimerval(pid, old, previous);
  return done(0);
}

function getitimer(ctx: SyscallContext): Outcome {
  const [which, current] = ctx.args as [number, number];
  if (asInt(which) !== ITIMER_REAL) return NATIVE;
  const timer = ctx.process.realTimer;
  const now = ctx.services.scheduler.now;
  writeItimerval(ctx.process.pid, current, timer === undefined ? { interval: 0, value: 0 } : { interval: timer.interval, value: timer.deadline - now });
  return done(0);
}

function alarm(ctx: SyscallContext): Outcome {
  const previous = armRealTimer(ctx, ctx.args[0]! >>> 0, 0);
  // Linux rounds the seconds left up, and never reports 0 for a pending alarm.
  return done(previous.value > 0 ? Math.max(1, Math.round(previous.value)) : 0);
}

function readClock(ctx: SyscallContext, clockid: number): Timespec | undefined {
  const tracees = ctx.services.tracees;
  return ctx.services.time.read(clockid, ctx.thread, (pid) => tracees.processes.get(pid), (tid) => tracees.threads.get(tid));
}

function clockGettime(ctx: SyscallContext): Outcome {
  const [clockid, timespec] = ctx.args as [number, number];
  const value = readClock(ctx, asInt(clockid));
  if (value === undefined) return NATIVE;
  writeTimespec(ctx.process.pid, timespec, value);
  return done(0);
}

function clockGetres(ctx: SyscallContext): Outcome {
  const [clockid, timespec] = ctx.args as [number, number];
  if (readClock(ctx, asInt(clockid)) === undefined) return NATIVE;
  if (timespec !== 0) writeTimespec(ctx.process.pid, timespec, ctx.services.time.resolution(asInt(clockid)));
  return done(0);
}

function gettimeofday(ctx: SyscallContext): Outcome {
  const [timeval, timezone] = ctx.args as [number, number];
  const now = ctx.services.time.realtime();
  if (timeval !== 0) {
    const data = Buffer.alloc(16);
    writeInt64LE(data, now.seconds, 0);
    writeInt64LE(data, Math.floor(now.nanoseconds / 1000), 8);
    memory.write(ctx.process.pid, timeval, data);
  }
  // The kernel keeps no time zone of its own: UTC, no daylight saving.
  if (timezone !== 0) memory.write(ctx.process.pid, timezone, Buffer.alloc(8));
  return done(0);
}

function time(ctx: SyscallContext): Outcome {
  const seconds = ctx.services.time.realtime().seconds;
  if (ctx.args[0] !== 0) {
    const data = Buffer.alloc(8);
    writeInt64LE(data, seconds, 0);
    memory.write(ctx.process.pid, ctx.args[0]!, data);
  }
  return done(seconds);
}

/** Virtual time belongs to SimGrid: nobody sets it. */
const refuseSetting = (): Outcome => fail(Errno.EPERM);

export const timeSyscalls: FamilyTable = {
  clock_gettime: { level: 'emulated', handler: clockGettime, note: 'every clock reads the virtual clock (CPU clocks: the charged CPU time)' },
  clock_getres: { level: 'emulated', handler: clockGetres, note: 'resolution of the virtual clocks' },
  gettimeofday: { level: 'emulated', handler: gettimeofday, note: 'the virtual clock, from the epoch (--epoch)' },
  time: { level: 'emulated', handler: time, note: 'the virtual clock, from the epoch (--epoch)' },
  clock_settime: { level: 'emulated', handler: refuseSetting, note: 'fails with EPERM: SimGrid owns time' },
  settimeofday: { level: 'emulated', handler: refuseSetting, note: 'fails with EPERM: SimGrid owns time' },
  adjtimex: { level: 'emulated', handler: refuseSetting, note: 'fails with EPERM: SimGrid owns time' },
  clock_adjtime: { level: 'emulated', handler: refuseSetting, note: 'fails with EPERM: SimGrid owns time' },
  setitimer: { level: 'emulated', handler: setitimer, note: 'ITIMER_REAL runs on the virtual clock; the CPU-time timers are native' },
  getitimer: { level: 'emulated', handler: getitimer, note: 'ITIMER_REAL runs on the virtual clock; the CPU-time timers are native' },
  alarm: { level: 'emulated', handler: alarm, note: 'SIGALRM is sent at its virtual date' },
  nanosleep: { level: 'emulated', handler: nanosleep, note: 'waits in virtual time' },
  clock_nanosleep: { level: 'emulated', handler: clockNanosleep, note: 'waits in virtual time, relative or TIMER_ABSTIME' },
};
