import { isError, StreamSocket, type Payload } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { MAX_RW_COUNT } from '../abi/iovec.js';
import { POLLIN, POLLOUT } from '../abi/poll.js';
import { SIGPIPE } from '../abi/signal.js';
import { MSG_MORE } from '../abi/socket.js';
import { asInt, asUint, readI64 } from '../abi/tracee-memory.js';
import type { SyscallContext } from '../syscalls/context.js';
import { waitFor } from '../syscalls/kernel-io.js';
import { done, fail, type Outcome } from '../syscalls/outcome.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { errnoOf, sendPayload, waitUnless } from './payloads.js';
import { SocketFile } from './socket-file.js';

/**
 * splice, tee and sendfile with a virtual socket at one end. A virtual
 * socket has no kernel pages to splice, so its bytes go through simterpose:
 * from a pipe they are read (on a duplicate of the tracee's descriptor) only
 * as far as the connection takes them, and sent as send() sends; into a pipe
 * they are received as recv() receives, no more than the pipe takes. A UDP
 * socket sends what one call takes from the pipe as one datagram, and gives
 * one datagram per call, as Linux's splice_to_socket and copy_splice_read
 * do. The checks come in the order of Linux's sys_splice, do_tee and
 * do_sendfile.
 */

const SPLICE_F_NONBLOCK = 0x2;
const SPLICE_F_MORE = 0x4;
/** SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT. */
const SPLICE_F_ALL = 0xf;

/** One end as splice sees it: a virtual socket (or another virtual object), or a kernel descriptor. */
interface End {
  socket: OpenFile<SocketFile> | undefined;
  pipe: boolean;
  readable: boolean;
  writable: boolean;
}

/** The end behind `fd`; undefined when there is no such descriptor. */
function endAt(ctx: SyscallContext, fd: number): End | undefined {
  const file = ctx.process.fds.get(fd);
  if (file !== undefined) {
    const socket = file.object instanceof SocketFile ? (file as OpenFile<SocketFile>) : undefined;
    return { socket, pipe: false, readable: true, writable: true };
  }
  const files = ctx.services.kernelFds;
  const source = files.fileSource(ctx.process, fd);
  if (source === null) return undefined;
  return { socket: undefined, pipe: files.inspect(ctx.process, fd)?.kind === 'pipe', readable: source.readable, writable: source.writable };
}

/** splice(fd_in, off_in, fd_out, off_out, len, flags) where one end is a virtual socket. */
export function spliceWithSocket(ctx: SyscallContext): Outcome {
  const [inFd, offIn, outFd, offOut, len, rawFlags] = ctx.args as number[];
  const flags = asUint(rawFlags!);
  if (len === 0) return done(0);
  if ((flags & ~SPLICE_F_ALL) !== 0) return fail(Errno.EINVAL);
  const input = endAt(ctx, asInt(inFd!));
  const output = input === undefined ? undefined : endAt(ctx, asInt(outFd!));
  if (input === undefined || output === undefined) return fail(Errno.EBADF);
  // __do_splice: a pipe has no offset; the others' are read (EFAULT) before do_splice looks at the ends.
  if ((input.pipe && offIn !== 0) || (output.pipe && offOut !== 0)) return fail(Errno.ESPIPE);
  if (offOut !== 0) readI64(ctx.memory, offOut!);
  if (offIn !== 0) readI64(ctx.memory, offIn!);
  if (!input.readable || !output.writable) return fail(Errno.EBADF);
  // A socket has no offset of its own (no FMODE_PREAD, FMODE_PWRITE); rw_verify_area refuses a length negative as an ssize_t.
  if (input.pipe && output.socket !== undefined) {
    if (offOut !== 0 || len! < 0) return fail(Errno.EINVAL);
    return spliceToSocket(ctx, asInt(inFd!), output.socket, Math.min(len!, MAX_RW_COUNT), flags);
  }
  if (output.pipe && input.socket !== undefined) {
    if (offIn !== 0) return fail(Errno.EINVAL);
    return spliceFromSocket(ctx, input.socket, asInt(outFd!), len!, (flags & SPLICE_F_NONBLOCK) !== 0);
  }
  // Neither end a pipe (a socket and a file, two sockets...).
  return fail(Errno.EINVAL);
}

