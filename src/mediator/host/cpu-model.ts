import { ptrace } from '../native.js';
import type { Thread } from '../tracees/tracees.js';

/**
 * Measures the work a thread did between two of its stops, in flops, so it
 * can run as a SimGrid exec on the thread's host:
 * - instructions: retired user instructions from a per-thread hardware
 *   counter, times flopsPerInstruction (exact and reproducible);
 * - cputime: the thread's CPU time times the reference speed of this machine
 *   (for machines without counters; varies from run to run), minus what
 *   the ptrace stops themselves cost the thread (see stop-overhead.ts);
 * - none: computing is free.
 */
export type CpuModelName = 'instructions' | 'cputime' | 'none';

export interface CpuModelOptions {
  model: CpuModelName;
  /** Flops one retired instruction counts for. */
  flopsPerInstruction: number;
  /** Flops per CPU second of this machine (`simterpose calibrate`). */
  referenceSpeed: number;
  /** Work below this many flops is carried over to the next stop instead of becoming an exec. */
  threshold: number;
}

/** Whether this machine has a per-thread hardware instruction counter (the instructions model needs one). */
export function instructionCounterAvailable(): boolean {
  return ptrace.instructionCounterAvailable();
}

/** The model used when the user does not choose: instructions where the counter exists. */
export function defaultCpuModel(): CpuModelName {
  return instructionCounterAvailable() ? 'instructions' : 'cputime';
}

interface Meter {
  /** Counter descriptor (instructions) or -1. */
  counter: number;
  /** Last reading: instructions, or CPU nanoseconds. */
  last: number;
  /** Measured work not charged yet, in flops. */
  carried: number;
  /** CPU time (ns) the stops since the last reading cost the thread (cputime model). */
  overheadNs: number;
  /** Wall time (ms) the thread spent resumed since the last reading: more CPU time than that, it cannot have used (cputime model). */
  resumedMs: number;
  /** When it was last resumed (performance.now), or -1 while it is stopped. */
  resumedAt: number;
  /** How many times its work was measured: each may change what `freeRunNs` says. */
  readings: number;
}

/**
 * The CPU time a thread spent on its own work, out of `cpuNs` measured over
 * stops that together cost it `overheadNs` (never negative: a stop can cost
 * less than the calibrated median).
 */
export function ownCpuTimeNs(cpuNs: number, overheadNs: number): number {
  return Math.max(0, cpuNs - overheadNs);
}

export class CpuModel {
  private readonly meters = new Map<Thread, Meter>();

  /**
   * `stopOverheadNs`: the CPU time one ptrace stop costs a tracee
   * (cputime model), not charged as its work; `notificationOverheadNs`,
   * the same for a seccomp user notification.
   */
  constructor(
    readonly options: CpuModelOptions,
    readonly stopOverheadNs = 0,
    readonly notificationOverheadNs = stopOverheadNs,
  ) {}

  /** Starts measuring a new thread, stopped, from now on. */
  attach(thread: Thread): void {
    if (this.options.model === 'none') return;
    const counter = this.options.model === 'instructions' ? ptrace.openInstructionCounter(thread.tid) : -1;
    const last = counter >= 0 ? ptrace.readCounter(counter) : ptrace.threadCpuTimeNs(thread.tid);
    this.meters.set(thread, { counter, last, carried: 0, overheadNs: 0, resumedMs: 0, resumedAt: -1, readings: 0 });
  }

  /**
   * The thread leaves its stop: until its next one, it may use the CPU.
   * Only the cputime model bounds work by the wall time a thread spent
   * resumed: under instructions, the counter is exact and the two clock
   * reads of each stop are saved.
   */
  resumed(thread: Thread): void {
    const meter = this.meters.get(thread);
    if (meter !== undefined && meter.counter < 0) meter.resumedAt = performance.now();
  }

  /** The thread stopped again (or, `notified`, made a notified call): one more stop whose cost is not its work (cputime model). */
  stopped(thread: Thread, notified = false): void {
    const meter = this.meters.get(thread);
    if (meter === undefined || meter.counter >= 0) return;
    meter.overheadNs += notified ? this.notificationOverheadNs : this.stopOverheadNs;
    if (meter.resumedAt >= 0) meter.resumedMs += performance.now() - meter.resumedAt;
    meter.resumedAt = -1;
  }

