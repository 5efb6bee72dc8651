import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { inspectFd } from '../../tracees/kernel-fds.js';
import { asInt, memory } from '../../tracees/memory.js';
import { ptrace } from '../../native.js';
import { NATIVE, done, fail, native, type Outcome } from '../outcome.js';
import { readTimespec, writeTimespec } from './time.js';

/**
 * timerfds stay real kernel descriptors, so read, poll and epoll on them work
 * natively; only their expirations are virtual: the kernel timer is never
 * armed, and at each virtual expiry the mediator sets the descriptor's
 * expiration count from outside, which makes it readable.
 */
const TFD_TIMER_ABSTIME = 1;

interface VirtualTimer {
  clockid: number;
  /** Virtual date of the next expiry; undefined while disarmed. */
  deadline: number | undefined;
  interval: number;
  /** Expirations set on the descriptor and not yet read, as far as we know. */
  ticks: number;
  /** Changes at every settime, so that a replaced arming never fires. */
  arming: object;
}

/** The timerfds of an experiment, by the kernel's identity of the open file. */
export class TimerfdTable {
  private readonly timers = new Map<string, VirtualTimer>();

  create(key: string, clockid: number): void {
    this.timers.set(key, { clockid, deadline: undefined, interval: 0, ticks: 0, arming: {} });
  }

  get(key: string): VirtualTimer | undefined {
    return this.timers.get(key);
  }
}

function timerKey(pid: number, fd: number): string | undefined {
  const info = inspectFd(pid, fd);
  return info === null ? undefined : `${info.dev}:${info.ino}`;
}

function timerfdCreate(ctx: SyscallContext): Outcome {
  const clockid = asInt(ctx.args[0]!);
  return native((thread, fd) => {
    if (fd < 0) return;
    const key = timerKey(thread.process.pid, fd);
    if (key !== undefined) ctx.services.timerfds.create(key, clockid);
  });
}

function writeItimerspec(pid: number, address: number, interval: number, value: number): void {
  writeTimespec(pid, address, interval);
  writeTimespec(pid, address + 16, value);
}

function timerfdSettime(ctx: SyscallContext): Outcome {
  const { process, services } = ctx;
  const [fdArg, flags, newValue, oldValue] = ctx.args as [number, number, number, number];
  const fd = asInt(fdArg);
  const key = timerKey(process.pid, fd);
  const timer = key === undefined ? undefined : services.timerfds.get(key);
  if (timer === undefined) return NATIVE; // not a timerfd we know: let the kernel answer (EBADF, EINVAL)
  const time = services.time;
  if (oldValue !== 0) writeItimerspec(process.pid, oldValue, timer.interval, timer.deadline === undefined ? 0 : timer.deadline - time.now);
  const interval = memory.timespec(process.pid, newValue);
  const value = readTimespec(process.pid, newValue + 16);
  if (interval < 0 || value.seconds < 0 || value.nanoseconds < 0) return fail(Errno.EINVAL);
  const arming = {};
  timer.arming = arming;
  timer.interval = interval;
  timer.ticks = 0;
  ptrace.setTimerTicks(process.pid, fd, 0);
  if (value.seconds === 0 && value.nanoseconds === 0) {
    timer.deadline = undefined;
    return done(0);
  }
  timer.deadline = (asInt(flags) & TFD_TIMER_ABSTIME) !== 0 ? time.at(timer.clockid, value) : time.after(value.seconds + value.nanoseconds / 1e9);
  const expire = (): void => {
    if (!process.alive || timer.deadline === undefined) return;
    const readable = inspectFd(process.pid, fd)?.readable ?? false;
    timer.ticks = readable ? timer.ticks + 1 : 1;
    try {
      ptrace.setTimerTicks(process.pid, fd, timer.ticks);
    } catch {
      // The descriptor was closed: the timer is gone with it.
      timer.deadline = undefined;
      return;
    }
    if (timer.interval > 0) {
      timer.deadline += timer.interval;
      services.scheduler.at(timer.deadline, () => timer.arming === arming, expire);
    } else {
      timer.deadline = undefined;
    }
  };
  services.scheduler.at(timer.deadline, () => timer.arming === arming, expire);
  return done(0);
}

function timerfdGettime(ctx: SyscallContext): Outcome {
  const { process, services } = ctx;
  const [fdArg, current] = ctx.args as [number, number];
  const key = timerKey(process.pid, asInt(fdArg));
  const timer = key === undefined ? undefined : services.timerfds.get(key);
  if (timer === undefined) return NATIVE;
  writeItimerspec(process.pid, current, timer.interval, timer.deadline === undefined ? 0 : timer.deadline - services.time.now);
  return done(0);
}

export const timerfdSyscalls: FamilyTable = {
  timerfd_create: { level: 'mediated', handler: timerfdCreate, note: 'a real descriptor whose expirations follow virtual time' },
  timerfd_settime: { level: 'emulated', handler: timerfdSettime, note: 'armed on the virtual clock; expirations are set on the descriptor' },
  timerfd_gettime: { level: 'emulated', handler: timerfdGettime, note: 'time left on the virtual clock' },
};
