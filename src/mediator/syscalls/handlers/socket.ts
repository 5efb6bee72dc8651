import { isError, StreamSocket, type Endpoint, type SocketError } from '../../../net/index.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { OpenFile } from '../../tracees/fd-table.js';
import { asInt, memory } from '../../tracees/memory.js';
import { ptrace } from '../../native.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';
import type { Thread } from '../../tracees/tracees.js';
import { finishMsghdr, gather, readMsghdr, readSockaddr, scatter, totalLength, traceePayload, writeSockaddr, type Iovec } from '../../abi/tracee-buffers.js';
import { addressTranslation } from '../../sockets/address-translation.js';
import { fullMediation, type DataPath } from '../../sockets/data-path.js';
import { SocketFile } from '../../sockets/socket-file.js';
import { reading, writing } from '../kernel-io.js';

/**
 * AF_INET sockets over the virtual network (src/net), whose transfers are
 * SimGrid comms: every operation is decided there. What the tracee's
 * descriptor is and where the bytes travel is the data path's business
 * (`--network`): full mediation (a placeholder descriptor, bytes copied by
 * the mediator) or address translation (a kernel loopback socket carrying
 * them).
 */
const AF_INET = 2;
const AF_INET6 = 10;
const SOCK_STREAM = 1;
const SOCK_DGRAM = 2;
const SOCK_TYPE_MASK = 0xf;

const MSG_PEEK = 0x2;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const MSG_WAITALL = 0x100;
const MSG_NOSIGNAL = 0x4000;
const SIGPIPE = 13;

const SOL_SOCKET = 1;
const SO_TYPE = 3;
const SO_ERROR = 4;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
const SO_REUSEADDR = 2;
const SO_REUSEPORT = 15;
const SO_ACCEPTCONN = 30;
const SO_PROTOCOL = 38;
const SO_DOMAIN = 39;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPPROTO_IPV6 = 41;

export function socketFileAt(ctx: SyscallContext, fd: number): OpenFile<SocketFile> | undefined {
  const file = ctx.process.fds.get(fd);
  return file?.object instanceof SocketFile ? (file as OpenFile<SocketFile>) : undefined;
}

export function errnoOf(error: SocketError): Outcome {
  return fail(Errno[error.code] ?? Errno.EINVAL);
}

/**
 * EAGAIN for a non-blocking call; otherwise the thread waits until `isReady`
 * and tries again. `isReady` is checked again only when the socket's
 * readiness changes, unless `finerThanReadiness` (MSG_WAITALL's byte count).
 */
function waitUnless(ctx: SyscallContext, file: OpenFile<SocketFile>, flags: number, isReady: () => boolean, what: string, finerThanReadiness = false): Outcome {
  if (file.nonblocking || (flags & MSG_DONTWAIT) !== 0) return fail(Errno.EAGAIN);
  const sources = finerThanReadiness ? undefined : () => [file.object.socket];
  return blocked({ kind: 'io', reason: `${what} in ${ctx.thread.label}`, isReady, watch: [], sources, onSignal: 'restartable' });
}

function dataPath(ctx: SyscallContext): DataPath {
  return ctx.services.network.mode === 'full' ? fullMediation : addressTranslation;
}

function socket(ctx: SyscallContext): Outcome {
  const [domain, typeArg, protocol] = ctx.args.map(asInt) as [number, number, number];
  if (domain === AF_INET6) return fail(Errno.EAFNOSUPPORT);
  if (domain !== AF_INET) return NATIVE;
  const type = typeArg & SOCK_TYPE_MASK;
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM) return fail(Errno.EPROTONOSUPPORT ?? Errno.EINVAL);
  if (protocol !== 0 && protocol !== (type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP)) return fail(Errno.EPROTONOSUPPORT ?? Errno.EINVAL);
  const network = ctx.services.network;
  const host = ctx.process.host;
  return dataPath(ctx).open(ctx, typeArg, () => (type === SOCK_STREAM ? network.streamSocket(host) : network.datagramSocket(host)));
}

function socketpair(ctx: SyscallContext): Outcome {
  return asInt(ctx.args[0]!) === AF_INET ? fail(Errno.EOPNOTSUPP) : NATIVE;
}

