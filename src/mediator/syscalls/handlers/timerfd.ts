import { Errno } from '../../abi/errno.js';
import { TFD_SETTIME_FLAGS, TFD_TIMER_ABSTIME, readItimerspec, timespecSeconds, validTimespec, writeItimerspec } from '../../abi/time.js';
import { asInt } from '../../abi/tracee-memory.js';
import type { VirtualTimerfd } from '../../host/timerfds.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, done, fail, native, type Outcome } from '../outcome.js';

/**
 * timerfds stay real kernel descriptors, so read, poll and epoll on them work
 * natively; only their expirations are virtual: the kernel timer is never
 * armed, and at each virtual expiry the mediator sets the descriptor's
 * expiration count from outside, which makes it readable.
 */

/** The timer behind `fd` and its tag, or undefined when `fd` is no timerfd of the run. */
function timerAt(ctx: SyscallContext, fd: number): { timer: VirtualTimerfd; tag: number } | undefined {
  const tag = ctx.services.kernelFds.timerfdTag(ctx.process, fd);
  const timer = tag === undefined ? undefined : ctx.services.timerfds.get(tag);
  return timer === undefined ? undefined : { timer, tag: tag! };
}

function timerfdCreate(ctx: SyscallContext): Outcome {
  const clockid = asInt(ctx.args[0]!);
  return native((fd) => {
    if (fd < 0) return;
    ctx.services.kernelFds.setTimerTicks(ctx.process, fd, 0, ctx.services.timerfds.create(clockid));
  });
}

/** What is left of the timer: its interval and the time to its next expiry (0: disarmed). */
function setting(ctx: SyscallContext, timer: VirtualTimerfd): { interval: number; value: number } {
  const { time } = ctx.services;
  return { interval: timer.interval, value: timer.deadline === undefined ? 0 : time.onClock(timer.deadline - time.now, ctx.process.host) };
}

function timerfdSettime(ctx: SyscallContext): Outcome {
  const { process, services } = ctx;
  const [fdArg, flagsArg, newValue, oldValue] = ctx.args as [number, number, number, number];
  const fd = asInt(fdArg);
  const found = timerAt(ctx, fd);
  if (found === undefined) return NATIVE; // not a timerfd we know: let the kernel answer (EFAULT, EINVAL, EBADF)
  const { timer, tag } = found;
  // do_timerfd_settime's order: the new value is read, then it and the flags are checked; the old value is written last.
  const requested = readItimerspec(ctx.memory, newValue);
  const flags = asInt(flagsArg);
  if ((flags & ~TFD_SETTIME_FLAGS) !== 0) return fail(Errno.EINVAL);
  if (!validTimespec(requested.interval) || !validTimespec(requested.value)) return fail(Errno.EINVAL);
  const previous = setting(ctx, timer);
  const { time, kernelFds } = services;
  const arming = {};
  timer.arming = arming;
  timer.interval = timespecSeconds(requested.interval);
  timer.ticks = 0;
  kernelFds.setTimerTicks(process, fd, 0, tag);
  const { value } = requested;
  if (value.seconds === 0 && value.nanoseconds === 0) {
    timer.deadline = undefined;
  } else {
    timer.deadline = (flags & TFD_TIMER_ABSTIME) !== 0 ? time.at(timer.clockid, value, ctx.process.host) : time.after(timespecSeconds(value), ctx.process.host);
    armTimerfd(ctx, fd, timer, tag, arming);
  }
  // A fault here fails the call, but the timer is set (timerfd_settime copies the old value out last).
  if (oldValue !== 0) writeItimerspec(ctx.memory, oldValue, previous);
  return done(0);
}

/** Expires `timer` at its deadline, then at each interval; at once when the deadline is past, as an hrtimer started late fires at once. */
function armTimerfd(ctx: SyscallContext, fd: number, timer: VirtualTimerfd, tag: number, arming: object): void {
  const { process, services } = ctx;
  const { kernelFds } = services;
  const expire = (): void => {
    if (!process.alive || timer.deadline === undefined) return;
    if (kernelFds.timerfdTag(process, fd) !== tag) {
      // The descriptor was closed (or now names another file): the timer is gone with it.
      timer.deadline = undefined;
      return;
    }
    // A deadline already past counts every interval it missed, at once (hrtimer_forward's overruns).
    let expirations = 1;
    if (timer.interval > 0) {
      // The period in virtual time: a drifting host's clock reaches each interval sooner or later.
      const period = services.time.span(timer.interval, process.host);
      const missed = Math.max(0, Math.floor((services.time.now - timer.deadline) / period));
      expirations += missed;
      timer.deadline += (missed + 1) * period;
    } else {
      timer.deadline = undefined;
    }
    const readable = kernelFds.inspect(process, fd)?.readable ?? false;
    timer.ticks = readable ? timer.ticks + expirations : expirations;
    kernelFds.setTimerTicks(process, fd, timer.ticks, tag);
    if (timer.deadline !== undefined) services.scheduler.at(timer.deadline, () => timer.arming === arming, expire);
  };
  if (timer.deadline! <= services.time.now) expire();
  else services.scheduler.at(timer.deadline!, () => timer.arming === arming, expire);
}

function timerfdGettime(ctx: SyscallContext): Outcome {
  const [fdArg, current] = ctx.args as [number, number];
  const found = timerAt(ctx, asInt(fdArg));
  if (found === undefined) return NATIVE;
  writeItimerspec(ctx.memory, current, setting(ctx, found.timer));
  return done(0);
}

export const timerfdSyscalls: FamilyTable = {
  timerfd_create: { level: 'mediated', handler: timerfdCreate, note: 'a real descriptor whose expirations follow virtual time' },
  timerfd_settime: { level: 'emulated', handler: timerfdSettime, note: 'armed on the virtual clock; expirations are set on the descriptor' },
  timerfd_gettime: { level: 'emulated', handler: timerfdGettime, note: 'time left on the virtual clock' },
};
