import { statSync } from 'node:fs';
import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import type { FdInfo } from '../../tracees/kernel-fds.js';
import { asUint } from '../../tracees/memory.js';
import { done, fail, type Outcome } from '../outcome.js';
import { scatter, totalLength, type Iovec } from '../../abi/tracee-buffers.js';

/**
 * Randomness comes from the run's seeded generator (see ../random.ts), one
 * stop per call: getrandom, and reads of descriptors open on /dev/urandom or
 * /dev/random, whatever path or inheritance led to them.
 */

const GRND_NONBLOCK = 0x1;
const GRND_RANDOM = 0x2;
const GRND_INSECURE = 0x4;
/** The kernel hands out at most this much per call (INT_MAX >> 6), for getrandom and device reads alike. */
const MAX_PER_CALL = 0x1ff_ffff;

function getrandom(ctx: SyscallContext): Outcome {
  const [buffer, lengthArg, flagsArg] = ctx.args;
  const flags = asUint(flagsArg!);
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return fail(Errno.EINVAL);
  if ((flags & GRND_RANDOM) !== 0 && (flags & GRND_INSECURE) !== 0) return fail(Errno.EINVAL);
  return serve(ctx, [{ base: buffer!, length: lengthArg! }]);
}

/** Writes the process's next random bytes across `vectors`; EFAULT if the tracee's buffer is not writable. */
function serve(ctx: SyscallContext, vectors: readonly Iovec[]): Outcome {
  const length = Math.min(totalLength(vectors), MAX_PER_CALL);
  if (length === 0) return done(0);
  const bytes = ctx.services.random.of(ctx.process).take(length);
  try {
    scatter(ctx.process.pid, vectors, [bytes]);
  } catch {
    return fail(Errno.EFAULT);
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

/** read/readv on a random device: never blocks (/dev/random included, as on Linux since 5.6 once seeded). */
export function readRandomDevice(ctx: SyscallContext, vectors: readonly Iovec[]): Outcome {
  return serve(ctx, vectors);
}

export const randomSyscalls: FamilyTable = {
  getrandom: { level: 'emulated', handler: getrandom, note: 'bytes from the generator seeded by --seed, a stream per process' },
};
