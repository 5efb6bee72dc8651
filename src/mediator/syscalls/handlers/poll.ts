import { Errno } from '../../abi/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, readFdSet, readPollfds, writeFdSet, writePollRevents, type Watched } from '../../abi/poll.js';
import { readPselectSigmask, readSigset } from '../../abi/signal.js';
import { readTimespec, readTimeval, timespecSeconds, toTimespec, validTimespec, writeTimespec, writeTimeval, type Timespec } from '../../abi/time.js';
import { asInt, asUint } from '../../abi/tracee-memory.js';
import { readinessEvents, virtualSockets } from '../../sockets/readiness.js';
import { readyEvents } from '../../tracees/kernel-fds.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';

/**
 * poll and select, emulated: readiness comes from the mediator for virtual
 * sockets and from the kernel for the rest; the result is written as Linux
 * would, at once or when the thread's wait in virtual time ends.
 */

/** The events that hold now for one descriptor: virtual objects from the mediator, the rest from the kernel. */
function eventsNow(ctx: SyscallContext, { fd, events }: Watched): number {
  const file = ctx.process.fds.get(fd);
  if (file !== undefined) return readinessEvents(file, events);
  return readyEvents(ctx.services.kernelFds.inspect(ctx.process, fd), events);
}

/**
 * Computes every descriptor's events; when some hold (or the timeout is
 * zero) `answer` writes them back as the syscall would; otherwise the thread
 * waits in virtual time and `answer` runs again once something is ready or
 * with nothing ready at the timeout.
 */
function waitForAny(ctx: SyscallContext, watched: Watched[], timeout: number | undefined, answer: (ready: number[]) => Outcome, mask?: bigint): Outcome {
  // Fixed when the call first looks, so that a wake-up with nothing ready after all does not start the timeout again.
  if (timeout !== undefined) ctx.state.deadline ??= ctx.services.time.after(timeout, ctx.process.host);
  const deadline = ctx.state.deadline;
  const ready = watched.map((w) => eventsNow(ctx, w));
  if (timeout === 0 || ready.some((events) => events !== 0)) return answer(ready);
  // A signal deliverable under the call's own mask makes the kernel return EINTR at once. One that only
  // that mask lets through must be taken by the kernel's call itself, which is safe without virtual sockets.
  const pending = mask === undefined ? undefined : ctx.services.signals.deliverable(ctx.thread, mask);
  if (pending !== undefined) {
    const kernelOnly = watched.every((w) => ctx.process.fds.get(w.fd) === undefined);
    return pending.blockedNow && kernelOnly ? NATIVE : fail(Errno.EINTR);
  }
  const kernelFds = watched.filter((w) => ctx.process.fds.get(w.fd) === undefined).map(({ fd, events }) => ({ process: ctx.process, fd, events }));
  return blocked({
    kind: 'io',
    reason: `any of fds ${watched.map((w) => w.fd).join(',') || '(none)'} in ${ctx.thread.label}`,
    isReady: () => watched.some((w) => eventsNow(ctx, w) !== 0),
    watch: kernelFds,
    // Only virtual sockets: their changes of readiness are the only news (kernel descriptors must be probed).
    sources: () =>
      kernelFds.length === 0
        ? virtualSockets(
            ctx,
            watched.map((w) => w.fd),
          )
        : undefined,
    deadline,
    onTimeout: () => answer(watched.map(() => 0)),
    onSignal: 'eintr',
    mask,
  });
}

/**
 * What select, pselect6 and ppoll write back into their timeout when they
 * return (poll_select_finish): the time left of it on the host's clocks,
 * 0 once it ran out. Nothing for poll, nor for no timeout.
 */
function writeTimeLeft(ctx: SyscallContext, write: ((left: Timespec) => void) | undefined): void {
  const deadline = ctx.state.deadline;
  if (write === undefined || deadline === undefined) return;
  const { time } = ctx.services;
  write(toTimespec(Math.max(0, time.onClock(deadline - time.now, ctx.process.host))));
}

function pollCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined, writeLeft?: (left: Timespec) => void): Outcome {
  const [array, countArg] = ctx.args as [number, number];
  const count = asUint(countArg);
  if (count > ctx.services.kernelFds.openFilesLimit(ctx.process)) return fail(Errno.EINVAL);
  const entries = readPollfds(ctx.memory, array, count);
  // poll ignores entries with a negative fd, and reports nothing for them.
  const watched = entries.filter((entry) => entry.fd >= 0);
  return waitForAny(
    ctx,
    watched,
    timeout,
    (ready) => {
      let next = 0;
      const revents = entries.map((entry) => (entry.fd >= 0 ? ready[next++]! : 0));
      writePollRevents(ctx.memory, array, entries, revents);
      writeTimeLeft(ctx, writeLeft);
      return done(ready.filter((events) => events !== 0).length);
    },
    mask,
  );
}

