import { Errno } from '../../abi/errno.js';
import { gather, importBuffer, importIovecs, totalLength, traceePayload, type Iovec } from '../../abi/iovec.js';
import { POLLIN, POLLOUT } from '../../abi/poll.js';
import { syscallNumbers } from '../../abi/syscall-numbers.js';
import { TraceeFault, asInt } from '../../abi/tracee-memory.js';
import { receivePayload, sendPayload, socketFileAt } from '../../sockets/payloads.js';
import { sendFileToSocket } from '../../sockets/sendfile.js';
import { sendfileFromSocket, spliceWithSocket, teeWithSocket } from '../../sockets/splice.js';
import { canBlock, readyEvents } from '../../tracees/kernel-fds.js';
import type { FdInfo } from '../../native.js';
import type { FamilyTable, OutputPipe, SyscallContext } from '../context.js';
import { nonblockingFor, reading, waitFor, writing } from '../kernel-io.js';
import { netlinkAt, readNetlink, writeNetlink } from '../netlink-calls.js';
import { NATIVE, done, fail, nativeThen, type Outcome } from '../outcome.js';
import { isRandomDevice, randomBytesInto } from '../random-bytes.js';
import { signalfdRead } from '../signalfd-reads.js';

/**
 * read/write and their vector forms: on a virtual socket they are recv and
 * send without flags, on a random device they take the seeded generator's
 * bytes; on other kernel descriptors they are let through when they will
 * not block, else the thread waits (in virtual time) until the descriptor
 * is ready.
 */

const [READV, WRITEV, SENDFILE, SPLICE, TEE] = syscallNumbers('readv', 'writev', 'sendfile', 'splice', 'tee');

/** The call's buffers as the kernel takes them: one for read and write, an iovec array for readv and writev. */
function buffers(ctx: SyscallContext, vectored: number): Iovec[] | { errno: number } {
  return ctx.sysno === vectored ? importIovecs(ctx.memory, ctx.args[1]!, ctx.args[2]!, Errno.EINVAL) : importBuffer(ctx.args[1]!, ctx.args[2]!, false);
}

/** Kinds whose reads and writes the kernel completes at once, whatever their state, and that no handler below treats apart. */
const PLAIN_KINDS: ReadonlySet<FdInfo['kind']> = new Set(['file', 'dir', 'block']);

/**
 * What the kernel descriptor `fd` is, asked of the kernel (six syscalls of
 * the mediator's) unless the fd table remembers it as a plain file:
 * 'plain' then, its read or write the kernel's. A program reads most files
 * it opens more than once (python3's readall: the bytes, then the end).
 */
function kernelDescriptor(ctx: SyscallContext, fd: number): FdInfo | null | 'plain' {
  const fds = ctx.process.fds;
  if (fds.isPlainFile(fd)) return 'plain';
  const info = ctx.services.kernelFds.inspect(ctx.process, fd);
  if (info !== null && PLAIN_KINDS.has(info.kind)) fds.rememberPlainFile(fd);
  return info;
}

function read(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const file = socketFileAt(ctx, fd);
  const netlink = file === undefined ? netlinkAt(ctx, fd) : undefined;
  const info = file === undefined && netlink === undefined ? kernelDescriptor(ctx, fd) : undefined;
  if (info === 'plain') return NATIVE;
  // Other descriptors are the kernel's to read (and to check first: EBADF, EINVAL); it returns at once when there is nothing to read into.
  if (info !== undefined && !isRandomDevice(info)) {
    const moved = bytesToMove(ctx, READV);
    if (moved === undefined) return NATIVE;
    return info?.kind === 'signalfd' ? signalfdRead(ctx, moved, reading(ctx, info)) : reading(ctx, info);
  }
  const vectors = buffers(ctx, READV);
  if (!Array.isArray(vectors)) return fail(vectors.errno);
  // A read of nothing returns 0 at once, before any descriptor is asked for data (vfs_read, sock_read_iter).
  if (totalLength(vectors) === 0) return done(0);
  if (file !== undefined) return receivePayload(ctx, file, vectors, 0, () => undefined);
  if (netlink !== undefined) return readNetlink(ctx, netlink, vectors);
  return randomBytesInto(ctx, vectors);
}

/** The call's buffers if the kernel would get as far as moving bytes: not when it refuses them, nor for none. */
function bytesToMove(ctx: SyscallContext, vectored: number): Iovec[] | undefined {
  try {
    const vectors = buffers(ctx, vectored);
    return Array.isArray(vectors) && totalLength(vectors) > 0 ? vectors : undefined;
  } catch (error) {
    if (error instanceof TraceeFault) return undefined;
    throw error;
  }
}

