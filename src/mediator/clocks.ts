import type { Scheduler } from './scheduler.js';

/**
 * Converts the timeouts programs pass (relative, or absolute on one of their
 * clocks) into virtual deadlines on the scheduler's clock.
 */
const CLOCK_REALTIME = 0;

/** The date a tracee would read on `clockid` right now. */
function traceeClockNow(clockid: number): number {
  if (clockid === CLOCK_REALTIME) return Date.now() / 1000;
  return Number(process.hrtime.bigint()) / 1e9;
}

export function deadlineAfter(scheduler: Scheduler, seconds: number): number {
  return scheduler.now + Math.max(0, seconds);
}

export function deadlineAt(scheduler: Scheduler, clockid: number, date: number): number {
  return deadlineAfter(scheduler, date - traceeClockNow(clockid));
}
