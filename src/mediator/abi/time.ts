import { writeInt64LE, type TraceeMemory } from './tracee-memory.js';

/** Clock ids (linux/time.h). */
export const CLOCK_REALTIME = 0;
export const CLOCK_MONOTONIC = 1;
export const CLOCK_PROCESS_CPUTIME_ID = 2;
export const CLOCK_THREAD_CPUTIME_ID = 3;
export const CLOCK_MONOTONIC_RAW = 4;
export const CLOCK_REALTIME_COARSE = 5;
export const CLOCK_MONOTONIC_COARSE = 6;
export const CLOCK_BOOTTIME = 7;
export const CLOCK_REALTIME_ALARM = 8;
export const CLOCK_BOOTTIME_ALARM = 9;
export const CLOCK_TAI = 11;
/** A dynamic clock on a descriptor, in the low bits of a negative clock id (clock_getcpuclockid's encoding). */
export const CPUCLOCK_FD = 3;
export const CPUCLOCK_PERTHREAD = 4;

export const TIMER_ABSTIME = 1;
export const TFD_TIMER_ABSTIME = 1;
/** The flags timerfd_settime takes: TFD_TIMER_ABSTIME and TFD_TIMER_CANCEL_ON_SET. */
export const TFD_SETTIME_FLAGS = TFD_TIMER_ABSTIME | 2;
export const ITIMER_REAL = 0;

/** A clock reading as the kernel hands it out: whole seconds and nanoseconds (0 ≤ nanoseconds < 1e9 when it comes from us). */
export interface Timespec {
  seconds: number;
  nanoseconds: number;
}

/** An interval timer's setting, in seconds: `value` until the next expiry, then every `interval`. */
export interface TimerSetting {
  interval: number;
  value: number;
}

/** struct timespec { time_t tv_sec; long tv_nsec; } */
const TIMESPEC_SIZE = 16;
/** struct timeval { time_t tv_sec; suseconds_t tv_usec; } */
const TIMEVAL_SIZE = 16;

/** Seconds as a Timespec, rounded to the nanosecond (never 1e9 ns: that carries into the seconds). */
export function toTimespec(seconds: number): Timespec {
  return offsetTimespec({ seconds: 0, nanoseconds: 0 }, seconds);
}

/**
 * `base` plus `seconds`. The wall clocks are read this way, not as one
 * number: a double near 1e9 seconds (a date) only resolves about 120 ns, and
 * elapsed times would lose their last digits.
 */
export function offsetTimespec(base: Timespec, seconds: number): Timespec {
  const whole = Math.floor(seconds);
  let nanoseconds = base.nanoseconds + Math.round((seconds - whole) * 1e9);
  let total = base.seconds + whole;
  if (nanoseconds >= 1e9) {
    nanoseconds -= 1e9;
    total += 1;
  }
  return { seconds: total, nanoseconds };
}

export function timespecSeconds({ seconds, nanoseconds }: Timespec): number {
  return seconds + nanoseconds / 1e9;
}

/** A struct timespec as the tracee wrote it, nanoseconds apart: an absolute date near 1e9 s would lose them in one number. */
export function readTimespec(memory: TraceeMemory, address: number): Timespec {
  const data = memory.read(address, TIMESPEC_SIZE);
  return { seconds: Number(data.readBigInt64LE(0)), nanoseconds: Number(data.readBigInt64LE(8)) };
}

/** Linux refuses a timespec with a negative field or nanoseconds past 999999999 (EINVAL). */
export function validTimespec({ seconds, nanoseconds }: Timespec): boolean {
  return seconds >= 0 && nanoseconds >= 0 && nanoseconds < 1e9;
}

function encodeTimespec(data: Buffer, offset: number, { seconds, nanoseconds }: Timespec): void {
  writeInt64LE(data, seconds, offset);
  writeInt64LE(data, nanoseconds, offset + 8);
}

export function writeTimespec(memory: TraceeMemory, address: number, value: Timespec): void {
  const data = Buffer.allocUnsafe(TIMESPEC_SIZE);
  encodeTimespec(data, 0, value);
  memory.write(address, data);
}

