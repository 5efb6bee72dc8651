import { O_CLOEXEC } from '../abi/fd.js';
import { asInt } from '../abi/tracee-memory.js';
import { ptrace } from '../native.js';
import type { SyscallContext } from './context.js';
import { fail, opened, type Outcome } from './outcome.js';

/** The permission bits open(2) keeps of its mode (S_IALLUGO). */
const MODE_BITS = 0o7777;

/**
 * A notified open or openat (which cannot have its path argument rewritten)
 * of `path` in place of the program's: the mediator opens it with the
 * program's flags (argument `flagsArgument`), mode and credentials, and the
 * program gets that descriptor, numbered as the kernel would number its own,
 * or the errno its open would have had.
 */
export function openOnBehalf(ctx: SyscallContext, flagsArgument: number, path: string): Outcome {
  const flags = asInt(ctx.args[flagsArgument]!);
  const fd = ptrace.openAsThread(ctx.thread.tid, path, flags, asInt(ctx.args[flagsArgument + 1]!) & MODE_BITS);
  return fd < 0 ? fail(-fd) : opened(fd, (flags & O_CLOEXEC) !== 0);
}
