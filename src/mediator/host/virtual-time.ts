import {
  CLOCK_BOOTTIME,
  CLOCK_BOOTTIME_ALARM,
  CLOCK_MONOTONIC,
  CLOCK_MONOTONIC_COARSE,
  CLOCK_MONOTONIC_RAW,
  CLOCK_PROCESS_CPUTIME_ID,
  CLOCK_REALTIME,
  CLOCK_REALTIME_ALARM,
  CLOCK_REALTIME_COARSE,
  CLOCK_TAI,
  CLOCK_THREAD_CPUTIME_ID,
  CPUCLOCK_FD,
  CPUCLOCK_PERTHREAD,
  offsetTimespec,
  toTimespec,
  type Timespec,
} from '../abi/time.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Process, Thread, TraceeTable } from '../tracees/tracees.js';

/**
 * Monotonic clocks start here, not at 0: some programs treat a zero time as
 * "unset". So a host booted BOOT_UPTIME seconds before virtual time 0, and
 * everything that tells how long it has been up agrees: CLOCK_BOOTTIME,
 * sysinfo, /proc/uptime, the start times in /proc/PID/stat and /proc/stat's
 * boot time.
 */
export const BOOT_UPTIME = 1000;

/** TAI is ahead of UTC by the leap seconds so far. */
const TAI_OFFSET = 37;

/** Resolution Linux reports for the coarse clocks (one tick at HZ=250). */
const COARSE_RESOLUTION = 0.004;

/** A host's clock that is off (a `clock:` fault): its wall clock `offset` seconds ahead, all its clocks running `drift` faster (5e-5: 50 ppm). */
export interface ClockSkew {
  offset: number;
  drift: number;
}

const TRUE_CLOCK: ClockSkew = { offset: 0, drift: 0 };

/**
 * Every clock a tracee can read, derived from SimGrid's clock: the wall
 * clocks from a fixed epoch (so reruns print the same dates), the
 * monotonic ones from a fixed boot offset, the CPU-time clocks from the
 * work the CPU model charged. A host whose clock is skewed reads its wall
 * clocks offset, and every clock drifting; its timers fire when its own
 * clock reaches them.
 */
export class VirtualTime {
  private readonly epochTimespec: Timespec;

  constructor(
    private readonly scheduler: Scheduler,
    /** Seconds since 1970 that virtual time 0 corresponds to. */
    readonly epoch: number,
    /** Whose CPU clocks a clock id may name. */
    private readonly tracees: TraceeTable,
    /** The hosts whose clocks are skewed. */
    private readonly skews: ReadonlyMap<string, ClockSkew> = new Map(),
  ) {
    this.epochTimespec = toTimespec(epoch);
  }

  get now(): number {
    return this.scheduler.now;
  }

  /** Seconds since the host booted (CLOCK_BOOTTIME) at virtual date `date` (default: now). */
  sinceBoot(date = this.scheduler.now): number {
    return BOOT_UPTIME + date;
  }

  /** `host`'s wall clock: the epoch plus virtual now, as its clock shows it. */
  realtime(host: string): Timespec {
    return offsetTimespec(this.epochTimespec, this.wallSeconds(host));
  }

  /** Seconds `host`'s wall clock shows past the epoch. */
  private wallSeconds(host: string): number {
    const skew = this.skews.get(host) ?? TRUE_CLOCK;
    return skew.offset + this.scheduler.now * (1 + skew.drift);
  }

  /** Seconds `host`'s monotonic clock has run since virtual time 0. */
  private runSeconds(host: string): number {
    return this.scheduler.now * (1 + (this.skews.get(host)?.drift ?? 0));
  }

