import { ptrace } from '../native.js';
import { syscallNumber } from '../syscalls/table.js';
import { cachedStopCost } from './stop-cost-cache.js';

/**
 * What one ptrace stop costs a tracee in CPU time on this machine. The
 * cputime model reads a thread's CPU time from schedstat, which counts
 * kernel time too: each stop makes the tracee run the seccomp filter, stop,
 * switch out and back in, several µs that the program itself never asked
 * for. Measured under the run's own filter and CPU pinning,
 * on a tracee whose only work is a trapped syscall, emulated at each stop
 * as the mediator emulates one (result written, call skipped).
 *
 * The tracer of the measurement does nothing else between two stops; the
 * mediator does, and evicts more of the tracee's caches: in a run a stop
 * costs a tracee 1-2 µs more than measured here (README, Limitations).
 */
export interface StopOverheadSetup {
  trapSyscalls: number[];
  trapAll: boolean;
  cpu: number | undefined;
  /** Measure a seccomp user notification (answered, no ptrace stop) instead. */
  notified?: boolean;
}

/** 2000 stops: 25-45 ms on a 2-vCPU VM with tracer and tracee on one CPU. */
const BATCHES = 20;
const STOPS_PER_BATCH = 100;
/** The mediator's most frequent emulated call, and one it answers in a single stop. */
const MEASURED_SYSCALL = syscallNumber('clock_gettime')!;

/** Measured once per setup and boot of the machine (stop-cost-cache.ts), and looked up once per process: a test suite running many experiments pays it once. */
const measured = new Map<string, number>();

export function measureStopOverheadNs(setup: StopOverheadSetup): number {
  const key = JSON.stringify([setup.trapAll, setup.cpu ?? null, setup.trapSyscalls, setup.notified ?? false]);
  let overhead = measured.get(key);
  if (overhead === undefined) {
    overhead = cachedStopCost(key, () => {
      const batches = ptrace.measureStopCost({ ...setup, syscall: MEASURED_SYSCALL, batches: BATCHES, stopsPerBatch: STOPS_PER_BATCH });
      return median(batches) / STOPS_PER_BATCH;
    });
    measured.set(key, overhead);
  }
  return overhead;
}

/**
 * Interrupts, other work on the machine and the hypervisor only ever make
 * a batch slower: the median leaves those batches out, where the mean
 * would charge their time to every stop.
 */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