/** tee(fd_in, fd_out, len, flags) where one end is a virtual socket: it duplicates pipes only. */
export function teeWithSocket(ctx: SyscallContext): Outcome {
  const [inFd, outFd, len, rawFlags] = ctx.args as number[];
  if ((asUint(rawFlags!) & ~SPLICE_F_ALL) !== 0) return fail(Errno.EINVAL);
  if (len === 0) return done(0);
  const input = endAt(ctx, asInt(inFd!));
  const output = input === undefined ? undefined : endAt(ctx, asInt(outFd!));
  if (input === undefined || output === undefined || !input.readable || !output.writable) return fail(Errno.EBADF);
  return fail(Errno.EINVAL);
}

/**
 * sendfile(out_fd, in_fd, offset, count) from a virtual socket: into a pipe
 * it is splice from the socket (do_sendfile's splice_file_to_pipe); into
 * anything else it is EINVAL, the input being no regular file.
 */
export function sendfileFromSocket(ctx: SyscallContext, outFd: number, source: OpenFile<SocketFile>, offsetPointer: number, count: number): Outcome {
  // sys_sendfile64 reads *offset first; a socket has none of its own (no FMODE_PREAD).
  if (offsetPointer !== 0) {
    readI64(ctx.memory, offsetPointer);
    return fail(Errno.ESPIPE);
  }
  if (count < 0) return fail(Errno.EINVAL);
  const output = endAt(ctx, outFd);
  if (output === undefined || !output.writable) return fail(Errno.EBADF);
  if (!output.pipe) return fail(Errno.EINVAL);
  return spliceFromSocket(ctx, source, outFd, count, false);
}

/**
 * Bytes of the pipe `pipeFd` into a virtual socket (splice_to_socket): an
 * empty pipe gives 0 once it has no writer, EAGAIN when non-blocking (the
 * flag or the pipe's own O_NONBLOCK), else the thread waits for bytes; then
 * up to `len` of them are sent as send() sends them, blocking per the
 * socket's O_NONBLOCK, with EPIPE and SIGPIPE alike (a UDP socket: as one
 * datagram, refused whole by EDESTADDRREQ, EMSGSIZE...). The pipe gives up
 * only the bytes the socket took: the payload reads them as they are copied.
 */
function spliceToSocket(ctx: SyscallContext, pipeFd: number, sink: OpenFile<SocketFile>, len: number, flags: number): Outcome {
  const files = ctx.services.kernelFds;
  const already = ctx.state.sent ?? 0;
  const pipe = files.inspect(ctx.process, pipeFd)!;
  if (pipe.available === 0 && already === 0) {
    // POLLHUP on a read end: no writer is left.
    if (pipe.hangup) return done(0);
    if ((flags & SPLICE_F_NONBLOCK) !== 0 || pipe.nonblocking) return fail(Errno.EAGAIN);
    return waitFor(ctx, pipeFd, POLLIN);
  }
  const payload: Payload = {
    length: already + Math.min(len - already, pipe.available),
    // The connection copies its bytes in order, each once: reading the pipe takes them in that order (`from` is where the pipe's front is).
    copy(target) {
      const read = files.readPipe(ctx.process, pipeFd, target);
      target.fill(0, read);
    },
  };
  return sendPayload(ctx, sink, payload, (flags & SPLICE_F_MORE) !== 0 ? MSG_MORE : 0, undefined);
}

/**
 * Bytes of a virtual socket into the pipe `pipeFd` (splice_file_to_pipe): a
 * pipe without readers is EPIPE with SIGPIPE, a full one EAGAIN when
 * non-blocking (the flag or the pipe's O_NONBLOCK), else the thread waits
 * for room; then up to `len` bytes, no more than the pipe has room for, are
 * received as recv() receives them (waiting for data unless the socket is
 * O_NONBLOCK, as tcp_splice_read does whatever the flags; 0 at EOF). The
 * socket gives up only the bytes the pipe took.
 */
