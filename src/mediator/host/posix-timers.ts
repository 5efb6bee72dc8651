import { SI_TIMER, siginfo, timerSiginfo } from '../abi/signal.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Signals } from '../tracees/signals.js';
import type { Process, Thread } from '../tracees/tracees.js';

/**
 * POSIX per-process timers (timer_create) on the virtual clock. As in
 * Linux: ids are handed out 0, 1, 2... per process and never reused; an
 * expiry queues the timer's one signal (si_code SI_TIMER, si_timerid,
 * si_value); an interval timer is re-armed only when that signal is
 * delivered, the expiries missed meanwhile becoming its si_overrun (and
 * timer_getoverrun's answer); a signal queued by a setting that was since
 * replaced, or by a deleted timer, is dropped at delivery.
 */

/** Where an expiry goes: a signal to the process, or to one of its threads (SIGEV_THREAD_ID). */
export interface TimerSignal {
  signal: number;
  value: bigint;
  thread: Thread | undefined;
}

export interface PosixTimer {
  readonly id: number;
  readonly clockid: number;
  /** undefined for SIGEV_NONE: nothing is told, timer_gettime alone counts down. */
  notify: TimerSignal | undefined;
  /** Virtual date of the next expiry (the last one while its signal waits for delivery); undefined while disarmed. */
  deadline: number | undefined;
  /** The period as set, on its host's clocks (timer_gettime reports it). */
  interval: number;
  /** The period in virtual time: a skewed host's clock runs it faster or slower. */
  step: number;
  /** The setting in force; a new one replaces it, so that an expiry or a signal of the old one is void. */
  arming: object;
  /** The setting whose signal is queued and not delivered yet, if any. */
  queuedBy: object | undefined;
  /** Expiries the last delivered signal stood for, beyond the first. */
  lastOverrun: number;
}

/** What the timers of a process need from the mediator. */
export interface TimerServices {
  readonly scheduler: Scheduler;
  readonly signals: Signals;
}

/** The POSIX timers of one process. */
export class PosixTimers {
  private readonly timers = new Map<number, PosixTimer>();
  private nextId = 0;

  /** A new timer, disarmed, that tells nothing until its `notify` is set. */
  create(clockid: number): PosixTimer {
    const timer: PosixTimer = {
      id: this.nextId++,
      clockid,
      notify: undefined,
      deadline: undefined,
      interval: 0,
      step: 0,
      arming: {},
      queuedBy: undefined,
      lastOverrun: 0,
    };
    this.timers.set(timer.id, timer);
    return timer;
  }

  get(id: number): PosixTimer | undefined {
    return this.timers.get(id);
  }

  delete(id: number): boolean {
    const timer = this.timers.get(id);
    if (timer === undefined) return false;
    timer.arming = {};
    this.timers.delete(id);
    return true;
  }

  /** The first timer whose signal `signal` is queued and not delivered yet. */
  queuedWith(signal: number): PosixTimer | undefined {
    return [...this.timers.values()].find((timer) => timer.queuedBy !== undefined && timer.notify?.signal === signal);
  }

  /** exec: the new program starts with no timers (ids go on from where they were, as in Linux). */
  clear(): void {
    for (const id of [...this.timers.keys()]) this.delete(id);
  }
}

/** The virtual time left to the next expiry (0: disarmed or expired for good). */
export function timeLeft(timer: PosixTimer, now: number): number {
  const { deadline, step } = timer;
  if (deadline === undefined) return 0;
  if (now < deadline) return deadline - now;
  if (step === 0) return 0;
  return deadline + (Math.floor((now - deadline) / step) + 1) * step - now;
}

/** Arms `timer` for `deadline` (undefined: disarms it), then every `interval` seconds of its host's clocks, `step` of virtual time. */
export function armTimer(
  process: Process,
  timer: PosixTimer,
  deadline: number | undefined,
  { interval, step }: { interval: number; step: number },
  services: TimerServices,
): void {
  timer.arming = {};
  timer.deadline = deadline;
  timer.interval = interval;
  timer.step = step;
  if (deadline !== undefined && timer.notify !== undefined) scheduleExpiry(process, timer, services);
}

function scheduleExpiry(process: Process, timer: PosixTimer, services: TimerServices): void {
  const arming = timer.arming;
  services.scheduler.at(
    timer.deadline!,
    () => timer.arming === arming && process.alive,
    () => expire(process, timer, services),
  );
}

function expire(process: Process, timer: PosixTimer, services: TimerServices): void {
  const { signal, value, thread } = timer.notify!;
  if (process.signalActions.ignores(signal)) {
    // The kernel would drop the signal: the timer goes on as if it had been delivered at once.
    if (timer.step > 0) {
      timer.deadline! += timer.step;
      scheduleExpiry(process, timer, services);
    }
    return;
  }
  timer.queuedBy = timer.arming;
  const target = thread !== undefined && process.threads.has(thread.tid) ? thread : undefined;
  services.signals.queue(process, target, signal, timerSiginfo.make(signal, timer.id, 0, value));
}

/**
 * At the delivery of a timer's signal (siginfo `info`, rewritten in place
 * with its overrun count): whether it is delivered at all. An interval
 * timer is re-armed from here.
 */
export function timerSignalDelivered(process: Process, info: Buffer, services: TimerServices): boolean {
  const timer = process.posixTimers.get(timerSiginfo.timerid(info));
  // A deleted timer's id is never given again: its signal is void.
  if (timer === undefined || timer.queuedBy === undefined) return false;
  const current = timer.queuedBy === timer.arming;
  timer.queuedBy = undefined;
  if (!current) return false;
  let overrun = 0;
  const now = services.scheduler.now;
  if (timer.step > 0 && timer.deadline !== undefined) {
    // Exact multiples count as missed: the next expiry is strictly after now.
    overrun = Math.floor((now - timer.deadline) / timer.step + 1e-9);
    timer.deadline += (overrun + 1) * timer.step;
    scheduleExpiry(process, timer, services);
  } else {
    timer.deadline = undefined;
  }
  timer.lastOverrun = overrun;
  timerSiginfo.setOverrun(info, overrun);
  return true;
}

/**
 * A timer's signal taken by sigtimedwait, which the kernel dequeues without
 * a delivery stop: accounted as a delivery. `info` is the siginfo the call
 * wrote (rewritten in place), or undefined when it was given none: then the
 * timer is the one whose `signal` is queued.
 */
export function timerSignalTaken(process: Process, signal: number, info: Buffer | undefined, services: TimerServices): void {
  if (info !== undefined) {
    if (siginfo.code(info) === SI_TIMER) timerSignalDelivered(process, info, services);
    return;
  }
  const timer = process.posixTimers.queuedWith(signal);
  if (timer !== undefined) timerSignalDelivered(process, timerSiginfo.make(signal, timer.id, 0, timer.notify!.value), services);
}
