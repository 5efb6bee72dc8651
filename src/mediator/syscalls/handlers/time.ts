import { Errno } from '../../abi/errno.js';
import {
  ITIMER_REAL,
  TIMER_ABSTIME,
  readItimerval,
  readTimespec,
  timespecSeconds,
  toTimespec,
  validTimespec,
  writeItimerval,
  writeTime,
  writeTimespec,
  writeTimeval,
  writeUtcTimezone,
  type TimerSetting,
} from '../../abi/time.js';
import { SIGALRM } from '../../abi/signal.js';
import { asInt, asUint } from '../../abi/tracee-memory.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';

/** Clocks read the virtual clock; sleeps wait in virtual time: an hour of sleep costs no wall time. */

/** Waits until `deadline`; interrupted, it writes the time left at `remaining` (unless NULL) and fails with EINTR. */
function sleepUntil(ctx: SyscallContext, deadline: number, remaining: number): Outcome {
  const { scheduler, time } = ctx.services;
  return blocked({
    kind: 'sleep',
    reason: `a sleep to end in ${ctx.thread.label}`,
    deadline,
    onTimeout: () => done(0),
    onSignal: 'eintr',
    onInterrupt: () => {
      // The time left as the host's clocks count it, as the sleep was asked.
      if (remaining !== 0) writeTimespec(ctx.memory, remaining, toTimespec(time.onClock(Math.max(0, deadline - scheduler.now), ctx.process.host)));
      return fail(Errno.EINTR);
    },
  });
}

function nanosleep(ctx: SyscallContext): Outcome {
  const [request, remaining] = ctx.args as [number, number];
  const duration = readTimespec(ctx.memory, request);
  if (!validTimespec(duration)) return fail(Errno.EINVAL);
  return sleepUntil(ctx, ctx.services.time.after(timespecSeconds(duration), ctx.process.host), remaining);
}

function clockNanosleep(ctx: SyscallContext): Outcome {
  const [clockid, flags, request, remaining] = ctx.args as [number, number, number, number];
  const time = readTimespec(ctx.memory, request);
  if (!validTimespec(time)) return fail(Errno.EINVAL);
  if ((asInt(flags) & TIMER_ABSTIME) !== 0) return sleepUntil(ctx, ctx.services.time.at(asInt(clockid), time, ctx.process.host), 0);
  return sleepUntil(ctx, ctx.services.time.after(timespecSeconds(time), ctx.process.host), remaining);
}

/** Arms (or with value 0 disarms) the process's ITIMER_REAL; returns the previous setting. */
function armRealTimer(ctx: SyscallContext, { value, interval }: TimerSetting): TimerSetting {
  const { process, services } = ctx;
  const { scheduler, time } = services;
  const host = process.host;
  const previous = process.realTimer;
  const old =
    previous === undefined
      ? { value: 0, interval: 0 }
      : { value: time.onClock(Math.max(0, previous.deadline - scheduler.now), host), interval: previous.interval };
  process.realTimer = undefined;
  if (value > 0) {
    // A skewed host's clock times it: a clock that runs fast expires it sooner, and every period after.
    const timer = { deadline: time.after(value, host), interval, armed: {} };
    process.realTimer = timer;
    const expire = (): void => {
      if (!process.alive) return;
      services.signals.toProcess(process, SIGALRM);
      if (timer.interval > 0) {
        timer.deadline += time.span(timer.interval, host);
        scheduler.at(timer.deadline, () => process.realTimer === timer, expire);
      } else {
        process.realTimer = undefined;
      }
    };
    scheduler.at(timer.deadline, () => process.realTimer === timer, expire);
  }
  return old;
}

function setitimer(ctx: SyscallContext): Outcome {
  const [which, value, old] = ctx.args as [number, number, number];
  if (asInt(which) !== ITIMER_REAL) return NATIVE;
  const requested = value === 0 ? { interval: 0, value: 0 } : readItimerval(ctx.memory, value);
  if (requested === undefined) return fail(Errno.EINVAL);
  const previous = armRealTimer(ctx, requested);
  if (old !== 0) writeItimerval(ctx.memory, old, previous);
  return done(0);
}

function getitimer(ctx: SyscallContext): Outcome {
  const [which, current] = ctx.args as [number, number];
  if (asInt(which) !== ITIMER_REAL) return NATIVE;
  const timer = ctx.process.realTimer;
  const { scheduler, time } = ctx.services;
  const left = timer === undefined ? undefined : time.onClock(timer.deadline - scheduler.now, ctx.process.host);
  writeItimerval(ctx.memory, current, timer === undefined ? { interval: 0, value: 0 } : { interval: timer.interval, value: left! });
  return done(0);
}

function alarm(ctx: SyscallContext): Outcome {
  const previous = armRealTimer(ctx, { value: asUint(ctx.args[0]!), interval: 0 });
  // Linux rounds the seconds left up, and never reports 0 for a pending alarm.
  return done(previous.value > 0 ? Math.max(1, Math.round(previous.value)) : 0);
}

function clockGettime(ctx: SyscallContext): Outcome {
  const [clockid, timespec] = ctx.args as [number, number];
  const value = ctx.services.time.read(asInt(clockid), ctx.thread);
  if (value === undefined) return NATIVE;
  writeTimespec(ctx.memory, timespec, value);
  return done(0);
}

function clockGetres(ctx: SyscallContext): Outcome {
  const [clockid, timespec] = ctx.args as [number, number];
  const { time } = ctx.services;
  if (time.read(asInt(clockid), ctx.thread) === undefined) return NATIVE;
  if (timespec !== 0) writeTimespec(ctx.memory, timespec, time.resolution(asInt(clockid)));
  return done(0);
}

function gettimeofday(ctx: SyscallContext): Outcome {
  const [timeval, timezone] = ctx.args as [number, number];
  if (timeval !== 0) writeTimeval(ctx.memory, timeval, ctx.services.time.realtime(ctx.process.host));
  if (timezone !== 0) writeUtcTimezone(ctx.memory, timezone);
  return done(0);
}

function time(ctx: SyscallContext): Outcome {
  const seconds = ctx.services.time.realtime(ctx.process.host).seconds;
  if (ctx.args[0] !== 0) writeTime(ctx.memory, ctx.args[0]!, seconds);
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
  nanosleep: { blocks: true, level: 'emulated', handler: nanosleep, note: 'waits in virtual time' },
  clock_nanosleep: { blocks: true, level: 'emulated', handler: clockNanosleep, note: 'waits in virtual time, relative or TIMER_ABSTIME' },
};
