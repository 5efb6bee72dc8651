import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLPRI, inspectFd, readyEvents } from '../../tracees/kernel-fds.js';
import { asInt, memory } from '../../tracees/memory.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';
import { deliverableSignal } from '../../tracees/pending-signals.js';
import { readinessEvents, virtualSockets } from '../../sockets/readiness.js';

/**
 * poll and select, emulated: readiness comes from the mediator for virtual
 * sockets and from the kernel for the rest; the result is written as Linux
 * would, at once or when the thread's wait in virtual time ends.
 */

interface Watched {
  fd: number;
  events: number;
}

/** The events that hold now for one descriptor: virtual objects from the mediator, the rest from the kernel. */
function eventsNow(ctx: SyscallContext, { fd, events }: Watched): number {
  const file = ctx.process.fds.get(fd);
  if (file !== undefined) return readinessEvents(file, events);
  return readyEvents(inspectFd(ctx.process.pid, fd), events);
}

/**
 * Computes every descriptor's events; when some hold (or the timeout is
 * zero) `answer` writes them back as the syscall would; otherwise the thread
 * waits in virtual time and `answer` runs again once something is ready or
 * with nothing ready at the timeout.
 */
function waitForAny(
  ctx: SyscallContext,
  watched: Watched[],
  timeout: number | undefined,
  answer: (ready: number[]) => Outcome,
  mask?: bigint,
): Outcome {
  const pid = ctx.process.pid;
  const ready = watched.map((w) => eventsNow(ctx, w));
  if (timeout === 0 || ready.some((events) => events !== 0)) return answer(ready);
  // A signal deliverable under the call's own mask makes the kernel return EINTR at once. One that only
  // that mask lets through must be taken by the kernel's call itself, which is safe without virtual sockets.
  const pending = mask === undefined ? undefined : deliverableSignal(ctx.thread, mask);
  if (pending !== undefined) {
    const kernelOnly = watched.every((w) => ctx.process.fds.get(w.fd) === undefined);
    return pending.blockedNow && kernelOnly ? NATIVE : fail(Errno.EINTR);
  }
  const kernelFds = watched.filter((w) => ctx.process.fds.get(w.fd) === undefined).map(({ fd, events }) => ({ pid, fd, events }));
  return blocked({
    kind: 'io',
    reason: `any of fds ${watched.map((w) => w.fd).join(',') || '(none)'} in ${ctx.thread.label}`,
    isReady: () => watched.some((w) => eventsNow(ctx, w) !== 0),
    watch: kernelFds,
    // Only virtual sockets: their changes of readiness are the only news (kernel descriptors must be probed).
    sources: () => (kernelFds.length === 0 ? virtualSockets(ctx, watched.map((w) => w.fd)) : undefined),
    deadline: timeout === undefined ? undefined : ctx.services.time.after(timeout),
    onTimeout: () => answer(watched.map(() => 0)),
    onSignal: 'eintr',
    mask,
  });
}

function pollCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined): Outcome {
  const pid = ctx.process.pid;
  const [array, countArg] = ctx.args as [number, number];
  const count = Math.min(countArg >>> 0, 65536);
  const entries = count > 0 ? memory.read(pid, array, count * 8) : Buffer.alloc(0);
  const watched: Watched[] = [];
  const slots: number[] = [];
  for (let i = 0; i < count; i++) {
    const fd = entries.readInt32LE(i * 8);
    if (fd < 0) continue;
    watched.push({ fd, events: entries.readUInt16LE(i * 8 + 4) });
    slots.push(i);
  }
  return waitForAny(ctx, watched, timeout, (ready) => {
    for (let i = 0; i < count; i++) entries.writeUInt16LE(0, i * 8 + 6);
    ready.forEach((events, j) => entries.writeUInt16LE(events & 0xffff, slots[j]! * 8 + 6));
    if (count > 0) memory.write(pid, array, entries);
    return done(ready.filter((events) => events !== 0).length);
  }, mask);
}

function poll(ctx: SyscallContext): Outcome {
  const milliseconds = asInt(ctx.args[2]!);
  return pollCommon(ctx, milliseconds < 0 ? undefined : milliseconds / 1000, undefined);
}

function ppoll(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timeout = ctx.args[2] === 0 ? undefined : memory.timespec(pid, ctx.args[2]!);
  return pollCommon(ctx, timeout, memory.signalMask(pid, ctx.args[3]!));
}

/** select's three sets, as poll events per descriptor. */
const SET_EVENTS = [POLLIN | POLLHUP | POLLERR, POLLOUT | POLLERR, POLLPRI] as const;

function selectCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined): Outcome {
  const pid = ctx.process.pid;
  const nfds = Math.max(0, Math.min(asInt(ctx.args[0]!), 65536));
  const sets = [ctx.args[1]!, ctx.args[2]!, ctx.args[3]!];
  const bytes = Math.ceil(nfds / 64) * 8;
  const watched: Watched[] = [];
  const owners: number[] = [];
  sets.forEach((address, set) => {
    if (address === 0 || bytes === 0) return;
    const bits = memory.read(pid, address, bytes);
    for (let fd = 0; fd < nfds; fd++) {
      if ((bits[fd >> 3]! & (1 << (fd & 7))) === 0) continue;
      watched.push({ fd, events: SET_EVENTS[set]! });
      owners.push(set);
    }
  });
  for (const { fd } of watched) {
    if (ctx.process.fds.get(fd) === undefined && inspectFd(pid, fd) === null) return fail(Errno.EBADF);
  }
  return waitForAny(ctx, watched, timeout, (ready) => {
    const results = sets.map(() => Buffer.alloc(bytes));
    let count = 0;
    ready.forEach((events, j) => {
      if ((events & SET_EVENTS[owners[j]!]!) === 0) return;
      const fd = watched[j]!.fd;
      results[owners[j]!]![fd >> 3]! |= 1 << (fd & 7);
      count++;
    });
    sets.forEach((address, set) => {
      if (address !== 0 && bytes > 0) memory.write(pid, address, results[set]!);
    });
    return done(count);
  }, mask);
}

function select(ctx: SyscallContext): Outcome {
  const timeval = ctx.args[4]!;
  return selectCommon(ctx, timeval === 0 ? undefined : memory.timeval(ctx.process.pid, timeval), undefined);
}

function pselect6(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timespec = ctx.args[4]!;
  const timeout = timespec === 0 ? undefined : memory.timespec(pid, timespec);
  // The sixth argument points to { const sigset_t *ss; size_t ss_len; }.
  const maskPointer = ctx.args[5] === 0 ? 0 : Number(memory.read(pid, ctx.args[5]!, 8).readBigUInt64LE(0));
  return selectCommon(ctx, timeout, memory.signalMask(pid, maskPointer));
}

const NOTE = 'emulated over virtual sockets and kernel descriptors; waits in virtual time';

export const pollSyscalls: FamilyTable = {
  poll: { level: 'emulated', handler: poll, note: NOTE },
  ppoll: { level: 'emulated', handler: ppoll, note: NOTE },
  select: { level: 'emulated', handler: select, note: NOTE },
  pselect6: { level: 'emulated', handler: pselect6, note: NOTE },
};