function write(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const file = socketFileAt(ctx, fd);
  const netlink = file === undefined ? netlinkAt(ctx, fd) : undefined;
  if (netlink !== undefined) {
    const vectors = buffers(ctx, WRITEV);
    return Array.isArray(vectors) ? writeNetlink(ctx, netlink, vectors) : fail(vectors.errno);
  }
  const info = file === undefined ? kernelDescriptor(ctx, fd) : undefined;
  if (info === 'plain') return NATIVE;
  const output = outputPipe(ctx, info);
  if (file === undefined && output === undefined) return writing(ctx, info!);
  const vectors = buffers(ctx, WRITEV);
  if (!Array.isArray(vectors)) return fail(vectors.errno);
  // writev of nothing returns 0 before the file is asked (vfs_writev); write of nothing goes on to the socket, which may refuse it.
  if (ctx.sysno === WRITEV && totalLength(vectors) === 0) return done(0);
  if (file !== undefined) return sendPayload(ctx, file, traceePayload(ctx.memory, vectors), 0, undefined);
  // Simterpose's own output pipe: take the bytes here, whole, so output never blocks.
  const data = gather(ctx.memory, vectors);
  output!.take(ctx.process, data);
  return done(data.length);
}

/** Simterpose's own output pipe behind a descriptor, if it is one. */
function outputPipe(ctx: SyscallContext, info: FdInfo | null | undefined): OutputPipe | undefined {
  return info?.kind === 'pipe' ? ctx.services.outputs.get(`${info.dev}:${info.ino}`) : undefined;
}

/**
 * splice, tee, sendfile, copy_file_range: both ends must be ready, and the
 * output end is written as write() is. With a virtual socket at one end,
 * sendfile, splice and tee are answered in sockets/sendfile.ts and
 * sockets/splice.ts; copy_file_range takes regular files only.
 */
const transferring =
  (input: number, output: number) =>
  (ctx: SyscallContext): Outcome => {
    const kernelFds = ctx.services.kernelFds;
    const source = asInt(ctx.args[input]!);
    const sink = asInt(ctx.args[output]!);
    const sinkSocket = socketFileAt(ctx, sink);
    const sourceSocket = socketFileAt(ctx, source);
    const virtualSource = ctx.process.fds.get(source) !== undefined;
    if (ctx.sysno === SENDFILE && sourceSocket !== undefined) return sendfileFromSocket(ctx, sink, sourceSocket, ctx.args[2]!, ctx.args[3]!);
    if (ctx.sysno === SENDFILE && sinkSocket !== undefined && !virtualSource) return sendFileToSocket(ctx, sinkSocket, source, ctx.args[2]!, ctx.args[3]!);
    if (ctx.sysno === SPLICE && (sourceSocket !== undefined || sinkSocket !== undefined)) return spliceWithSocket(ctx);
    if (ctx.sysno === TEE && (sourceSocket !== undefined || sinkSocket !== undefined)) return teeWithSocket(ctx);
    // Other virtual objects have no kernel pages to splice: programs fall back to read and write.
    if (virtualSource || ctx.process.fds.get(sink) !== undefined) return fail(Errno.EINVAL);
    const sourceInfo = kernelFds.inspect(ctx.process, source);
    if (canBlock(sourceInfo) && readyEvents(sourceInfo, POLLIN) === 0) return waitFor(ctx, source, POLLIN);
    const sinkInfo = kernelFds.inspect(ctx.process, sink);
    const ownPipe = outputPipe(ctx, sinkInfo);
    if (ownPipe !== undefined) {
      // Simterpose's own output pipe, emptied after every such call: the kernel fills what room it has, without waiting, and what it wrote goes to the writer's output.
      const previous = kernelFds.setNonblocking(ctx.process, sink, true);
      return nativeThen(() => {
        kernelFds.setNonblocking(ctx.process, sink, previous);
        ownPipe.drain(ctx.process);
      });
    }
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
  splice: {
    blocks: true,
    level: 'mediated',
    handler: transferring(0, 2),
    note: `${NOTE}; between a pipe and a virtual socket, the bytes are sent or received as send and recv would`,
  },
  tee: { blocks: true, level: 'mediated', handler: transferring(0, 1), note: `${NOTE}; with a virtual socket, EINVAL as on Linux (tee takes pipes only)` },
  sendfile: {
    blocks: true,
    level: 'mediated',
    handler: transferring(1, 0),
    note: `${NOTE}; into a virtual socket, a regular file's bytes are sent; from a virtual socket into a pipe, received as splice would`,
  },
  copy_file_range: { blocks: true, level: 'mediated', handler: transferring(0, 2), note: NOTE },
};
