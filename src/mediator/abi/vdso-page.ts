import type { Timespec } from './time.js';
import { readI64, writeInt64LE, type TraceeMemory } from './tracee-memory.js';

/**
 * The page simterpose's vDSO reads (struct vdso_page, native/vdso/vdso.h):
 * a sequence number, the clock reads left to the running thread, then the
 * realtime, monotonic and TAI clocks of its host as timespecs.
 */
const SEQUENCE = 0;
const BUDGET = 8;
const REALTIME = 16;
const MONOTONIC = 32;
const TAI = 48;
const VDSO_PAGE_BYTES = 64;
/** The vDSO's ELF header lies one page above its page. */
export const VDSO_HEADER_OFFSET = 4096;

export interface VdsoClocks {
  budget: number;
  realtime: Timespec;
  monotonic: Timespec;
  tai: Timespec;
}

/** The page's bytes for `clocks`, the sequence number left out (see withSequence). */
export function vdsoPageBytes({ budget, realtime, monotonic, tai }: VdsoClocks): Buffer {
  const data = Buffer.alloc(VDSO_PAGE_BYTES);
  writeInt64LE(data, budget, BUDGET);
  for (const [offset, { seconds, nanoseconds }] of [
    [REALTIME, realtime],
    [MONOTONIC, monotonic],
    [TAI, tai],
  ] as const) {
    writeInt64LE(data, seconds, offset);
    writeInt64LE(data, nanoseconds, offset + 8);
  }
  return data;
}

/** Sets the sequence number in the page's bytes (even: the mediator writes the page whole, while the tracee is stopped). */
export function withSequence(data: Buffer, sequence: number): Buffer {
  writeInt64LE(data, sequence, SEQUENCE);
  return data;
}

export function readVdsoBudget(memory: TraceeMemory, page: number): number {
  return readI64(memory, page + BUDGET);
}

export function setBudgetIn(data: Buffer, budget: number): void {
  writeInt64LE(data, budget, BUDGET);
}
