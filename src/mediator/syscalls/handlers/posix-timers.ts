import { Errno } from '../../abi/errno.js';
import { MAX_SIGNAL, SIGALRM, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD, SIGEV_THREAD_ID, readSigevent, type Sigevent } from '../../abi/signal.js';
import {
  CLOCK_BOOTTIME,
  CLOCK_BOOTTIME_ALARM,
  CLOCK_MONOTONIC,
  CLOCK_REALTIME,
  CLOCK_REALTIME_ALARM,
  CLOCK_TAI,
  TIMER_ABSTIME,
  readItimerspec,
  timespecSeconds,
  validTimespec,
  writeItimerspec,
} from '../../abi/time.js';
import { asInt, writeI32 } from '../../abi/tracee-memory.js';
import { armTimer, timeLeft, type PosixTimer, type TimerSignal } from '../../host/posix-timers.js';
import type { Thread } from '../../tracees/tracees.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { done, fail, type Outcome } from '../outcome.js';

/** The clocks a timer can be created on: all of them read the virtual clock. */
const TIMER_CLOCKS: ReadonlySet<number> = new Set([CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM, CLOCK_BOOTTIME_ALARM]);

function timerAt(ctx: SyscallContext, id: number): PosixTimer | undefined {
  return ctx.process.posixTimers.get(asInt(id));
}

/**
 * How a sigevent asks to be told, or an errno as Linux's good_sigevent
 * refuses it (without one: SIGALRM, whose value is the timer's id).
 */
function notification(ctx: SyscallContext, event: Sigevent | undefined, id: number): TimerSignal | undefined | number {
  if (event === undefined) return { signal: SIGALRM, value: BigInt(id), thread: undefined };
  if (event.notify === SIGEV_NONE) return undefined;
  let thread: Thread | undefined;
  if (event.notify === SIGEV_THREAD_ID) {
    thread = [...ctx.process.threads.values()].find((candidate) => candidate.vtid === event.threadId);
    if (thread === undefined) return Errno.EINVAL;
  } else if (event.notify !== SIGEV_SIGNAL && event.notify !== SIGEV_THREAD) {
    return Errno.EINVAL;
  }
  if (event.signo <= 0 || event.signo > MAX_SIGNAL) return Errno.EINVAL;
  return { signal: event.signo, value: event.value, thread };
}

/**
 * In Linux's order: the sigevent is read, the clock checked, an id taken,
 * then the sigevent judged: a refused one has used up its id.
 */
function timerCreate(ctx: SyscallContext): Outcome {
  const [clockidArg, sigevent, idAddress] = ctx.args as [number, number, number];
  const event = sigevent === 0 ? undefined : readSigevent(ctx.memory, sigevent);
  if (!TIMER_CLOCKS.has(asInt(clockidArg))) return fail(Errno.EINVAL);
  const timers = ctx.process.posixTimers;
  const timer = timers.create(asInt(clockidArg));
  const notify = notification(ctx, event, timer.id);
  if (typeof notify === 'number') {
    timers.delete(timer.id);
    return fail(notify);
  }
  timer.notify = notify;
  try {
    writeI32(ctx.memory, idAddress, timer.id);
  } catch (error) {
    timers.delete(timer.id);
    throw error;
  }
  return done(0);
}

function setting(ctx: SyscallContext, timer: PosixTimer): { interval: number; value: number } {
  const { scheduler, time } = ctx.services;
  return { interval: timer.interval, value: time.onClock(timeLeft(timer, scheduler.now), ctx.process.host) };
}

function timerSettime(ctx: SyscallContext): Outcome {
  const [id, flags, newValue, oldValue] = ctx.args as [number, number, number, number];
  const timer = timerAt(ctx, id);
  if (timer === undefined || newValue === 0) return fail(Errno.EINVAL);
  const requested = readItimerspec(ctx.memory, newValue);
  if (!validTimespec(requested.interval) || !validTimespec(requested.value)) return fail(Errno.EINVAL);
  if (oldValue !== 0) writeItimerspec(ctx.memory, oldValue, setting(ctx, timer));
  const { value } = requested;
  const { time } = ctx.services;
  const disarmed = value.seconds === 0 && value.nanoseconds === 0;
  const deadline = disarmed
    ? undefined
    : (asInt(flags) & TIMER_ABSTIME) !== 0
      ? time.at(timer.clockid, value, ctx.process.host)
      : time.after(timespecSeconds(value), ctx.process.host);
  const interval = timespecSeconds(requested.interval);
  armTimer(ctx.process, timer, deadline, { interval, step: time.span(interval, ctx.process.host) }, ctx.services);
  return done(0);
}

function timerGettime(ctx: SyscallContext): Outcome {
  const [id, current] = ctx.args as [number, number];
  const timer = timerAt(ctx, id);
  if (timer === undefined) return fail(Errno.EINVAL);
  writeItimerspec(ctx.memory, current, setting(ctx, timer));
  return done(0);
}

function timerGetoverrun(ctx: SyscallContext): Outcome {
  const timer = timerAt(ctx, ctx.args[0]!);
  return timer === undefined ? fail(Errno.EINVAL) : done(timer.lastOverrun);
}

function timerDelete(ctx: SyscallContext): Outcome {
  return ctx.process.posixTimers.delete(asInt(ctx.args[0]!)) ? done(0) : fail(Errno.EINVAL);
}

const NOTE = 'on the virtual clock, with virtual ids; expiries queue SI_TIMER signals, overruns counted at delivery';

export const posixTimerSyscalls: FamilyTable = {
  timer_create: {
    level: 'emulated',
    handler: timerCreate,
    note: `${NOTE}; the wall and monotonic clocks only (CPU-time clocks fail with EINVAL)`,
  },
  timer_settime: { level: 'emulated', handler: timerSettime, note: `${NOTE}; relative or TIMER_ABSTIME` },
  timer_gettime: { level: 'emulated', handler: timerGettime, note: 'time left on the virtual clock' },
  timer_getoverrun: { level: 'emulated', handler: timerGetoverrun, note: 'expiries missed before the last signal delivered' },
  timer_delete: { level: 'emulated', handler: timerDelete, note: NOTE },
};