  detach(thread: Thread): void {
    const meter = this.meters.get(thread);
    if (meter === undefined) return;
    if (meter.counter >= 0) ptrace.closeCounter(meter.counter);
    else ptrace.forgetThread(thread.tid);
    this.meters.delete(thread);
  }

  /**
   * The work done since the previous call, in flops, once it reaches the
   * threshold (smaller amounts are carried over); 0 otherwise.
   */
  takeWork(thread: Thread): number {
    const meter = this.meters.get(thread);
    if (meter === undefined) return 0;
    const { flopsPerInstruction, referenceSpeed, threshold } = this.options;
    let work: number;
    if (meter.counter >= 0) {
      const reading = ptrace.readCounter(meter.counter);
      work = (reading - meter.last) * flopsPerInstruction;
      meter.last = reading;
    } else {
      // A thread cannot have used more CPU time than the wall time it spent
      // resumed since the last reading, and its stops took their overhead
      // out of that: while this bound keeps it under the threshold, reading
      // its CPU time (a syscall) could not change the decision, so skip it.
      // The reading is cumulative and the stops' cost is summed, so nothing is
      // lost by reading later.
      const boundNs = ownCpuTimeNs(meter.resumedMs * 1e6, meter.overheadNs);
      if (meter.carried + (boundNs / 1e9) * referenceSpeed < threshold) return 0;
      let reading: number;
      try {
        reading = ptrace.threadCpuTimeNs(thread.tid);
      } catch {
        return 0; // the thread is already gone
      }
      work = (ownCpuTimeNs(reading - meter.last, meter.overheadNs) / 1e9) * referenceSpeed;
      meter.last = reading;
      meter.overheadNs = 0;
      meter.resumedMs = 0;
    }
    meter.readings++;
    meter.carried += Math.max(0, work);
    if (meter.carried < threshold) return 0;
    const flops = meter.carried;
    meter.carried = 0;
    return flops;
  }
  /**
   * The wall time (ns) the stopped `thread` may run from now on before the
   * work it may have done since its work was last measured, bounded by its
   * wall time as in takeWork, reaches the threshold. Work carried over is
   * left out: counting it would leave ever shorter runs between stops that
   * each carry a little more. Infinity when computing is free; 0 under the
   * instructions model, whose counted work wall time does not bound.
   */
  freeRunNs(thread: Thread): number {
    if (this.options.model === 'none') return Number.POSITIVE_INFINITY;
    const meter = this.meters.get(thread);
    if (meter === undefined || meter.counter >= 0) return 0;
    const { referenceSpeed, threshold } = this.options;
    return Math.max(0, (threshold / referenceSpeed) * 1e9 - meter.resumedMs * 1e6 + meter.overheadNs);
  }

  /**
   * A number that changes whenever `freeRunNs` may have grown otherwise than
   * by stops: while it stays, a bound computed earlier still holds, the
   * wall time since then being counted in both.
   */
  readingsOf(thread: Thread): number {
    return this.meters.get(thread)?.readings ?? 0;
  }
}

export interface Calibration {
  /** Instructions this machine retires per CPU second on a loop of dependent adds. */
  instructionsPerSecond: number;
  /** The `--reference-speed` that charges a CPU second as many flops as the instructions model would. */
  referenceSpeed: number;
  cpuSeconds: number;
}

/**
 * Measures this machine's reference speed for the cputime model: a loop
 * whose instruction count is known exactly (no counter needed) runs for
 * `seconds` of CPU time.
 */
export function calibrate(seconds: number, flopsPerInstruction: number): Calibration {
  const { instructions, cpuSeconds } = ptrace.measureInstructionRate(seconds);
  const instructionsPerSecond = instructions / cpuSeconds;
  return { instructionsPerSecond, referenceSpeed: instructionsPerSecond * flopsPerInstruction, cpuSeconds };
}