function bind(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const endpoint = readSockaddr(ctx.process.pid, ctx.args[1]!, asInt(ctx.args[2]!));
  if (isError(endpoint)) return errnoOf(endpoint);
  const error = file.object.socket.bind(endpoint);
  return error === undefined ? done(0) : errnoOf(error);
}

function listen(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  if (!(socket instanceof StreamSocket)) return fail(Errno.EOPNOTSUPP);
  const backlog = asInt(ctx.args[1]!);
  const error = socket.listen(backlog);
  if (error !== undefined) return errnoOf(error);
  file.object.carrier.listening(backlog);
  return done(0);
}

function accept(ctx: SyscallContext, flags: number): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return reading(ctx);
  const listener = file.object.socket;
  if (!(listener instanceof StreamSocket)) return fail(Errno.EOPNOTSUPP);
  const child = listener.accept();
  if (isError(child)) {
    if (child.code !== 'EAGAIN') return errnoOf(child);
    return waitUnless(ctx, file, 0, () => listener.readiness().readable, 'a connection to accept');
  }
  return dataPath(ctx).accept(ctx, flags, file.object, child);
}

/** A blocking connect in progress, per thread: the retry after the wait reports how it ended. */
const connecting = new WeakMap<Thread, StreamSocket>();

function connect(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  const pid = ctx.process.pid;
  const length = asInt(ctx.args[2]!);
  if (!(socket instanceof StreamSocket)) {
    // AF_UNSPEC dissolves a datagram socket's association.
    const family = length >= 2 ? memory.read(pid, ctx.args[1]!, 2).readUInt16LE(0) : -1;
    const endpoint = family === 0 ? null : readSockaddr(pid, ctx.args[1]!, length);
    if (endpoint !== null && isError(endpoint)) return errnoOf(endpoint);
    const error = socket.connect(endpoint);
    return error === undefined ? done(0) : errnoOf(error);
  }
  if (connecting.get(ctx.thread) === socket) {
    const state = socket.connection();
    if (state === 'connecting') return waitForConnection(ctx, socket);
    connecting.delete(ctx.thread);
    if (state === 'connected') return done(0);
    const error = socket.takeError();
    return fail(Errno[error ?? 'ECONNREFUSED'] ?? Errno.ECONNREFUSED!);
  }
  const endpoint = readSockaddr(pid, ctx.args[1]!, length);
  if (isError(endpoint)) return errnoOf(endpoint);
  const result = socket.connect(endpoint);
  if (result.code !== 'EINPROGRESS' || file.nonblocking) return errnoOf(result);
  connecting.set(ctx.thread, socket);
  return waitForConnection(ctx, socket);
}

function waitForConnection(ctx: SyscallContext, socket: StreamSocket): Outcome {
  return blocked({ kind: 'io', reason: `a connection to be established in ${ctx.thread.label}`, isReady: () => socket.connection() !== 'connecting', watch: [], sources: () => [socket], onSignal: 'restartable' });
}

function endpointOf(ctx: SyscallContext, which: 'local' | 'remote'): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  const endpoint = which === 'local' ? (socket.local ?? { address: '0.0.0.0', port: 0 }) : socket.remote;
  if (endpoint === undefined) return fail(Errno.ENOTCONN);
  writeSockaddr(ctx.process.pid, ctx.args[1]!, ctx.args[2]!, endpoint);
  return done(0);
}

function setsockopt(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const [, levelArg, nameArg, value, lengthArg] = ctx.args as number[] as [number, number, number, number, number];
  const level = asInt(levelArg);
  const name = asInt(nameArg);
  if (level === IPPROTO_IPV6) return fail(Errno.ENOPROTOOPT);
  const length = Math.max(0, Math.min(asInt(lengthArg), 256));
  const raw = length > 0 && value !== 0 ? memory.read(ctx.process.pid, value, length) : Buffer.alloc(0);
  const integer = raw.length >= 4 ? raw.readInt32LE(0) : 0;
  const { socket, options } = file.object;
  if (level === SOL_SOCKET) {
    if (name === SO_REUSEADDR) socket.reuseAddr = integer !== 0;
    if (name === SO_REUSEPORT) socket.reusePort = integer !== 0;
    if (socket instanceof StreamSocket && name === SO_SNDBUF) socket.sendBufferSize = Math.max(integer, 2048);
    if (socket instanceof StreamSocket && name === SO_RCVBUF) socket.receiveBufferSize = Math.max(integer, 2048);
  }
  options.set(`${level}:${name}`, raw);
  return done(0);
}

