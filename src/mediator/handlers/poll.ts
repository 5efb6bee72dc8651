import type { FamilyTable, SyscallContext } from '../context.js';
import { POLLIN, POLLOUT, POLLPRI, inspectFd, readyEvents } from '../kernel-fds.js';
import { asInt, memory } from '../memory.js';
import { NATIVE, blocked, done, type Outcome } from '../outcome.js';
import { deliverableSignal } from '../signals.js';

/**
 * poll, select and epoll over kernel descriptors: when something is ready
 * (or the timeout is zero) the kernel answers at once; otherwise the thread
 * waits in virtual time, and on timeout the result is written as Linux would.
 */

interface Watched {
  fd: number;
  events: number;
}

function anyReady(pid: number, watched: readonly Watched[]): boolean {
  return watched.some(({ fd, events }) => readyEvents(inspectFd(pid, fd), events) !== 0);
}

function waitForAny(ctx: SyscallContext, watched: Watched[], timeout: number | undefined, onTimeout: () => Outcome, mask?: bigint): Outcome {
  const pid = ctx.process.pid;
  if (timeout === 0 || anyReady(pid, watched)) return NATIVE;
  // A signal deliverable under the call's own mask makes the kernel return EINTR at once.
  if (mask !== undefined && deliverableSignal(ctx.thread, mask) !== undefined) return NATIVE;
  return blocked({
    kind: 'io',
    reason: `any of fds ${watched.map((w) => w.fd).join(',') || '(none)'} in ${ctx.thread.label}`,
    isReady: () => anyReady(pid, watched),
    watch: watched.map(({ fd, events }) => ({ pid, fd, events })),
    deadline: timeout === undefined ? undefined : ctx.services.time.after(timeout),
    onTimeout,
    onSignal: 'eintr',
    mask,
  });
}

function readMask(pid: number, address: number): bigint | undefined {
  return address === 0 ? undefined : memory.read(pid, address, 8).readBigUInt64LE(0);
}

function pollCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined): Outcome {
  const pid = ctx.process.pid;
  const [array, count] = ctx.args as [number, number];
  const entries = count > 0 ? memory.read(pid, array, count * 8) : Buffer.alloc(0);
  const watched: Watched[] = [];
  for (let i = 0; i < count; i++) {
    const fd = entries.readInt32LE(i * 8);
    if (fd >= 0) watched.push({ fd, events: entries.readInt16LE(i * 8 + 4) | POLLPRI });
  }
  return waitForAny(ctx, watched, timeout, () => {
    for (let i = 0; i < count; i++) entries.writeInt16LE(0, i * 8 + 6);
    if (count > 0) memory.write(pid, array, entries);
    return done(0);
  }, mask);
}

function poll(ctx: SyscallContext): Outcome {
  const milliseconds = asInt(ctx.args[2]!);
  return pollCommon(ctx, milliseconds < 0 ? undefined : milliseconds / 1000, undefined);
}

function ppoll(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timeout = ctx.args[2] === 0 ? undefined : memory.timespec(pid, ctx.args[2]!);
  return pollCommon(ctx, timeout, readMask(pid, ctx.args[3]!));
}

function selectCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined, clearTimeout: () => void): Outcome {
  const pid = ctx.process.pid;
  const [nfds, readSet, writeSet, exceptSet] = ctx.args as [number, number, number, number];
  const bytes = Math.ceil(Math.max(0, asInt(nfds)) / 64) * 8;
  const watched: Watched[] = [];
  const sets: Array<[number, number]> = [[readSet, POLLIN], [writeSet, POLLOUT], [exceptSet, POLLPRI]];
  for (const [address, events] of sets) {
    if (address === 0 || bytes === 0) continue;
    const bits = memory.read(pid, address, bytes);
    for (let fd = 0; fd < asInt(nfds); fd++) {
      if ((bits[fd >> 3]! & (1 << (fd & 7))) !== 0) watched.push({ fd, events });
    }
  }
  return waitForAny(ctx, watched, timeout, () => {
    for (const [address] of sets) if (address !== 0 && bytes > 0) memory.write(pid, address, Buffer.alloc(bytes));
    clearTimeout();
    return done(0);
  }, mask);
}

function select(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timeval = ctx.args[4]!;
  const timeout = timeval === 0 ? undefined : memory.timeval(pid, timeval);
  return selectCommon(ctx, timeout, undefined, () => {
    if (timeval !== 0) memory.write(pid, timeval, Buffer.alloc(16));
  });
}

function pselect6(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timespec = ctx.args[4]!;
  const timeout = timespec === 0 ? undefined : memory.timespec(pid, timespec);
  // The sixth argument points to { const sigset_t *ss; size_t ss_len; }.
  const maskPointer = ctx.args[5] === 0 ? 0 : Number(memory.read(pid, ctx.args[5]!, 8).readBigUInt64LE(0));
  return selectCommon(ctx, timeout, readMask(pid, maskPointer), () => {
    if (timespec !== 0) memory.write(pid, timespec, Buffer.alloc(16));
  });
}

/** An epoll descriptor polls readable when one of its watched descriptors is ready. */
function epollCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined): Outcome {
  return waitForAny(ctx, [{ fd: asInt(ctx.args[0]!), events: POLLIN }], timeout, () => done(0), mask);
}

function epollWait(ctx: SyscallContext): Outcome {
  const milliseconds = asInt(ctx.args[3]!);
  return epollCommon(ctx, milliseconds < 0 ? undefined : milliseconds / 1000, undefined);
}

function epollPwait(ctx: SyscallContext): Outcome {
  const milliseconds = asInt(ctx.args[3]!);
  return epollCommon(ctx, milliseconds < 0 ? undefined : milliseconds / 1000, readMask(ctx.process.pid, ctx.args[4]!));
}

function epollPwait2(ctx: SyscallContext): Outcome {
  const pid = ctx.process.pid;
  const timeout = ctx.args[3] === 0 ? undefined : memory.timespec(pid, ctx.args[3]!);
  return epollCommon(ctx, timeout, readMask(pid, ctx.args[4]!));
}

const NOTE = 'answered by the kernel when something is ready; otherwise waits in virtual time';

export const pollSyscalls: FamilyTable = {
  poll: { level: 'mediated', handler: poll, note: NOTE },
  ppoll: { level: 'mediated', handler: ppoll, note: NOTE },
  select: { level: 'mediated', handler: select, note: NOTE },
  pselect6: { level: 'mediated', handler: pselect6, note: NOTE },
  epoll_wait: { level: 'mediated', handler: epollWait, note: NOTE },
  epoll_pwait: { level: 'mediated', handler: epollPwait, note: NOTE },
  epoll_pwait2: { level: 'mediated', handler: epollPwait2, note: NOTE },
};