/**
 * A struct timeval timeout, as select takes it: in seconds, microseconds
 * past a second carried into the seconds; undefined when the result is
 * negative, which Linux refuses (EINVAL).
 */
export function readTimeval(memory: TraceeMemory, address: number): number | undefined {
  const data = memory.read(address, TIMEVAL_SIZE);
  const microseconds = Number(data.readBigInt64LE(8));
  const seconds = Number(data.readBigInt64LE(0)) + Math.trunc(microseconds / 1e6);
  const rest = microseconds % 1e6;
  return seconds >= 0 && rest >= 0 ? seconds + rest / 1e6 : undefined;
}

/** The struct timeval at `offset` in `data`, as seconds; undefined when Linux refuses it (negative seconds, microseconds outside [0, 999999]: EINVAL). */
function decodeValidTimeval(data: Buffer, offset: number): number | undefined {
  const seconds = Number(data.readBigInt64LE(offset));
  const microseconds = Number(data.readBigInt64LE(offset + 8));
  return seconds >= 0 && microseconds >= 0 && microseconds < 1e6 ? seconds + microseconds / 1e6 : undefined;
}

/**
 * Seconds as a struct timeval, truncated to the microsecond as the kernel's
 * ns_to_timeval does: rounding would report 0.9999996 s as 1000000 µs.
 * Rounded to the nanosecond first, so that 3 µs read back as a double stays 3.
 */
function encodeTimeval(data: Buffer, offset: number, seconds: number): void {
  const { seconds: whole, nanoseconds } = toTimespec(seconds);
  writeInt64LE(data, whole, offset);
  writeInt64LE(data, Math.floor(nanoseconds / 1000), offset + 8);
}

/** A wall-clock reading as gettimeofday writes it: microseconds, truncated. */
export function writeTimeval(memory: TraceeMemory, address: number, { seconds, nanoseconds }: Timespec): void {
  const data = Buffer.allocUnsafe(TIMEVAL_SIZE);
  writeInt64LE(data, seconds, 0);
  writeInt64LE(data, Math.floor(nanoseconds / 1000), 8);
  memory.write(address, data);
}

/** struct timezone { int tz_minuteswest; int tz_dsttime; }: the kernel keeps UTC, no daylight saving. */
export function writeUtcTimezone(memory: TraceeMemory, address: number): void {
  memory.write(address, Buffer.alloc(8));
}

/** time_t, as time(2) stores it. */
export function writeTime(memory: TraceeMemory, address: number, seconds: number): void {
  const data = Buffer.allocUnsafe(8);
  writeInt64LE(data, seconds, 0);
  memory.write(address, data);
}

/** struct itimerval { struct timeval it_interval; struct timeval it_value; }; undefined when setitimer would fail with EINVAL. */
export function readItimerval(memory: TraceeMemory, address: number): TimerSetting | undefined {
  const data = memory.read(address, 2 * TIMEVAL_SIZE);
  const interval = decodeValidTimeval(data, 0);
  const value = decodeValidTimeval(data, TIMEVAL_SIZE);
  return interval === undefined || value === undefined ? undefined : { interval, value };
}

export function writeItimerval(memory: TraceeMemory, address: number, { interval, value }: TimerSetting): void {
  const data = Buffer.allocUnsafe(2 * TIMEVAL_SIZE);
  encodeTimeval(data, 0, interval);
  encodeTimeval(data, TIMEVAL_SIZE, value);
  memory.write(address, data);
}

/** struct itimerspec { struct timespec it_interval; struct timespec it_value; } */
export function readItimerspec(memory: TraceeMemory, address: number): { interval: Timespec; value: Timespec } {
  return { interval: readTimespec(memory, address), value: readTimespec(memory, address + TIMESPEC_SIZE) };
}

export function writeItimerspec(memory: TraceeMemory, address: number, { interval, value }: TimerSetting): void {
  const data = Buffer.allocUnsafe(2 * TIMESPEC_SIZE);
  encodeTimespec(data, 0, toTimespec(interval));
  encodeTimespec(data, TIMESPEC_SIZE, toTimespec(value));
  memory.write(address, data);
}
