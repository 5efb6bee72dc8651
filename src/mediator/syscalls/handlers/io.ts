import { Errno } from '../../abi/errno.js';
import { gather, readIovecs, totalLength, type Iovec } from '../../abi/iovec.js';
import { POLLIN, POLLOUT } from '../../abi/poll.js';
import { syscallNumbers } from '../../abi/syscall-numbers.js';
import { asInt } from '../../abi/tracee-memory.js';
import { receivePayload, sendPayload, socketFileAt } from '../../sockets/payloads.js';
import { canBlock, readyEvents } from '../../tracees/kernel-fds.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { nonblockingFor, reading, waitFor, writing } from '../kernel-io.js';
import { netlinkAt, readNetlink, writeNetlink } from '../netlink-calls.js';
import { NATIVE, done, fail, type Outcome } from '../outcome.js';
import { isRandomDevice, randomBytesInto } from '../random-bytes.js';

/**
 * read/write and their vector forms: on a virtual socket they are recv and
 * send without flags, on a random device they take the seeded generator's
 * bytes; on other kernel descriptors they are let through when they will
 * not block, else the thread waits (in virtual time) until the descriptor
 * is ready.
 */

const [READV, WRITEV] = syscallNumbers('readv', 'writev');

/** The call's buffers: one for read and write, an iovec array for readv and writev. */
function buffers(ctx: SyscallContext, vectored: number): Iovec[] {
  return ctx.sysno === vectored ? readIovecs(ctx.memory, ctx.args[1]!, asInt(ctx.args[2]!)) : [{ base: ctx.args[1]!, length: ctx.args[2]! }];
}

function read(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const vectors = buffers(ctx, READV);
  const file = socketFileAt(ctx, fd);
  // A read of nothing returns 0 at once, before any descriptor is asked for data (vfs_read, sock_read_iter).
  if (totalLength(vectors) === 0) return file === undefined ? NATIVE : done(0);
  if (file !== undefined) return receivePayload(ctx, file, vectors, 0, () => undefined);
  const netlink = netlinkAt(ctx, fd);
  if (netlink !== undefined) return readNetlink(ctx, netlink, vectors);
  const info = ctx.services.kernelFds.inspect(ctx.process, fd);
  if (isRandomDevice(info)) return randomBytesInto(ctx, vectors);
  return reading(ctx, info);
}

function write(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const file = socketFileAt(ctx, fd);
  if (file !== undefined) return sendPayload(ctx, file, buffers(ctx, WRITEV), 0, undefined);
  const netlink = netlinkAt(ctx, fd);
  if (netlink !== undefined) return writeNetlink(ctx, netlink, buffers(ctx, WRITEV));
  const info = ctx.services.kernelFds.inspect(ctx.process, fd);
  const output = info?.kind === 'pipe' ? ctx.services.outputs.get(`${info.dev}:${info.ino}`) : undefined;
  if (output === undefined) return writing(ctx, info);
  // Simterpose's own output pipe: take the bytes here, whole, so output never blocks.
  const data = gather(ctx.memory, buffers(ctx, WRITEV));
  output(ctx.process, data);
  return done(data.length);
}

/** splice, tee, sendfile, copy_file_range: both ends must be ready, and the output end is written as write() is. */
const transferring =
  (input: number, output: number) =>
  (ctx: SyscallContext): Outcome => {
    const kernelFds = ctx.services.kernelFds;
    const source = asInt(ctx.args[input]!);
    const sink = asInt(ctx.args[output]!);
    // Virtual sockets have no kernel pages to splice: programs fall back to read and write.
    if (ctx.process.fds.get(source) !== undefined || ctx.process.fds.get(sink) !== undefined) return fail(Errno.EINVAL);
    const sourceInfo = kernelFds.inspect(ctx.process, source);
    if (canBlock(sourceInfo) && readyEvents(sourceInfo, POLLIN) === 0) return waitFor(ctx, source, POLLIN);
    const sinkInfo = kernelFds.inspect(ctx.process, sink);
    if (!canBlock(sinkInfo)) return NATIVE;
    if (readyEvents(sinkInfo, POLLOUT) === 0) return waitFor(ctx, sink, POLLOUT);
    return nonblockingFor(ctx, sink);
  };

const NOTE = 'let through when it will not block; otherwise waits in virtual time for the descriptor';

export const ioSyscalls: FamilyTable = {
  read: { blocks: true, level: 'mediated', handler: read, note: NOTE },
  readv: { blocks: true, level: 'mediated', handler: read, note: NOTE },
  write: { blocks: true, level: 'mediated', handler: write, note: `${NOTE}; a write larger than the room left is cut short, as a signal would` },
  writev: { blocks: true, level: 'mediated', handler: write, note: NOTE },
  pread64: { level: 'native', note: 'files only: never blocks' },
  pwrite64: { level: 'native', note: 'files only: never blocks' },
  splice: { blocks: true, level: 'mediated', handler: transferring(0, 2), note: NOTE },
  tee: { blocks: true, level: 'mediated', handler: transferring(0, 1), note: NOTE },
  sendfile: { blocks: true, level: 'mediated', handler: transferring(1, 0), note: NOTE },
  copy_file_range: { blocks: true, level: 'mediated', handler: transferring(0, 2), note: NOTE },
};
