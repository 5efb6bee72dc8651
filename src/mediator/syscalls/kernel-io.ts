import type { SyscallContext } from './context.js';
import { POLLIN, POLLOUT, canBlock, inspectFd, readyEvents, type FdInfo } from '../tracees/kernel-fds.js';
import { asInt } from '../tracees/memory.js';
import { NATIVE, blocked, nativeThen, type Outcome } from './outcome.js';
import { ptrace } from '../native.js';

/**
 * Reads and writes on descriptors the kernel implements (pipes, local
 * sockets, terminals...): let through when they will not block, else the
 * thread waits (in virtual time) until the descriptor is ready.
 */

export function waitFor(ctx: SyscallContext, fd: number, events: number): Outcome {
  const pid = ctx.process.pid;
  const what = events === POLLIN ? 'readable' : 'writable';
  return blocked({
    kind: 'io',
    reason: `fd ${fd} to become ${what} in ${ctx.thread.label}`,
    isReady: () => readyEvents(inspectFd(pid, fd), events) !== 0,
    watch: [{ pid, fd, events }],
    onSignal: 'restartable',
  });
}

export function reading(ctx: SyscallContext, known?: FdInfo | null): Outcome {
  const fd = asInt(ctx.args[0]!);
  const info = known === undefined ? inspectFd(ctx.process.pid, fd) : known;
  if (!canBlock(info) || readyEvents(info, POLLIN) !== 0) return NATIVE;
  return waitFor(ctx, fd, POLLIN);
}

/**
 * A write to a pipe or socket that is writable at all runs with O_NONBLOCK
 * set for the duration of the call (every other tracee is stopped, so none
 * can see the flag): the kernel writes what fits and returns a short count
 * instead of sleeping, as a blocking write cut short would.
 */
export function writing(ctx: SyscallContext, known?: FdInfo | null): Outcome {
  const fd = asInt(ctx.args[0]!);
  const pid = ctx.process.pid;
  const info = known === undefined ? inspectFd(pid, fd) : known;
  if (!canBlock(info)) return NATIVE;
  if (readyEvents(info, POLLOUT) === 0) return waitFor(ctx, fd, POLLOUT);
  const previous = ptrace.setFdNonblocking(pid, fd, true);
  return nativeThen(() => {
    ptrace.setFdNonblocking(pid, fd, previous);
  });
}