function getsockopt(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const pid = ctx.process.pid;
  const [, levelArg, nameArg, value, lengthPointer] = ctx.args as number[] as [number, number, number, number, number];
  const level = asInt(levelArg);
  const name = asInt(nameArg);
  const { socket, options, type } = file.object;
  let answer: Buffer | undefined = options.get(`${level}:${name}`);
  const integer = (n: number): Buffer => {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32LE(n);
    return buffer;
  };
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_ERROR: {
        const error = socket instanceof StreamSocket ? socket.takeError() : undefined;
        answer = integer(error === undefined ? 0 : Errno[error] ?? 0);
        break;
      }
      case SO_TYPE:
        answer = integer(type === 'stream' ? SOCK_STREAM : SOCK_DGRAM);
        break;
      case SO_DOMAIN:
        answer = integer(AF_INET);
        break;
      case SO_PROTOCOL:
        answer = integer(type === 'stream' ? IPPROTO_TCP : IPPROTO_UDP);
        break;
      case SO_ACCEPTCONN:
        answer = integer(socket instanceof StreamSocket && socket.state === 'listening' ? 1 : 0);
        break;
      case SO_SNDBUF:
        // Linux reports twice what was asked: the other half is its bookkeeping.
        answer = integer(2 * (socket instanceof StreamSocket ? socket.sendBufferSize : 212992));
        break;
      case SO_RCVBUF:
        answer = integer(2 * (socket instanceof StreamSocket ? socket.receiveBufferSize : 212992));
        break;
    }
  }
  answer ??= integer(0);
  const room = memory.i32(pid, lengthPointer);
  const shown = answer.subarray(0, Math.max(0, Math.min(room, answer.length)));
  if (shown.length > 0) memory.write(pid, value, shown);
  memory.writeI32(pid, lengthPointer, shown.length);
  return done(0);
}

function shutdown(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  if (!(socket instanceof StreamSocket)) return fail(Errno.ENOTCONN);
  const error = socket.shutdown(asInt(ctx.args[1]!));
  return error === undefined ? done(0) : errnoOf(error);
}

/** Bytes of a blocking send already accepted, per thread, while it waits for room for the rest. */
const sendProgress = new WeakMap<Thread, { socket: object; sent: number }>();

/**
 * Sends the payload at `vectors`. A blocking stream send returns only once
 * every byte is in the send buffer, as on Linux; a non-blocking one takes
 * what fits.
 */
export function sendPayload(ctx: SyscallContext, file: OpenFile<SocketFile>, vectors: readonly Iovec[], flags: number, to: Endpoint | undefined): Outcome {
  const { socket, carrier } = file.object;
  const pid = ctx.process.pid;
  if (!(socket instanceof StreamSocket)) {
    const sent = carrier.sendTo(gather(pid, vectors), to);
    return isError(sent) ? errnoOf(sent) : done(sent);
  }
  const total = totalLength(vectors);
  const progress = sendProgress.get(ctx.thread);
  const already = progress?.socket === socket ? progress.sent : 0;
  const accepted = total === already ? 0 : carrier.send(traceePayload(pid, vectors, already));
  if (isError(accepted)) {
    sendProgress.delete(ctx.thread);
    if (accepted.code === 'EAGAIN') {
      if (already > 0) return done(already);
      return waitUnless(ctx, file, flags, () => socket.readiness().writable, 'room to send');
    }
    if (accepted.code === 'EPIPE' && (flags & MSG_NOSIGNAL) === 0) ptrace.signalThread(pid, ctx.thread.tid, SIGPIPE);
    return already > 0 ? done(already) : errnoOf(accepted);
  }
  const sent = already + accepted;
  const blocking = !file.nonblocking && (flags & MSG_DONTWAIT) === 0;
  if (sent < total && blocking) {
    sendProgress.set(ctx.thread, { socket, sent });
    return blocked({ kind: 'io', reason: `room to send in ${ctx.thread.label}`, isReady: () => socket.readiness().writable, watch: [], sources: () => [socket], onSignal: 'restartable' });
  }
  sendProgress.delete(ctx.thread);
  return done(sent);
}

