import { Errno } from '../../abi/errno.js';
import { cpumaskBytes, cpumaskFits, cpumaskHasAnyOfFirst, cpumaskOfFirst } from '../../abi/process.js';
import { asInt } from '../../abi/tracee-memory.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { done, fail, type Outcome } from '../outcome.js';
import { isRefused, kernelPid } from '../pid-arguments.js';

/**
 * A program counts the CPUs it may use with sched_getaffinity (nproc,
 * os.sched_getaffinity): it gets its host's cores, numbered from 0. The real
 * affinity is simterpose's (every tracee shares one CPU) and stays so:
 * sched_setaffinity is accepted for any non-empty set of the host's cores
 * and changes nothing, since where a thread runs is SimGrid's to model.
 */

function schedGetaffinity(ctx: SyscallContext): Outcome {
  const [pid, length, address] = ctx.args as [number, number, number];
  // Anyone may read any process's affinity: also OUTSIDE_PID's, which runs on the host's cores too.
  const target = kernelPid(ctx, asInt(pid));
  if (isRefused(target) ? target.errno !== Errno.EPERM : target < 0) return fail(Errno.ESRCH);
  const cores = ctx.services.coresOf(ctx.process.host);
  // As the kernel: the buffer must hold every possible CPU, in whole longs.
  if (!cpumaskFits(length, cores)) return fail(Errno.EINVAL);
  const mask = cpumaskOfFirst(cores);
  ctx.memory.write(address, mask);
  return done(mask.length);
}

function schedSetaffinity(ctx: SyscallContext): Outcome {
  const [pid, length, address] = ctx.args as [number, number, number];
  const target = kernelPid(ctx, asInt(pid));
  if (isRefused(target)) return fail(target.errno);
  if (target < 0) return fail(Errno.ESRCH);
  const cores = ctx.services.coresOf(ctx.process.host);
  const mask = ctx.memory.read(address, Math.min(length, cpumaskBytes(cores)));
  return cpumaskHasAnyOfFirst(mask, cores) ? done(0) : fail(Errno.EINVAL);
}

/**
 * A yield lets the other threads run, which the scheduler does anyway at each
 * stop. It is trapped for its cost: a loop of yields and clock reads waits for
 * the clock to move (UCX times its start that way), and on Linux each yield
 * takes about a microsecond, which the polling throttle charges.
 */
function schedYield(): Outcome {
  return done(0);
}

export const cpuSyscalls: FamilyTable = {
  sched_yield: { level: 'emulated', handler: schedYield, note: 'returns at once; a loop of yields costs virtual time, about 1 µs a yield' },
  sched_getaffinity: { level: 'emulated', handler: schedGetaffinity, note: "the host's cores, numbered from 0" },
  sched_setaffinity: { level: 'emulated', handler: schedSetaffinity, note: "accepted for any of the host's cores; threads keep sharing simterpose's CPU" },
};
