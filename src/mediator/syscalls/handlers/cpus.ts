import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { asInt, memory } from '../../tracees/memory.js';
import { done, fail, type Outcome } from '../outcome.js';
import { realProcessId } from '../pid-arguments.js';

/**
 * A program counts the CPUs it may use with sched_getaffinity (nproc,
 * os.sched_getaffinity): it gets its host's cores, numbered from 0. The real
 * affinity is simterpose's (every tracee shares one CPU) and stays so:
 * sched_setaffinity is accepted for any non-empty set of the host's cores
 * and changes nothing, since where a thread runs is SimGrid's to model.
 */

const LONG_BYTES = 8;

/** The kernel's cpumask size for `cores` CPUs: whole longs. */
function maskBytes(cores: number): number {
  return Math.ceil(cores / 64) * LONG_BYTES;
}

function schedGetaffinity(ctx: SyscallContext): Outcome {
  const [pid, lengthArg, address] = ctx.args;
  if (realProcessId(ctx, asInt(pid!)) === undefined) return fail(Errno.ESRCH);
  const cores = ctx.services.coresOf(ctx.process.host);
  const length = lengthArg!;
  // As the kernel: the buffer must hold every possible CPU, in whole longs.
  if (length * 8 < cores || length % LONG_BYTES !== 0) return fail(Errno.EINVAL);
  const mask = Buffer.alloc(maskBytes(cores));
  for (let cpu = 0; cpu < cores; cpu++) mask[cpu >> 3]! |= 1 << (cpu & 7);
  try {
    memory.write(ctx.process.pid, address!, mask);
  } catch {
    return fail(Errno.EFAULT);
  }
  return done(mask.length);
}

function schedSetaffinity(ctx: SyscallContext): Outcome {
  const [pid, lengthArg, address] = ctx.args;
  if (realProcessId(ctx, asInt(pid!)) === undefined) return fail(Errno.ESRCH);
  const cores = ctx.services.coresOf(ctx.process.host);
  let mask: Buffer;
  try {
    mask = memory.read(ctx.process.pid, address!, Math.min(lengthArg!, maskBytes(cores)));
  } catch {
    return fail(Errno.EFAULT);
  }
  for (let cpu = 0; cpu < Math.min(cores, mask.length * 8); cpu++) {
    if ((mask[cpu >> 3]! & (1 << (cpu & 7))) !== 0) return done(0);
  }
  return fail(Errno.EINVAL);
}

export const cpuSyscalls: FamilyTable = {
  sched_getaffinity: { level: 'emulated', handler: schedGetaffinity, note: 'the host\'s cores, numbered from 0' },
  sched_setaffinity: { level: 'emulated', handler: schedSetaffinity, note: 'accepted for any of the host\'s cores; threads keep sharing simterpose\'s CPU' },
};