/** Receives into `vectors`; `source` gets the sender's address for datagrams. Returns the outcome and, on success, the source. */
export function receivePayload(
  ctx: SyscallContext,
  file: OpenFile<SocketFile>,
  vectors: readonly Iovec[],
  flags: number,
  onSource: (source: Endpoint | undefined, truncated: boolean) => void,
): Outcome {
  const { socket, carrier } = file.object;
  const pid = ctx.process.pid;
  const max = totalLength(vectors);
  const peek = (flags & MSG_PEEK) !== 0;
  if (socket instanceof StreamSocket) {
    const waitAll = (flags & MSG_WAITALL) !== 0;
    if (!socket.recvReady(max, waitAll && !file.nonblocking)) {
      const error = socket.takeError();
      if (error !== undefined) return fail(Errno[error] ?? Errno.EIO!);
      return waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll);
    }
    const count = socket.receivable(max, { peek, waitAll });
    if (isError(count)) return count.code === 'EAGAIN' ? waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll) : errnoOf(count);
    const pieces = carrier.receive(count, peek);
    scatter(pid, vectors, pieces);
    onSource(socket.remote, false);
    return done(pieces.reduce((sum, piece) => sum + piece.length, 0));
  }
  const received = carrier.recvFrom(max, peek);
  if (isError(received)) {
    if (received.code !== 'EAGAIN') return errnoOf(received);
    return waitUnless(ctx, file, flags, () => socket.readiness().readable, 'a datagram');
  }
  scatter(pid, vectors, [received.data]);
  onSource(received.source, received.length > received.data.length);
  return done((flags & MSG_TRUNC) !== 0 ? received.length : received.data.length);
}

function destination(ctx: SyscallContext, address: number, length: number): Endpoint | undefined | SocketError {
  if (address === 0) return undefined;
  return readSockaddr(ctx.process.pid, address, length);
}

/** MSG_DONTWAIT makes a call on a kernel socket non-blocking whatever the descriptor says. */
const onKernelSocket = (ctx: SyscallContext, flags: number, check: (ctx: SyscallContext) => Outcome): Outcome =>
  (flags & MSG_DONTWAIT) !== 0 ? NATIVE : check(ctx);

function sendto(ctx: SyscallContext): Outcome {
  const [fdArg, buffer, length, flagsArg, address, addressLength] = ctx.args as number[] as [number, number, number, number, number, number];
  const file = socketFileAt(ctx, asInt(fdArg));
  if (file === undefined) return onKernelSocket(ctx, asInt(flagsArg), writing);
  const to = destination(ctx, address, asInt(addressLength));
  if (isError(to)) return errnoOf(to);
  return sendPayload(ctx, file, [{ base: buffer, length }], asInt(flagsArg), file.object.type === 'stream' ? undefined : to);
}

function sendmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return onKernelSocket(ctx, asInt(ctx.args[2]!), writing);
  const header = readMsghdr(ctx.process.pid, ctx.args[1]!);
  const to = destination(ctx, header.name, header.nameLength);
  if (isError(to)) return errnoOf(to);
  return sendPayload(ctx, file, header.vectors, asInt(ctx.args[2]!), file.object.type === 'stream' ? undefined : to);
}

