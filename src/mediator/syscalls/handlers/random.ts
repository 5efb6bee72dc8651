import { Errno } from '../../abi/errno.js';
import { GRND_INSECURE, GRND_NONBLOCK, GRND_RANDOM } from '../../abi/fd.js';
import { importBuffer } from '../../abi/iovec.js';
import { asUint } from '../../abi/tracee-memory.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { fail, type Outcome } from '../outcome.js';
import { randomBytesInto } from '../random-bytes.js';

function getrandom(ctx: SyscallContext): Outcome {
  const [buffer, lengthArg, flagsArg] = ctx.args as [number, number, number];
  const flags = asUint(flagsArg);
  if ((flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) !== 0) return fail(Errno.EINVAL);
  if ((flags & GRND_RANDOM) !== 0 && (flags & GRND_INSECURE) !== 0) return fail(Errno.EINVAL);
  const vectors = importBuffer(buffer, lengthArg, true);
  return Array.isArray(vectors) ? randomBytesInto(ctx, vectors) : fail(vectors.errno);
}

export const randomSyscalls: FamilyTable = {
  getrandom: { level: 'emulated', handler: getrandom, note: 'bytes from the generator seeded by --seed, a stream per process' },
};
