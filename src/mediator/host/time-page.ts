import { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_TAI } from '../abi/time.js';
import { TraceeFault } from '../abi/tracee-memory.js';
import { VDSO_BUDGET_OFFSET, vdsoPageBytes } from '../abi/vdso-page.js';
import type { Computation } from '../loop/computation.js';
import type { Stop } from '../loop/tracer.js';
import type { Thread } from '../tracees/tracees.js';
import type { VirtualTime } from './virtual-time.js';

/** Stops after which the page the thread ran with is gone (a new program, or no process). */
const PAGE_GONE = new Set<Stop['kind']>(['exec', 'ended', 'gone']);

/**
 * Keeps the page simterpose's vDSO (native/vdso) reads in each process
 * that has it: before a thread runs, its host's clocks at the virtual now
 * and the clock reads it may make at this date without a stop (what the
 * polling throttle leaves it, less the one read that must trap to pause);
 * after it stops, the reads it made there count as trapped ones would. A
 * thread's clocks only move at its stops (virtual time stands still while
 * it runs, under --cpu-model none), so the answers are those of the trapped
 * calls, without the stops.
 */
export class TimePage {
  /** What each address space's page holds, as last written or read back. */
  private readonly pages = new Map<number, PageHeld>();
  private sequence = 0;
  /** The page's sequence number and budget, read back at each stop. */
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
    const budget = this.computation.clockReadsLeft(thread);
    const date = this.time.now;
    const held = this.pages.get(process.addressSpace);
    if (held !== undefined && held.date === date && held.host === process.host && held.budget === budget) return;
    this.sequence += 2;
    const data = vdsoPageBytes({
      sequence: this.sequence,
      budget,
      realtime: this.time.read(CLOCK_REALTIME, thread)!,
      monotonic: this.time.read(CLOCK_MONOTONIC, thread)!,
      tai: this.time.read(CLOCK_TAI, thread)!,
    });
    if (this.tolerateGone(() => process.memory.write(page, data)))
      this.pages.set(process.addressSpace, { sequence: this.sequence, date, host: process.host, budget });
    else this.pages.delete(process.addressSpace);
  }

  /** `thread` stopped (`stop`): the clock reads its vDSO answered count against its polling. */
  collect(thread: Thread, stop: Stop): void {
    const { process } = thread;
    if (PAGE_GONE.has(stop.kind)) {
      this.pages.delete(process.addressSpace);
      this.pages.delete(process.pid);
      return;
    }
    const page = process.vdsoPage;
    const held = this.pages.get(process.addressSpace);
    if (page === undefined || held === undefined) return;
    if (!this.tolerateGone(() => process.memory.readInto(page, this.readBack))) return;
    if (Number(this.readBack.readBigInt64LE(0)) !== held.sequence) {
      // The program unmapped the page or wrote over it: it is not ours to write any more, and its reads now trap.
      process.vdsoPage = undefined;
      this.pages.delete(process.addressSpace);
      return;
    }
    const left = Number(this.readBack.readBigInt64LE(VDSO_BUDGET_OFFSET));
    if (left === held.budget) return;
    this.computation.countClockReads(thread, held.budget - left);
    held.budget = left;
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

/** What a page was last known to hold: the number of the write, the clocks at `date` on `host`, and `budget` reads. */
interface PageHeld {
  sequence: number;
  date: number;
  host: string;
  budget: number;
}
