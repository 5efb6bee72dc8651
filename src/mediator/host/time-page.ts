import { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_TAI } from '../abi/time.js';
import { syscallNumbers } from '../abi/syscall-numbers.js';
import { TraceeFault } from '../abi/tracee-memory.js';
import { VDSO_BUDGET_OFFSET, vdsoPageBytes } from '../abi/vdso-page.js';
import { countsAsPolling, type Computation } from '../loop/computation.js';
import type { Stop } from '../loop/tracer.js';
import type { Thread } from '../tracees/tracees.js';
import type { VirtualTime } from './virtual-time.js';

/** Stops after which the page the thread ran with is gone (a new program, or no process). */
const PAGE_GONE = new Set<Stop['kind']>(['exec', 'ended', 'gone']);
const EXECS = new Set(syscallNumbers('execve', 'execveat'));

/**
 * Keeps the page simterpose's vDSO (native/vdso) reads in each process
 * that has it: before a thread runs, its host's clocks at the virtual now
 * and the clock reads it may make at this date without a stop (what the
 * polling throttle leaves it, less the one read that must trap to pause).
 * A thread's clocks only move at its stops (virtual time stands still while
 * it runs, under --cpu-model none), so the answers are those of the trapped
 * calls, without the stops.
 *
 * The reads the vDSO answered count as trapped ones would, once they may
 * matter: at a stop where the throttle looks (a clock read that trapped,
 * a poll), before an exec (which takes the page away), and before the page
 * is written for another thread or another date. Other stops (a getpid
 * loop) cost no look at the page.
 */
export class TimePage {
  /** What each address space's page holds, as last written or read back. */
  private readonly pages = new Map<number, PageHeld>();
  private sequence = 0;
  /** The page's sequence number and budget, read back. */
  private readonly readBack = Buffer.allocUnsafeSlow(16);

  constructor(
    private readonly time: VirtualTime,
    private readonly computation: Computation,
  ) {}

  /** Writes the page `thread` is about to run with, unless it holds that already. */
  publish(thread: Thread): void {
    const { process } = thread;
    const page = process.vdsoPage;
    if (page === undefined) return;
    const date = this.time.now;
    const held = this.pages.get(process.addressSpace);
    const current = held !== undefined && held.thread === thread && held.date === date && held.host === process.host;
    // The throttle counted nothing since the page was last in step: what it holds is still true.
    if (current && held.budget === this.computation.clockReadsLeft(thread)) return;
    if (held !== undefined && !this.settle(thread, held)) return;
    const budget = this.computation.clockReadsLeft(thread);
    this.sequence += 2;
    const data = vdsoPageBytes({
      sequence: this.sequence,
      budget,
      realtime: this.time.read(CLOCK_REALTIME, thread)!,
      monotonic: this.time.read(CLOCK_MONOTONIC, thread)!,
      tai: this.time.read(CLOCK_TAI, thread)!,
    });
    if (this.tolerateGone(() => process.memory.write(page, data)))
      this.pages.set(process.addressSpace, { sequence: this.sequence, thread, date, host: process.host, budget });
    else this.pages.delete(process.addressSpace);
  }

  /** `thread` stopped (`stop`): where the polling throttle is to look, the reads its vDSO answered are counted first. */
  collect(thread: Thread, stop: Stop): void {
    const { process } = thread;
    if (PAGE_GONE.has(stop.kind)) {
      this.pages.delete(process.addressSpace);
      this.pages.delete(process.pid);
      return;
    }
    if (stop.kind !== 'syscall' || !(countsAsPolling(stop.sysno) || EXECS.has(stop.sysno))) return;
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
    if (!read || Number(this.readBack.readBigInt64LE(0)) !== held.sequence) {
      if (read) process.vdsoPage = undefined;
      this.pages.delete(process.addressSpace);
      return false;
    }
    const left = Number(this.readBack.readBigInt64LE(VDSO_BUDGET_OFFSET));
    if (left !== held.budget && held.date === this.time.now) this.computation.countClockReads(held.thread, held.budget - left);
    held.budget = left;
    return true;
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

/** What a page was last known to hold: the number of the write, the clocks at `date` on `host`, and `budget` reads for `thread`. */
interface PageHeld {
  sequence: number;
  thread: Thread;
  date: number;
  host: string;
  budget: number;
}
