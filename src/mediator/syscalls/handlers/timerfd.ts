import { Errno } from '../../abi/errno.js';
import { TFD_TIMER_ABSTIME, readItimerspec, timespecSeconds, validTimespec, writeItimerspec } from '../../abi/time.js';
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
  const [fdArg, flags, newValue, oldValue] = ctx.args as [number, number, number, number];
  const fd = asInt(fdArg);
  const found = timerAt(ctx, fd);
  if (found === undefined) return NATIVE; // not a timerfd we know: let the kernel answer (EBADF, EINVAL)
  const { timer, tag } = found;
  const requested = readItimerspec(ctx.memory, newValue);
  if (!validTimespec(requested.interval) || !validTimespec(requested.value)) return fail(Errno.EINVAL);
  if (oldValue !== 0) writeItimerspec(ctx.memory, oldValue, setting(ctx, timer));
  const { time, kernelFds } = services;
  const arming = {};
  timer.arming = arming;
  timer.interval = timespecSeconds(requested.interval);
  timer.ticks = 0;
  kernelFds.setTimerTicks(process, fd, 0, tag);
  const { value } = requested;
  if (value.seconds === 0 && value.nanoseconds === 0) {
    timer.deadline = undefined;
    return done(0);
  }
  timer.deadline =
    (asInt(flags) & TFD_TIMER_ABSTIME) !== 0 ? time.at(timer.clockid, value, ctx.process.host) : time.after(timespecSeconds(value), ctx.process.host);
  const expire = (): void => {
    if (!process.alive || timer.deadline === undefined) return;
    if (kernelFds.timerfdTag(process, fd) !== tag) {
      // The descriptor was closed (or now names another file): the timer is gone with it.
      timer.deadline = undefined;
      return;
    }
    const readable = kernelFds.inspect(process, fd)?.readable ?? false;
    timer.ticks = readable ? timer.ticks + 1 : 1;
    kernelFds.setTimerTicks(process, fd, timer.ticks, tag);
    if (timer.interval > 0) {
      timer.deadline += time.span(timer.interval, process.host);
      services.scheduler.at(timer.deadline, () => timer.arming === arming, expire);
    } else {
      timer.deadline = undefined;
    }
  };
  services.scheduler.at(timer.deadline, () => timer.arming === arming, expire);
  return done(0);
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
