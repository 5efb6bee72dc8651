import { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_TAI } from '../abi/time.js';
import { syscallNumbers } from '../abi/syscall-numbers.js';
import { readInt64LE, TraceeFault } from '../abi/tracee-memory.js';
import { VDSO_BUDGET_OFFSET, VDSO_PAGE_BYTES, writeVdsoPage } from '../abi/vdso-page.js';
import { countsAsPolling, type Computation } from '../loop/computation.js';
import type { Stop } from '../loop/tracer.js';
import { ptrace } from '../native.js';
import type { Thread } from '../tracees/tracees.js';
import type { CpuModel } from './cpu-model.js';
import type { VirtualTime } from './virtual-time.js';

/** Stops after which the page the thread ran with is gone (a new program, or no process). */
const PAGE_GONE = new Set<Stop['kind']>(['exec', 'ended', 'gone']);
const EXECS = new Set(syscallNumbers('execve', 'execveat'));
/** The calls the vDSO answers, made as syscalls when it cannot. */
const CLOCK_READS = new Set(syscallNumbers('clock_gettime', 'gettimeofday', 'time'));

/**
 * Keeps the page simterpose's vDSO (native/vdso) reads in each process
 * that has it: before a thread runs, its host's clocks at the virtual now,
 * the clock reads it may make at this date without a stop (what the
 * polling throttle leaves it, less the one read that must trap to pause),
 * and how long it may run before its reads must trap (a time-stamp counter
 * deadline).
 *
 * A read the vDSO answers gives the time of the thread's last stop: the
 * work it did since is charged at its next stop, as any computation's is.
 * Under --cpu-model none that work is free, and the answer is exactly a
 * trapped read's. Under cputime the page also holds a deadline: the
 * thread may run until the work it may have done since its work was last
 * measured, bounded by the wall time it ran, reaches --cpu-threshold
 * (CpuModel.freeRunNs); past it, its reads trap, the work is charged and
 * time moves on. So a read answered from the page misses less than two
 * thresholds of the thread's work (100 us of CPU time each, at the
 * defaults): the work carried over below the threshold, which a trapped
 * read misses too, and at most one threshold since. Under the instructions
 * model the counted work is not bounded by wall time, and the vDSO is
 * removed (see mediator.ts).
 *
 * The reads the vDSO answered count as trapped ones would, once they may
 * matter: at a stop where the throttle looks (a clock read that trapped,
 * a poll), before an exec (which takes the page away), and before the page
 * is written for another thread or another date. Other stops (a getpid
 * loop) cost no look at the page.
 *
 * A page is written only for programs that read the clock: one fresh from
 * an exec is zeroed, its budget spent, so that every read traps, and it
 * stays so, unwritten, until a read traps. Most programs of a run never
 * read the clock (or do late), and writing their page at each new date
 * cost two copies into each process per date.
 */
export class TimePage {
  /** What each address space's page holds, as last written or read back. */
  private readonly pages = new Map<number, PageHeld>();
  /** Address spaces whose page is not ours to keep yet: never written, its budget spent, so every read traps. */
  private readonly spent = new Set<number>();
  /** Address spaces whose program made a trapped clock read: their page is kept in step from then on. */
  private readonly readers = new Set<number>();
  private sequence = 0;
  /** The page's sequence number and budget, read back. */
  private readonly readBack = Buffer.allocUnsafeSlow(16);
  /** The page as it is written, laid out afresh each time. */
  private readonly written = Buffer.allocUnsafeSlow(VDSO_PAGE_BYTES);

  constructor(
    private readonly time: VirtualTime,
    private readonly computation: Computation,
    private readonly cpu: CpuModel,
  ) {}