  /**
   * What `clockid` reads for `thread`; undefined for clocks that are not
   * virtualized (dynamic POSIX clocks on a descriptor).
   */
  read(clockid: number, thread: Thread): Timespec | undefined {
    switch (clockid) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_COARSE:
      case CLOCK_REALTIME_ALARM:
        return this.realtime(thread.process.host);
      case CLOCK_TAI:
        return offsetTimespec(
          { seconds: this.epochTimespec.seconds + TAI_OFFSET, nanoseconds: this.epochTimespec.nanoseconds },
          this.wallSeconds(thread.process.host),
        );
      case CLOCK_MONOTONIC:
      case CLOCK_MONOTONIC_RAW:
      case CLOCK_MONOTONIC_COARSE:
      case CLOCK_BOOTTIME:
      case CLOCK_BOOTTIME_ALARM:
        return offsetTimespec({ seconds: BOOT_UPTIME, nanoseconds: 0 }, this.runSeconds(thread.process.host));
      case CLOCK_PROCESS_CPUTIME_ID:
        return toTimespec(processCpuTime(thread.process));
      case CLOCK_THREAD_CPUTIME_ID:
        return toTimespec(thread.cpuTime);
      default: {
        const cpuTime = this.cpuClock(clockid);
        return cpuTime === undefined ? undefined : toTimespec(cpuTime);
      }
    }
  }

  /** Negative clock ids name another process's or thread's CPU clock (see clock_getcpuclockid). */
  private cpuClock(clockid: number): number | undefined {
    if (clockid >= 0 || (clockid & 7) === CPUCLOCK_FD) return undefined;
    const id = ~clockid >> 3;
    const perThread = (clockid & CPUCLOCK_PERTHREAD) !== 0;
    if (perThread) return this.tracees.threads.get(id)?.cpuTime;
    const process = this.tracees.processes.get(id);
    return process === undefined ? undefined : processCpuTime(process);
  }

  resolution(clockid: number): Timespec {
    return toTimespec(clockid === CLOCK_REALTIME_COARSE || clockid === CLOCK_MONOTONIC_COARSE ? COARSE_RESOLUTION : 1e-9);
  }

  /** A relative timeout on `host`'s clocks as a virtual deadline: a clock that runs fast reaches it sooner. */
  after(seconds: number, host: string): number {
    return this.scheduler.now + this.span(Math.max(0, seconds), host);
  }

  /** How long `seconds` on `host`'s clocks last in virtual time (an interval timer's period). */
  span(seconds: number, host: string): number {
    return seconds / (1 + (this.skews.get(host)?.drift ?? 0));
  }

  /** How long `seconds` of virtual time last on `host`'s clocks (the time left to a timer, as it is read there). */
  onClock(seconds: number, host: string): number {
    return seconds * (1 + (this.skews.get(host)?.drift ?? 0));
  }

  /**
   * An absolute date on one of `host`'s clocks as a virtual deadline. A
   * Timespec date keeps its nanoseconds; a number near 1e9 seconds cannot.
   */
  at(clockid: number, date: number | Timespec, host: string): number {
    const { seconds, nanoseconds } = typeof date === 'number' ? { seconds: date, nanoseconds: 0 } : date;
    const skew = this.skews.get(host) ?? TRUE_CLOCK;
    let origin: Timespec;
    let offset = skew.offset;
    switch (clockid) {
      case CLOCK_REALTIME:
      case CLOCK_REALTIME_ALARM:
      case CLOCK_REALTIME_COARSE:
        origin = this.epochTimespec;
        break;
      case CLOCK_TAI:
        origin = { seconds: this.epochTimespec.seconds + TAI_OFFSET, nanoseconds: this.epochTimespec.nanoseconds };
        break;
      default:
        origin = { seconds: BOOT_UPTIME, nanoseconds: 0 };
        offset = 0;
    }
    const onClock = seconds - origin.seconds + (nanoseconds - origin.nanoseconds) / 1e9;
    return Math.max(this.scheduler.now, (onClock - offset) / (1 + skew.drift));
  }
}

function processCpuTime(process: Process): number {
  let total = process.exitedThreadsCpuTime;
  for (const thread of process.threads.values()) total += thread.cpuTime;
  return total;
}