/** sendmmsg: each message in turn; the glibc resolver sends its A and AAAA queries this way. */
function sendmmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return onKernelSocket(ctx, asInt(ctx.args[3]!), writing);
  const pid = ctx.process.pid;
  const [, vector, countArg, flagsArg] = ctx.args as [number, number, number, number];
  const count = Math.min(asInt(countArg), 1024);
  let sent = 0;
  for (; sent < count; sent++) {
    const entry = vector + sent * 64;
    const header = readMsghdr(pid, entry);
    const to = destination(ctx, header.name, header.nameLength);
    if (isError(to)) return sent > 0 ? done(sent) : errnoOf(to);
    const outcome = sendPayload(ctx, file, header.vectors, asInt(flagsArg) | MSG_DONTWAIT, file.object.type === 'stream' ? undefined : to);
    if (outcome.kind !== 'done') return sent > 0 ? done(sent) : outcome.kind === 'errno' && outcome.errno === Errno.EAGAIN && !file.nonblocking ? waitUnless(ctx, file, 0, () => file.object.socket.readiness().writable, 'room to send') : outcome;
    memory.writeU32(pid, entry + 56, outcome.value);
  }
  return done(sent);
}

function recvfrom(ctx: SyscallContext): Outcome {
  const [fdArg, buffer, length, flagsArg, address, lengthPointer] = ctx.args as number[] as [number, number, number, number, number, number];
  const file = socketFileAt(ctx, asInt(fdArg));
  if (file === undefined) return onKernelSocket(ctx, asInt(flagsArg), reading);
  const pid = ctx.process.pid;
  return receivePayload(ctx, file, [{ base: buffer, length }], asInt(flagsArg), (source) => {
    if (source !== undefined && file.object.type === 'datagram') writeSockaddr(pid, address, lengthPointer, source);
    else if (lengthPointer !== 0 && address !== 0) memory.writeI32(pid, lengthPointer, 0);
  });
}

function recvmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return onKernelSocket(ctx, asInt(ctx.args[2]!), reading);
  const pid = ctx.process.pid;
  const address = ctx.args[1]!;
  const header = readMsghdr(pid, address);
  return receivePayload(ctx, file, header.vectors, asInt(ctx.args[2]!), (source, truncated) => {
    let nameLength = 0;
    if (source !== undefined && header.name !== 0 && file.object.type === 'datagram') {
      const lengthCell = Buffer.alloc(4);
      lengthCell.writeInt32LE(header.nameLength);
      memory.write(pid, address + 8, lengthCell);
      writeSockaddr(pid, header.name, address + 8, source);
      nameLength = Math.min(header.nameLength, 16) > 0 ? 16 : 0;
    }
    finishMsghdr(pid, address, nameLength, truncated ? MSG_TRUNC : 0);
  });
}

const NOTE = 'AF_INET emulated over the virtual network (SimGrid comms); other families native';

export const socketSyscalls: FamilyTable = {
  socket: { level: 'mediated', handler: socket, note: 'AF_INET sockets are virtual (AF_INET6 fails with EAFNOSUPPORT); others native' },
  socketpair: { level: 'mediated', handler: socketpair, note: 'AF_UNIX native' },
  bind: { level: 'mediated', handler: bind, note: NOTE },
  listen: { level: 'mediated', handler: listen, note: NOTE },
  accept: { level: 'mediated', handler: (ctx) => accept(ctx, 0), note: NOTE },
  accept4: { level: 'mediated', handler: (ctx) => accept(ctx, asInt(ctx.args[3]!)), note: NOTE },
  connect: { level: 'mediated', handler: connect, note: `${NOTE}; connection setup costs a round trip` },
  getsockname: { level: 'mediated', handler: (ctx) => endpointOf(ctx, 'local'), note: NOTE },
  getpeername: { level: 'mediated', handler: (ctx) => endpointOf(ctx, 'remote'), note: NOTE },
  setsockopt: { level: 'mediated', handler: setsockopt, note: `${NOTE}; options are recorded, buffer sizes and reuse flags honoured` },
  getsockopt: { level: 'mediated', handler: getsockopt, note: NOTE },
  shutdown: { level: 'mediated', handler: shutdown, note: NOTE },
  sendto: { level: 'mediated', handler: sendto, note: NOTE },
  sendmsg: { level: 'mediated', handler: sendmsg, note: NOTE },
  sendmmsg: { level: 'mediated', handler: sendmmsg, note: NOTE },
  recvfrom: { level: 'mediated', handler: recvfrom, note: NOTE },
  recvmsg: { level: 'mediated', handler: recvmsg, note: NOTE },
};
