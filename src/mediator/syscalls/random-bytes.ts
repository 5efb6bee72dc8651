import { statSync } from 'node:fs';
import { Errno } from '../abi/errno.js';
import { bytesBefore, scatter, totalLength, type Iovec } from '../abi/iovec.js';
import { TraceeFault } from '../abi/tracee-memory.js';
import type { FdInfo } from '../tracees/kernel-fds.js';
import type { SyscallContext } from './context.js';
import { done, fail, type Outcome } from './outcome.js';

/**
 * Randomness comes from the run's seeded generator (host/random.ts), one
 * stop per call: getrandom, and reads of descriptors open on /dev/urandom or
 * /dev/random, whatever path or inheritance led to them. Such a read never
 * blocks (/dev/random included, as on Linux since 5.6 once seeded).
 */

/** The kernel hands out at most this much per call (INT_MAX >> 6), for getrandom and device reads alike. */
const MAX_PER_CALL = 0x1ff_ffff;

/**
 * Writes the process's next random bytes across `vectors`. Where the
 * buffer stops being writable, the count is of the bytes written before
 * (EFAULT when none), as Linux's getrandom and device reads return.
 */
export function randomBytesInto(ctx: SyscallContext, vectors: readonly Iovec[]): Outcome {
  const length = Math.min(totalLength(vectors), MAX_PER_CALL);
  if (length === 0) return done(0);
  try {
    scatter(ctx.memory, vectors, [ctx.services.random.of(ctx.process).take(length)]);
  } catch (error) {
    if (!(error instanceof TraceeFault)) throw error;
    const written = bytesBefore(vectors, error.address);
    return written > 0 ? done(written) : fail(Errno.EFAULT);
  }
  return done(length);
}

/** dev:ino of the random devices' nodes, as fstat of a descriptor open on them reports it. */
const RANDOM_DEVICES = new Set(
  ['/dev/urandom', '/dev/random'].flatMap((path) => {
    try {
      const { dev, ino } = statSync(path);
      return [`${dev}:${ino}`];
    } catch {
      return [];
    }
  }),
);

export function isRandomDevice(info: FdInfo | null): boolean {
  return info !== null && info.kind === 'char' && RANDOM_DEVICES.has(`${info.dev}:${info.ino}`);
}