function spliceFromSocket(ctx: SyscallContext, source: OpenFile<SocketFile>, pipeFd: number, len: number, nonblockingFlag: boolean): Outcome {
  const files = ctx.services.kernelFds;
  const pipe = files.inspect(ctx.process, pipeFd)!;
  const nonblocking = nonblockingFlag || pipe.nonblocking;
  // POLLERR on a write end: no reader is left.
  if (pipe.hangup) {
    ctx.services.signals.toThread(ctx.thread, SIGPIPE);
    return fail(Errno.EPIPE);
  }
  if (!pipe.writable) return nonblocking ? fail(Errno.EAGAIN) : waitFor(ctx, pipeFd, POLLOUT);
  if (len === 0) return done(0);
  const { socket, carrier } = source.object;
  // A length negative as a long is a size_t past any pipe's room.
  const max = Math.min(len < 0 ? MAX_RW_COUNT : len, MAX_RW_COUNT, pipe.capacity - pipe.available);
  if (!(socket instanceof StreamSocket)) return datagramIntoPipe(ctx, source, pipeFd, max, nonblocking);
  const dataReady = () => socket.recvReady(max, false);
  if (!dataReady()) {
    const error = socket.takeError();
    if (error !== undefined) return fail(Errno[error] ?? Errno.EIO!);
    return waitUnless(ctx, source, 0, dataReady, 'data to splice');
  }
  const count = socket.receivable(max);
  if (isError(count)) return count.code === 'EAGAIN' ? waitUnless(ctx, source, 0, dataReady, 'data to splice') : errnoOf(count);
  const bytes = Buffer.concat(carrier.receive(count, true));
  const written = bytes.length === 0 ? 0 : files.writePipe(ctx.process, pipeFd, bytes);
  // The pipe filled meanwhile (another writer's bytes took its room): wait for room again.
  if (written === 0 && bytes.length > 0) return nonblocking ? fail(Errno.EAGAIN) : waitFor(ctx, pipeFd, POLLOUT);
  carrier.receive(written, false);
  return filledPipe(ctx, pipeFd, written);
}

/**
 * The next datagram of a UDP socket into the pipe `pipeFd`, which has room
 * for `max` bytes or more (copy_splice_read, a recvmsg): cut to `max`, the
 * rest of it dropped as recv drops it; an empty datagram gives 0. An empty
 * socket is waited for unless it is O_NONBLOCK, whatever the flags, as Linux
 * reads it; a pending error (an ICMP port unreachable) is reported.
 */
function datagramIntoPipe(ctx: SyscallContext, source: OpenFile<SocketFile>, pipeFd: number, max: number, nonblocking: boolean): Outcome {
  const { socket, carrier } = source.object;
  const next = carrier.recvFrom(max, true);
  if (isError(next)) {
    if (next.code !== 'EAGAIN') return errnoOf(next);
    return waitUnless(ctx, source, 0, () => socket.readiness().readable || socket.readiness().error, 'a datagram to splice');
  }
  const written = next.data.length === 0 ? 0 : ctx.services.kernelFds.writePipe(ctx.process, pipeFd, next.data);
  // The pipe filled meanwhile (another writer's bytes took its room): the datagram stays, and the call waits for room.
  if (written === 0 && next.data.length > 0) return nonblocking ? fail(Errno.EAGAIN) : waitFor(ctx, pipeFd, POLLOUT);
  carrier.recvFrom(max, false);
  return filledPipe(ctx, pipeFd, written);
}

/** `written` bytes went into the pipe `pipeFd`. */
function filledPipe(ctx: SyscallContext, pipeFd: number, written: number): Outcome {
  const pipe = ctx.services.kernelFds.inspect(ctx.process, pipeFd)!;
  // Simterpose's own output pipe (the tracee's stdout or stderr): what reached it is the process's output as of now, as after kernel splices (handlers/io.ts).
  ctx.services.outputs.get(`${pipe.dev}:${pipe.ino}`)?.drain(ctx.process);
  return done(written);
}