function poll(ctx: SyscallContext): Outcome {
  const milliseconds = asInt(ctx.args[2]!);
  return pollCommon(ctx, milliseconds < 0 ? undefined : milliseconds / 1000, undefined);
}

/** A timespec timeout (ppoll, pselect6) in seconds: undefined for NULL (none), null for one Linux refuses with EINVAL. */
function timespecTimeout(ctx: SyscallContext, address: number): number | undefined | null {
  if (address === 0) return undefined;
  const timeout = readTimespec(ctx.memory, address);
  return validTimespec(timeout) ? timespecSeconds(timeout) : null;
}

function ppoll(ctx: SyscallContext): Outcome {
  const timeout = timespecTimeout(ctx, ctx.args[2]!);
  if (timeout === null) return fail(Errno.EINVAL);
  const address = ctx.args[2]!;
  return pollCommon(ctx, timeout, readSigset(ctx.memory, ctx.args[3]!), timeoutWriter(ctx, address, writeTimespec));
}

/** Writes the time left into the call's timeout at `address` in its own format; none for a NULL timeout. */
function timeoutWriter(
  ctx: SyscallContext,
  address: number,
  format: (memory: SyscallContext['memory'], address: number, value: Timespec) => void,
): ((left: Timespec) => void) | undefined {
  return address === 0 ? undefined : (left) => format(ctx.memory, address, left);
}

/** select's three sets, as poll events per descriptor. */
const SET_EVENTS = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI] as const;

function selectCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined, writeLeft?: (left: Timespec) => void): Outcome {
  if (asInt(ctx.args[0]!) < 0) return fail(Errno.EINVAL);
  // Linux looks at no descriptor past the end of the process's table, however many nfds says.
  const nfds = Math.min(asInt(ctx.args[0]!), ctx.services.kernelFds.tableSize(ctx.process));
  const sets = [ctx.args[1]!, ctx.args[2]!, ctx.args[3]!];
  const watched: Watched[] = [];
  const owners: number[] = [];
  sets.forEach((address, set) => {
    for (const fd of readFdSet(ctx.memory, address, nfds)) {
      watched.push({ fd, events: SET_EVENTS[set]! });
      owners.push(set);
    }
  });
  for (const { fd } of watched) {
    if (ctx.process.fds.get(fd) === undefined && ctx.services.kernelFds.inspect(ctx.process, fd) === null) return fail(Errno.EBADF);
  }
  return waitForAny(
    ctx,
    watched,
    timeout,
    (ready) => {
      const results: number[][] = sets.map(() => []);
      ready.forEach((events, j) => {
        if ((events & SET_EVENTS[owners[j]!]!) !== 0) results[owners[j]!]!.push(watched[j]!.fd);
      });
      for (const [set, address] of sets.entries()) writeFdSet(ctx.memory, address, nfds, results[set]!);
      writeTimeLeft(ctx, writeLeft);
      return done(results.reduce((count, fds) => count + fds.length, 0));
    },
    mask,
  );
}

function select(ctx: SyscallContext): Outcome {
  const timeval = ctx.args[4]!;
  if (timeval === 0) return selectCommon(ctx, undefined, undefined);
  const timeout = readTimeval(ctx.memory, timeval);
  return timeout === undefined ? fail(Errno.EINVAL) : selectCommon(ctx, timeout, undefined, timeoutWriter(ctx, timeval, writeTimeval));
}

function pselect6(ctx: SyscallContext): Outcome {
  const timeout = timespecTimeout(ctx, ctx.args[4]!);
  if (timeout === null) return fail(Errno.EINVAL);
  return selectCommon(ctx, timeout, readPselectSigmask(ctx.memory, ctx.args[5]!), timeoutWriter(ctx, ctx.args[4]!, writeTimespec));
}

const NOTE = 'emulated over virtual sockets and kernel descriptors; waits in virtual time';

export const pollSyscalls: FamilyTable = {
  poll: { blocks: true, level: 'emulated', handler: poll, note: NOTE },
  ppoll: { blocks: true, level: 'emulated', handler: ppoll, note: NOTE },
  select: { blocks: true, level: 'emulated', handler: select, note: NOTE },
  pselect6: { blocks: true, level: 'emulated', handler: pselect6, note: NOTE },
};
