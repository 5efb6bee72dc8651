import type { FamilyTable, SyscallContext } from '../context.js';
import { POLLIN, POLLOUT, canBlock, inspectFd, readyEvents, type FdInfo } from '../kernel-fds.js';
import { asInt, memory } from '../memory.js';
import { NATIVE, blocked, type Outcome } from '../outcome.js';
import { ptrace } from '../native.js';

/**
 * read/write and their vector and socket forms on kernel descriptors: let
 * through when they will not block, else the thread waits (in virtual time)
 * until the descriptor is ready. A blocking write larger than the room left
 * in a pipe is shortened to that room, as a signal would have cut it.
 */

function waitFor(ctx: SyscallContext, fd: number, events: number, isReady?: () => boolean): Outcome {
  const pid = ctx.process.pid;
  const what = events === POLLIN ? 'readable' : 'writable';
  return blocked({
    kind: 'io',
    reason: `fd ${fd} to become ${what} in ${ctx.thread.label}`,
    isReady: isReady ?? (() => readyEvents(inspectFd(pid, fd), events) !== 0),
    watch: [{ pid, fd, events }],
    onSignal: 'restartable',
  });
}

function reading(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const info = inspectFd(ctx.process.pid, fd);
  if (!canBlock(info) || readyEvents(info, POLLIN) !== 0) return NATIVE;
  return waitFor(ctx, fd, POLLIN);
}

function writing(ctx: SyscallContext, length: number): Outcome {
  const fd = asInt(ctx.args[0]!);
  const info = inspectFd(ctx.process.pid, fd);
  if (!canBlock(info)) return NATIVE;
  if (info.kind === 'pipe') {
    const room = pipeRoom(info);
    if (info.hangup || room >= length) return NATIVE;
    if (room <= 0) {
      const pid = ctx.process.pid;
      return waitFor(ctx, fd, POLLOUT, () => {
        const now = inspectFd(pid, fd);
        return now === null || now.hangup || pipeRoom(now) > 0;
      });
    }
    return shortened(ctx, room);
  }
  return readyEvents(info, POLLOUT) !== 0 ? NATIVE : waitFor(ctx, fd, POLLOUT);
}

const PAGE = 4096;

/**
 * Bytes a write can surely add to a pipe without sleeping. A pipe holds
 * `capacity / PAGE` page slots; every slot but the first (partly read) and
 * the last (partly written) is full, so the bytes queued use at most
 * ceil(queued / PAGE) + 1 slots.
 */
function pipeRoom(info: FdInfo): number {
  if (info.available === 0) return info.capacity;
  return info.capacity - PAGE * (Math.ceil(info.available / PAGE) + 1);
}

/**
 * The write shortened to what fits: write(fd, buf, room), or for writev the
 * first segment's start, as a signal would have cut it short.
 */
function shortened(ctx: SyscallContext, room: number): Outcome {
  const [fd, buffer, count] = ctx.args as [number, number, number];
  if (ctx.sysno === WRITE) {
    ptrace.setSyscall(ctx.thread.tid, WRITE, [fd, buffer, Math.min(count, room), 0, 0, 0]);
    return NATIVE;
  }
  const first = memory.read(ctx.process.pid, buffer, 16);
  const base = Number(first.readBigUInt64LE(0));
  const length = Number(first.readBigUInt64LE(8));
  ptrace.setSyscall(ctx.thread.tid, WRITE, [fd, base, Math.min(length, room), 0, 0, 0]);
  return NATIVE;
}

const WRITE = 1;

function iovecTotal(pid: number, iov: number, count: number): number {
  if (count <= 0 || count > 1024) return 0;
  const vector = memory.read(pid, iov, count * 16);
  let total = 0;
  for (let i = 0; i < count; i++) total += Number(vector.readBigUInt64LE(i * 16 + 8));
  return total;
}

/** sendmsg's payload size: the iovec of its struct msghdr. */
function msghdrTotal(pid: number, msghdr: number): number {
  const header = memory.read(pid, msghdr, 32);
  return iovecTotal(pid, Number(header.readBigUInt64LE(16)), Number(header.readBigUInt64LE(24)));
}

const read = (ctx: SyscallContext): Outcome => reading(ctx);
const write = (ctx: SyscallContext): Outcome => writing(ctx, ctx.args[2]!);
const writev = (ctx: SyscallContext): Outcome => writing(ctx, iovecTotal(ctx.process.pid, ctx.args[1]!, asInt(ctx.args[2]!)));
const sendto = (ctx: SyscallContext): Outcome => writing(ctx, ctx.args[2]!);
const sendmsg = (ctx: SyscallContext): Outcome => writing(ctx, msghdrTotal(ctx.process.pid, ctx.args[1]!));

/** MSG_DONTWAIT makes a socket call non-blocking whatever the descriptor says. */
const MSG_DONTWAIT = 0x40;
const receiving = (flagsArg: number) => (ctx: SyscallContext): Outcome =>
  (asInt(ctx.args[flagsArg]!) & MSG_DONTWAIT) !== 0 ? NATIVE : reading(ctx);

/** splice, tee, sendfile, copy_file_range: both ends must be ready. */
const transferring = (input: number, output: number) => (ctx: SyscallContext): Outcome => {
  const pid = ctx.process.pid;
  for (const [fd, events] of [[asInt(ctx.args[input]!), POLLIN], [asInt(ctx.args[output]!), POLLOUT]] as const) {
    const info = inspectFd(pid, fd);
    if (canBlock(info) && readyEvents(info, events) === 0) return waitFor(ctx, fd, events);
  }
  return NATIVE;
};

const NOTE = 'let through when it will not block; otherwise waits in virtual time for the descriptor';

export const ioSyscalls: FamilyTable = {
  read: { level: 'mediated', handler: read, note: NOTE },
  readv: { level: 'mediated', handler: read, note: NOTE },
  write: { level: 'mediated', handler: write, note: `${NOTE}; a pipe write longer than its free room is shortened` },
  writev: { level: 'mediated', handler: writev, note: NOTE },
  recvfrom: { level: 'mediated', handler: receiving(3), note: NOTE },
  recvmsg: { level: 'mediated', handler: receiving(2), note: NOTE },
  sendto: { level: 'mediated', handler: sendto, note: NOTE },
  sendmsg: { level: 'mediated', handler: sendmsg, note: NOTE },
  accept: { level: 'mediated', handler: read, note: NOTE },
  accept4: { level: 'mediated', handler: read, note: NOTE },
  pread64: { level: 'native', note: 'files only: never blocks' },
  pwrite64: { level: 'native', note: 'files only: never blocks' },
  splice: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
  tee: { level: 'mediated', handler: transferring(0, 1), note: NOTE },
  sendfile: { level: 'mediated', handler: transferring(1, 0), note: NOTE },
  copy_file_range: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
};
