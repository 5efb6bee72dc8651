import { POLLIN, POLLOUT } from '../abi/poll.js';
import { asInt } from '../abi/tracee-memory.js';
import { canBlock, readyEvents, type FdInfo } from '../tracees/kernel-fds.js';
import type { SyscallContext } from './context.js';
import { NATIVE, blocked, nativeThen, type Outcome } from './outcome.js';

/**
 * Reads and writes on descriptors the kernel implements (pipes, local
 * sockets, terminals...): let through when they will not block, else the
 * thread waits (in virtual time) until the descriptor is ready.
 */

/** The thread waits until `fd` is ready for `events` (a message queue's too), or until the timeout's deadline. */
export function waitFor(ctx: SyscallContext, fd: number, events: number, timeout?: { deadline: number; onTimeout: () => Outcome }): Outcome {
  const kernelFds = ctx.services.kernelFds;
  const what = events === POLLIN ? 'readable' : 'writable';
  return blocked({
    kind: 'io',
    reason: `fd ${fd} to become ${what} in ${ctx.thread.label}`,
    isReady: () => readyEvents(kernelFds.inspect(ctx.process, fd), events) !== 0,
    watch: [{ process: ctx.process, fd, events }],
    deadline: timeout?.deadline,
    onTimeout: timeout?.onTimeout,
    onSignal: 'restartable',
  });
}

/**
 * A descriptor of a virtual object that reaches these kernel paths is not a
 * socket (an epoll instance): the kernel's placeholder behind it answers at
 * once (read and write of an epoll descriptor fail with EINVAL, the socket
 * calls with ENOTSOCK), and waiting for its readiness would never end.
 */
function placeholderOfVirtualObject(ctx: SyscallContext, fd: number): boolean {
  return ctx.process.fds.get(fd) !== undefined;
}

/** A read of the descriptor in the call's first argument (`known`: what it is, if looked at already). */
export function reading(ctx: SyscallContext, known?: FdInfo | null): Outcome {
  const fd = asInt(ctx.args[0]!);
  if (placeholderOfVirtualObject(ctx, fd)) return NATIVE;
  const info = known === undefined ? ctx.services.kernelFds.inspect(ctx.process, fd) : known;
  const empty = info !== null && readyEvents(info, POLLIN) === 0;
  // Read until EAGAIN (or to sleep): bytes arriving from now on are a new edge (kernel-edges.ts).
  if (empty) ctx.services.kernelEdges.raise(info, POLLIN);
  if (!canBlock(info) || !empty) return NATIVE;
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
  if (placeholderOfVirtualObject(ctx, fd)) return NATIVE;
  const kernelFds = ctx.services.kernelFds;
  const info = known === undefined ? kernelFds.inspect(ctx.process, fd) : known;
  if (info !== null) raiseWriteEdges(ctx, info);
  if (!canBlock(info)) return NATIVE;
  if (readyEvents(info, POLLOUT) === 0) return waitFor(ctx, fd, POLLOUT);
  return nonblockingFor(ctx, fd);
}

/**
 * The edges a write makes (kernel-edges.ts): one finding no room waits for
 * room, a new edge once there is; one into a pipe or an eventfd wakes its
 * reader, whose end shares the open file's inode.
 */
function raiseWriteEdges(ctx: SyscallContext, info: FdInfo): void {
  if (readyEvents(info, POLLOUT) === 0) ctx.services.kernelEdges.raise(info, POLLOUT);
  else if (info.kind === 'pipe' || info.kind === 'other') ctx.services.kernelEdges.raise(info, POLLIN);
}

/** The kernel runs the call with `fd` made non-blocking for its duration. */
export function nonblockingFor(ctx: SyscallContext, fd: number): Outcome {
  const kernelFds = ctx.services.kernelFds;
  const previous = kernelFds.setNonblocking(ctx.process, fd, true);
  return nativeThen(() => {
    kernelFds.setNonblocking(ctx.process, fd, previous);
  });
}
