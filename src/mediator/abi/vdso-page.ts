import type { Timespec } from './time.js';
import { writeInt64LE } from './tracee-memory.js';

/**
 * The page simterpose's vDSO reads (struct vdso_page, native/vdso/vdso.h):
 * a sequence number, the clock reads left to the running thread, the
 * realtime, monotonic and TAI clocks of its host as timespecs, then the
 * time-stamp counter's reading past which its reads trap (0: none).
 */
const SEQUENCE = 0;
/** Where the budget lies: read back at each stop. */
export const VDSO_BUDGET_OFFSET = 8;
const REALTIME = 16;
const MONOTONIC = 32;
const TAI = 48;
const TSC_DEADLINE = 64;
export const VDSO_PAGE_BYTES = 72;
/** The vDSO's ELF header lies one page above its page. */
export const VDSO_HEADER_OFFSET = 4096;

export interface VdsoPage {
  /** Even: the mediator writes the page whole, while the tracee is stopped; the vDSO checks it did not change under its read. */
  sequence: number;
  budget: number;
  realtime: Timespec;
  monotonic: Timespec;
  tai: Timespec;
  /** A time-stamp counter reading (rdtsc), or 0 where the thread's running time does not matter. */
  tscDeadline: number;
}

/**
 * Lays `page` out in `data`, VDSO_PAGE_BYTES long: a buffer its writer
 * keeps, as one is written at each resume at a new virtual date (a fresh
 * Buffer each time cost a third of that write's time in JavaScript).
 */
export function writeVdsoPage(data: Buffer, { sequence, budget, realtime, monotonic, tai, tscDeadline }: VdsoPage): void {
  writeInt64LE(data, sequence, SEQUENCE);
  writeInt64LE(data, budget, VDSO_BUDGET_OFFSET);
  writeTimespec(data, realtime, REALTIME);
  writeTimespec(data, monotonic, MONOTONIC);
  writeTimespec(data, tai, TAI);
  writeInt64LE(data, Math.ceil(tscDeadline), TSC_DEADLINE);
}

function writeTimespec(data: Buffer, { seconds, nanoseconds }: Timespec, offset: number): void {
  writeInt64LE(data, seconds, offset);
  writeInt64LE(data, nanoseconds, offset + 8);
}
