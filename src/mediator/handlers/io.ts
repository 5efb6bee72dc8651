import type { FamilyTable, SyscallContext } from '../context.js';
import { POLLIN, POLLOUT, canBlock, inspectFd, readyEvents } from '../kernel-fds.js';
import { asInt } from '../memory.js';
import { NATIVE, blocked, native, type Outcome } from '../outcome.js';
import { ptrace } from '../native.js';

/**
 * read/write and their vector and socket forms on kernel descriptors: let
 * through when they will not block, else the thread waits (in virtual time)
 * until the descriptor is ready.
 */

function waitFor(ctx: SyscallContext, fd: number, events: number): Outcome {
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

function reading(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const info = inspectFd(ctx.process.pid, fd);
  if (!canBlock(info) || readyEvents(info, POLLIN) !== 0) return NATIVE;
  return waitFor(ctx, fd, POLLIN);
}

/**
 * A write to a pipe or socket that is writable at all runs with O_NONBLOCK
 * set for the duration of the call (every other tracee is stopped, so none
 * can see the flag): the kernel writes what fits and returns a short count
 * instead of sleeping, as a blocking write cut short would.
 */
function writing(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const pid = ctx.process.pid;
  const info = inspectFd(pid, fd);
  if (!canBlock(info)) return NATIVE;
  if (readyEvents(info, POLLOUT) === 0) return waitFor(ctx, fd, POLLOUT);
  const previous = ptrace.setFdNonblocking(pid, fd, true);
  return native(() => {
    ptrace.setFdNonblocking(pid, fd, previous);
  });
}

const read = (ctx: SyscallContext): Outcome => reading(ctx);

/** MSG_DONTWAIT makes a socket call non-blocking whatever the descriptor says. */
const MSG_DONTWAIT = 0x40;
const receiving = (flagsArg: number) => (ctx: SyscallContext): Outcome =>
  (asInt(ctx.args[flagsArg]!) & MSG_DONTWAIT) !== 0 ? NATIVE : reading(ctx);

/** splice, tee, sendfile, copy_file_range: both ends must be ready, and the output end is written as write() is. */
const transferring = (input: number, output: number) => (ctx: SyscallContext): Outcome => {
  const pid = ctx.process.pid;
  const source = asInt(ctx.args[input]!);
  const sink = asInt(ctx.args[output]!);
  const sourceInfo = inspectFd(pid, source);
  if (canBlock(sourceInfo) && readyEvents(sourceInfo, POLLIN) === 0) return waitFor(ctx, source, POLLIN);
  const sinkInfo = inspectFd(pid, sink);
  if (!canBlock(sinkInfo)) return NATIVE;
  if (readyEvents(sinkInfo, POLLOUT) === 0) return waitFor(ctx, sink, POLLOUT);
  const previous = ptrace.setFdNonblocking(pid, sink, true);
  return native(() => {
    ptrace.setFdNonblocking(pid, sink, previous);
  });
};

const NOTE = 'let through when it will not block; otherwise waits in virtual time for the descriptor';

export const ioSyscalls: FamilyTable = {
  read: { level: 'mediated', handler: read, note: NOTE },
  readv: { level: 'mediated', handler: read, note: NOTE },
  write: { level: 'mediated', handler: writing, note: `${NOTE}; a write larger than the room left is cut short, as a signal would` },
  writev: { level: 'mediated', handler: writing, note: NOTE },
  recvfrom: { level: 'mediated', handler: receiving(3), note: NOTE },
  recvmsg: { level: 'mediated', handler: receiving(2), note: NOTE },
  sendto: { level: 'mediated', handler: writing, note: NOTE },
  sendmsg: { level: 'mediated', handler: writing, note: NOTE },
  accept: { level: 'mediated', handler: read, note: NOTE },
  accept4: { level: 'mediated', handler: read, note: NOTE },
  pread64: { level: 'native', note: 'files only: never blocks' },
  pwrite64: { level: 'native', note: 'files only: never blocks' },
  splice: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
  tee: { level: 'mediated', handler: transferring(0, 1), note: NOTE },
  sendfile: { level: 'mediated', handler: transferring(1, 0), note: NOTE },
  copy_file_range: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
};
