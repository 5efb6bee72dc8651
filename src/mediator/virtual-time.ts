import type { Scheduler } from './scheduler.js';
import type { Process, Thread } from './tracees.js';

/**
 * Every clock a tracee can read, derived from SimGrid's clock: the wall
 * clocks from a fixed epoch (so reruns print the same dates), the
 * monotonic ones from a fixed boot offset, the CPU-time clocks from the
 * work the CPU model charged.
 */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
const CLOCK_BOOTTIME = 7;
const CLOCK_REALTIME_ALARM = 8;
const CLOCK_BOOTTIME_ALARM = 9;
const CLOCK_TAI = 11;

/** 2000-01-01T00:00:00Z: the default epoch, so that reruns see the same dates. */
export const DEFAULT_EPOCH = Date.UTC(2000, 0, 1) / 1000;

/** Monotonic clocks start here, not at 0: some programs treat a zero time as "unset". */
const BOOT_UPTIME = 1000;

/** TAI is ahead of UTC by the leap seconds so far. */
const TAI_OFFSET = 37;

/** Resolution Linux reports for the coarse clocks (one tick at HZ=250). */
const COARSE_RESOLUTION = 0.004;

export class VirtualTime {
  constructor(
    private readonly scheduler: Scheduler,
    /** Seconds since 1970 that virtual time 0 corresponds to. */
    readonly epoch: number,
  ) {}

  get now(): number {
    return this.scheduler.now;
  }

  realtime(): number {
    return this.epoch + this.scheduler.now;
  }

  /**
   * What `clockid` reads for `thread`, in seconds; undefined for clocks that
   * are not virtualized (dynamic POSIX clocks on a descriptor).
   */
  read(clockid: number, thread: Thread, findProcess: (pid: number) => Process | undefined, findThread: (tid: number) => Thread | undefined): number | undefined {
    switch (clockid) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_COARSE:
      case CLOCK_REALTIME_ALARM:
        return this.realtime();
      case CLOCK_TAI:
        return this.realtime() + TAI_OFFSET;
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_MONOTONIC_COARSE:
      case CLOCK_BOOTTIME:
      case CLOCK_BOOTTIME_ALARM:
        return BOOT_UPTIME + this.scheduler.now;
      case CLOCK_PROCESS_CPUTIME_ID:
        return processCpuTime(thread.process);
      case CLOCK_THREAD_CPUTIME_ID:
        return thread.cpuTime;
      default:
        return this.cpuClock(clockid, findProcess, findThread);
    }
  }

  /** Negative clock ids name another process's or thread's CPU clock (see clock_getcpuclockid). */
  private cpuClock(clockid: number, findProcess: (pid: number) => Process | undefined, findThread: (tid: number) => Thread | undefined): number | undefined {
    if (clockid >= 0 || (clockid & 7) === 3) return undefined; // 3: a descriptor-based clock
    const id = ~clockid >> 3;
    const perThread = (clockid & 4) !== 0;
    if (perThread) return findThread(id)?.cpuTime;
    const process = findProcess(id);
    return process === undefined ? undefined : processCpuTime(process);
  }

  resolution(clockid: number): number {
    return clockid === CLOCK_REALTIME_COARSE || clockid === CLOCK_MONOTONIC_COARSE ? COARSE_RESOLUTION : 1e-9;
  }

  /** A relative timeout as a virtual deadline. */
  after(seconds: number): number {
    return this.scheduler.now + Math.max(0, seconds);
  }

  /** An absolute date on one of the tracee's clocks as a virtual deadline. */
  at(clockid: number, date: number): number {
    switch (clockid) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_ALARM:
      case CLOCK_REALTIME_COARSE:
        return Math.max(this.scheduler.now, date - this.epoch);
      case CLOCK_TAI:
        return Math.max(this.scheduler.now, date - TAI_OFFSET - this.epoch);
      default:
        return Math.max(this.scheduler.now, date - BOOT_UPTIME);
    }
  }
}

function processCpuTime(process: Process): number {
  let total = process.exitedThreadsCpuTime;
  for (const thread of process.threads.values()) total += thread.cpuTime;
  return total;
}
