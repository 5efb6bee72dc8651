import type { FamilyTable, SyscallContext } from '../context.js';
import { POLLIN, POLLOUT, canBlock, inspectFd, readyEvents } from '../../tracees/kernel-fds.js';
import { asInt } from '../../tracees/memory.js';
import { NATIVE, done, fail, nativeThen, type Outcome } from '../outcome.js';
import { Errno } from '../../abi/errno.js';
import { ptrace } from '../../native.js';
import { gather, readIovecs, type Iovec } from '../../abi/tracee-buffers.js';
import { reading, waitFor, writing } from '../kernel-io.js';
import { receivePayload, sendPayload, socketFileAt } from './socket.js';
import { isRandomDevice, readRandomDevice } from './random.js';

/**
 * read/write and their vector and socket forms on kernel descriptors: let
 * through when they will not block, else the thread waits (in virtual time)
 * until the descriptor is ready.
 */

/** read/readv on a virtual socket are recv without flags, on a random device they take the seeded generator's bytes; anything else is a kernel descriptor. */
function read(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const vectors = (): Iovec[] => (ctx.sysno === READV ? readIovecs(ctx.process.pid, ctx.args[1]!, asInt(ctx.args[2]!)) : [{ base: ctx.args[1]!, length: ctx.args[2]! }]);
  const file = socketFileAt(ctx, fd);
  if (file !== undefined) return receivePayload(ctx, file, vectors(), 0, () => undefined);
  const info = inspectFd(ctx.process.pid, fd);
  if (isRandomDevice(info)) return readRandomDevice(ctx, vectors());
  return reading(ctx, info);
}

function write(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const pid = ctx.process.pid;
  const vectors = (): Iovec[] => (ctx.sysno === WRITEV ? readIovecs(pid, ctx.args[1]!, asInt(ctx.args[2]!)) : [{ base: ctx.args[1]!, length: ctx.args[2]! }]);
  const file = socketFileAt(ctx, fd);
  if (file !== undefined) return sendPayload(ctx, file, vectors(), 0, undefined);
  const info = inspectFd(pid, fd);
  const output = info?.kind === 'pipe' ? ctx.services.outputs.get(`${info.dev}:${info.ino}`) : undefined;
  if (output === undefined) return writing(ctx, info);
  // Simterpose's own output pipe: take the bytes here, whole, so output never blocks.
  const data = gather(pid, vectors());
  output(ctx.process, data);
  return done(data.length);
}

const READV = 19;
const WRITEV = 20;

/** splice, tee, sendfile, copy_file_range: both ends must be ready, and the output end is written as write() is. */
const transferring = (input: number, output: number) => (ctx: SyscallContext): Outcome => {
  const pid = ctx.process.pid;
  const source = asInt(ctx.args[input]!);
  const sink = asInt(ctx.args[output]!);
  // Virtual sockets have no kernel pages to splice: programs fall back to read and write.
  if (ctx.process.fds.get(source) !== undefined || ctx.process.fds.get(sink) !== undefined) return fail(Errno.EINVAL);
  const sourceInfo = inspectFd(pid, source);
  if (canBlock(sourceInfo) && readyEvents(sourceInfo, POLLIN) === 0) return waitFor(ctx, source, POLLIN);
  const sinkInfo = inspectFd(pid, sink);
  if (!canBlock(sinkInfo)) return NATIVE;
  if (readyEvents(sinkInfo, POLLOUT) === 0) return waitFor(ctx, sink, POLLOUT);
  const previous = ptrace.setFdNonblocking(pid, sink, true);
  return nativeThen(() => {
    ptrace.setFdNonblocking(pid, sink, previous);
  });
};

const NOTE = 'let through when it will not block; otherwise waits in virtual time for the descriptor';

export const ioSyscalls: FamilyTable = {
  read: { level: 'mediated', handler: read, note: NOTE },
  readv: { level: 'mediated', handler: read, note: NOTE },
  write: { level: 'mediated', handler: write, note: `${NOTE}; a write larger than the room left is cut short, as a signal would` },
  writev: { level: 'mediated', handler: write, note: NOTE },
  pread64: { level: 'native', note: 'files only: never blocks' },
  pwrite64: { level: 'native', note: 'files only: never blocks' },
  splice: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
  tee: { level: 'mediated', handler: transferring(0, 1), note: NOTE },
  sendfile: { level: 'mediated', handler: transferring(1, 0), note: NOTE },
  copy_file_range: { level: 'mediated', handler: transferring(0, 2), note: NOTE },
};