  /** Writes the page `thread` is about to run with, unless it holds that already. */
  publish(thread: Thread): void {
    const { process } = thread;
    const page = process.vdsoPage;
    if (page === undefined || this.spent.has(process.addressSpace)) return;
    const date = this.time.now;
    const held = this.pages.get(process.addressSpace);
    if (held === undefined && !this.readers.has(process.addressSpace) && this.budgetSpent(thread)) {
      this.spent.add(process.addressSpace);
      return;
    }
    const readings = this.cpu.readingsOf(thread);
    // A deadline written for this thread stays safe until its work is measured again (CpuModel.readingsOf).
    const current = held !== undefined && held.thread === thread && held.date === date && held.host === process.host && held.readings === readings;
    // The throttle counted nothing since the page was last in step: what it holds is still true.
    if (current && held.budget === this.computation.clockReadsLeft(thread)) return;
    if (held !== undefined && !this.settle(thread, held)) return;
    const budget = this.computation.clockReadsLeft(thread);
    this.sequence += 2;
    const data = this.written;
    writeVdsoPage(data, {
      sequence: this.sequence,
      budget,
      realtime: this.time.read(CLOCK_REALTIME, thread)!,
      monotonic: this.time.read(CLOCK_MONOTONIC, thread)!,
      tai: this.time.read(CLOCK_TAI, thread)!,
      tscDeadline: this.tscDeadline(thread),
    });
    if (this.tolerateGone(() => process.memory.write(page, data)))
      this.pages.set(process.addressSpace, { sequence: this.sequence, thread, date, host: process.host, budget, readings });
    else this.pages.delete(process.addressSpace);
  }

  /** The counter reading past which `thread`'s reads trap: 0 for never, 1 for at once. */
  private tscDeadline(thread: Thread): number {
    const freeRunNs = this.cpu.freeRunNs(thread);
    if (freeRunNs === Number.POSITIVE_INFINITY) return 0;
    return freeRunNs > 0 ? ptrace.tscAfterNs(freeRunNs) : 1;
  }

  /** `thread` stopped (`stop`): where the polling throttle is to look, the reads its vDSO answered are counted first. */
  collect(thread: Thread, stop: Stop): void {
    const { process } = thread;
    if (PAGE_GONE.has(stop.kind)) {
      for (const space of [process.addressSpace, process.pid]) {
        this.pages.delete(space);
        this.spent.delete(space);
        this.readers.delete(space);
      }
      return;
    }
    if (stop.kind !== 'syscall') return;
    if (CLOCK_READS.has(stop.sysno)) {
      this.readers.add(process.addressSpace);
      this.spent.delete(process.addressSpace);
    }
    if (!(countsAsPolling(stop.sysno) || EXECS.has(stop.sysno))) return;
    const held = this.pages.get(process.addressSpace);
    if (held !== undefined) this.settle(thread, held);
  }

  /**
   * Reads the page back: the reads made since it was last in step count
   * for the thread it was written for, if they were made at this date.
   * False when the page is not ours any more (the program unmapped it or
   * wrote over it): it is not written again, and the process's reads trap.
   */
  private settle(thread: Thread, held: PageHeld): boolean {
    const { process } = thread;
    const page = process.vdsoPage!;
    const read = this.tolerateGone(() => process.memory.readInto(page, this.readBack));
    if (!read || readInt64LE(this.readBack, 0) !== held.sequence) {
      if (read) process.vdsoPage = undefined;
      this.pages.delete(process.addressSpace);
      return false;
    }
    const left = readInt64LE(this.readBack, VDSO_BUDGET_OFFSET);
    if (left !== held.budget && held.date === this.time.now) this.computation.countClockReads(held.thread, held.budget - left);
    held.budget = left;
    return true;
  }

  /**
   * Whether the page of `thread`'s process, never written for it, leaves it
   * no read (a page fresh from an exec, or a fork's copy of a spent one):
   * the vDSO then makes every read a syscall. A page that cannot be read
   * cannot be written either.
   */
  private budgetSpent(thread: Thread): boolean {
    const { process } = thread;
    const page = process.vdsoPage!;
    if (!this.tolerateGone(() => process.memory.readInto(page, this.readBack))) return true;
    return readInt64LE(this.readBack, VDSO_BUDGET_OFFSET) <= 0;
  }

  /** Runs `copy`; false if the process was gone or its page unmapped by the program. */
  private tolerateGone(copy: () => void): boolean {
    try {
      copy();
      return true;
    } catch (error) {
      if (error instanceof TraceeFault || (error as { code?: string }).code === 'ESRCH') return false;
      throw error;
    }
  }
}

/**
 * What a page was last known to hold: the number of the write, the clocks
 * at `date` on `host`, `budget` reads for `thread`, and a deadline computed
 * after its work's `readings`-th measure.
 */
interface PageHeld {
  sequence: number;
  thread: Thread;
  date: number;
  host: string;
  budget: number;
  readings: number;
}
