import {
  fail as netFail,
  FULL_FRAME_IP_BYTES,
  isError,
  isIpv6,
  StreamSocket,
  wildcardOf,
  type DatagramSocket,
  type Endpoint,
  type SocketError,
} from '../../../net/index.js';
import { Errno } from '../../abi/errno.js';
import {
  AF_INET,
  AF_INET6,
  AF_NETLINK,
  AF_UNSPEC,
  IPPROTO_IP,
  IP_MTU,
  IP_OPTIONS,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPPROTO_IPV6,
  IPV6_ADDRFORM,
  IPV6_MTU,
  IPV6_V6ONLY,
  MSG_DONTWAIT,
  MSG_TRUNC,
  MSG_WAITFORONE,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_MAX,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOCK_STREAM,
  SOCK_TYPE_MASK,
  SOL_SOCKET,
  SO_ACCEPTCONN,
  SO_COOKIE,
  SO_DOMAIN,
  SO_MEMINFO,
  SK_MEMINFO_SIZE,
  SO_ERROR,
  SO_PROTOCOL,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_REUSEPORT,
  SO_LINGER,
  SO_SNDBUF,
  SO_TYPE,
  TCP_CA_NAME_MAX,
  TCP_CONGESTION,
  TCP_CORK,
  TCP_INFO,
  TCP_MAXSEG,
  TCP_NODELAY,
  TCP_USER_TIMEOUT,
  decodeBindAddress,
  decodeIntOption,
  decodeSockaddrFor,
  decodeSockaddrIn,
  decodeSockaddrIn6,
  DEFAULT_SOCKET_BUFFER,
  SMALLEST_RECEIVE_BUFFER,
  SMALLEST_SEND_BUFFER,
  encodeSockaddrFor,
  encodeIntOption,
  finishReceivedMsghdr,
  mmsghdrAt,
  readMsghdr,
  readSockaddr,
  readDestination,
  SOCKADDR_STORAGE_SIZE,
  sockaddrFamily,
  writeMmsgLength,
  moveAddressToUser,
} from '../../abi/socket.js';
import { asInt, asUint, readI32, TraceeFault, writeI32 } from '../../abi/tracee-memory.js';
import { encodeTcpInfo } from '../../abi/tcp-info.js';
import { defaultOption } from '../socket-option-defaults.js';
import { readTimespec, timespecSeconds, toTimespec, validTimespec, writeTimespec } from '../../abi/time.js';
import { importBuffer, traceePayload } from '../../abi/iovec.js';
import { controlTooLong } from '../control-length.js';
import { getLevelRefusal, getRefusal, optionSize, readsIntFirst, setRefusal, setRefusalByName } from '../socket-option-rules.js';
import { timeoutRefusal } from '../socket-timeouts.js';
import { errnoOf, receivePayload, sendPayload, socketFileAt, waitUnless } from '../../sockets/payloads.js';
import type { SocketFile } from '../../sockets/socket-file.js';
import type { OpenFile } from '../../tracees/fd-table.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { reading, writing } from '../kernel-io.js';
import { kernelSocketOption, kernelSocketOptionSet, receivedCredentials, sentCredentials } from '../peer-credentials.js';
import { controlMessagesFit, noPeerCredentials, SO_PEERCRED } from '../../abi/credentials.js';
import { netlinkSocket, withNetlink } from '../netlink-calls.js';
import { NATIVE, blocked, done, fail, type Outcome } from '../outcome.js';

/**
 * AF_INET sockets over the virtual network (src/net), whose transfers are
 * SimGrid comms: every operation is decided there. What descriptor the
 * tracee holds and where the bytes travel is the data path's business
 * (`--network`, services.sockets).
 */

/** setsockopt values longer than this are cut: no option of ours needs more. */
const LONGEST_OPTION = 256;

function socket(ctx: SyscallContext): Outcome {
  const [domain, typeArg, protocol] = ctx.args.map(asInt) as [number, number, number];
  const type = typeArg & SOCK_TYPE_MASK;
  // Linux's order: flags and type in range (EINVAL), then the family, then the type and protocol within it.
  if ((typeArg & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC)) !== 0 || type >= SOCK_MAX)
    return domain === AF_INET || domain === AF_INET6 ? fail(Errno.EINVAL) : NATIVE;
  if (domain === AF_NETLINK) return netlinkSocket(ctx);
  if (domain !== AF_INET && domain !== AF_INET6) return NATIVE;
  if (type === SOCK_RAW) return fail(Errno.EPROTONOSUPPORT);
  // No other type has an AF_INET or AF_INET6 protocol (SOCK_SEQPACKET, SOCK_RDM...).
  if (type !== SOCK_STREAM && type !== SOCK_DGRAM) return fail(Errno.ESOCKTNOSUPPORT);
  if (protocol !== 0 && protocol !== (type === SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP)) return fail(Errno.EPROTONOSUPPORT);
  const { network, sockets } = ctx.services;
  const host = ctx.process.host;
  const family = domain === AF_INET6 ? 6 : 4;
  return sockets.open(ctx, typeArg, () => (type === SOCK_STREAM ? network.streamSocket(host, family) : network.datagramSocket(host, family)));
}

function bind(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const length = asInt(ctx.args[2]!);
  // move_addr_to_kernel refuses a negative length or one past sockaddr_storage before the address is read.
  if (length < 0 || length > SOCKADDR_STORAGE_SIZE) return fail(Errno.EINVAL);
  const socket = file.object.socket;
  const address = readSockaddr(ctx.memory, ctx.args[1]!, length);
  const endpoint = socket.family === 6 ? decodeSockaddrIn6(address) : decodeBindAddress(address);
  if (isError(endpoint)) return errnoOf(endpoint);
  // inet6_bind: an IPv6-only socket cannot take an IPv4-mapped address.
  if (socket.v6only && !isIpv6(endpoint.address)) return fail(Errno.EINVAL);
  const error = socket.bind(endpoint);
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
  // Flags are checked once the descriptor is found, before what it is (__sys_accept4_file).
  if ((flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK)) !== 0) return fail(Errno.EINVAL);
  const listener = file.object.socket;
  if (!(listener instanceof StreamSocket)) return fail(Errno.EOPNOTSUPP);
  const child = listener.accept();
  if (isError(child)) {
    if (child.code !== 'EAGAIN') return errnoOf(child);
    return waitUnless(ctx, file, 0, () => listener.readiness().readable, 'a connection to accept');
  }
  return ctx.services.sockets.accept(ctx, flags, file.object, child);
}

/**
 * A blocking connect waits for the handshake; its retry reports how the
 * connection this very call started ended (the call's state).
 */
function connect(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  const length = asInt(ctx.args[2]!);
  if (!(socket instanceof StreamSocket)) {
    // inet_dgram_connect: AF_UNSPEC dissolves the association; any other address binds the socket (inet_autobind)
    // before the protocol reads it, so a connect refused for its address leaves the socket bound.
    if (length < 0 || length > SOCKADDR_STORAGE_SIZE) return fail(Errno.EINVAL);
    const address = readSockaddr(ctx.memory, ctx.args[1]!, length);
    if (length < 2) return fail(Errno.EINVAL);
    const dissolve = sockaddrFamily(address) === AF_UNSPEC;
    if (!dissolve && socket.autobind() !== undefined) return fail(Errno.EAGAIN);
    const endpoint = dissolve ? null : datagramPeer(socket, address);
    if (endpoint !== null && isError(endpoint)) return errnoOf(endpoint);
    const error = socket.connect(endpoint);
    return error === undefined ? done(0) : errnoOf(error);
  }
  if (ctx.state.connecting === socket) {
    const state = socket.connection();
    if (state === 'connecting') return waitForConnection(ctx, socket);
    if (state === 'connected') return done(0);
    return fail(Errno[socket.takeError() ?? 'ECONNREFUSED'] ?? Errno.ECONNREFUSED!);
  }
  // inet_stream_connect's order: the address is copied in, then the socket's state (EISCONN, EALREADY), then the address is read.
  if (length < 0 || length > SOCKADDR_STORAGE_SIZE) return fail(Errno.EINVAL);
  const address = ctx.memory.read(ctx.args[1]!, length);
  if (length < 2) return fail(Errno.EINVAL);
  // AF_UNSPEC disconnects (tcp_disconnect): a connection is reset, a listener stops, a socket with neither has nothing to undo.
  if (sockaddrFamily(address) === AF_UNSPEC && socket.state !== 'connecting') {
    file.object.connectUnconfirmed = false;
    file.object.disconnect();
    return done(0);
  }
  // The socket's own state first: a non-blocking connect not yet confirmed is still connecting to the kernel (SS_CONNECTING).
  const unconfirmed = confirmConnection(file.object, socket);
  if (unconfirmed !== undefined) return unconfirmed;
  if (socket.state === 'connected' || socket.state === 'listening') return fail(Errno.EISCONN);
  if (socket.state === 'connecting') return fail(Errno.EALREADY);
  const endpoint = decodeSockaddrFor(socket.family, address);
  if (isError(endpoint)) return errnoOf(endpoint);
  const result = socket.connect(endpoint);
  if (result.code === 'EINPROGRESS' && file.nonblocking) file.object.connectUnconfirmed = true;
  if (result.code !== 'EINPROGRESS' || file.nonblocking) return errnoOf(result);
  ctx.state.connecting = socket;
  return waitForConnection(ctx, socket);
}

/**
 * A datagram socket's connect address: an AF_INET6 one takes an AF_INET
 * address as an AF_INET socket would (ip6_datagram_connect), unless it is
 * IPv6-only (EAFNOSUPPORT).
 */
function datagramPeer(socket: DatagramSocket, address: Buffer): Endpoint | SocketError {
  if (socket.family === 4 || sockaddrFamily(address) !== AF_INET) return decodeSockaddrFor(socket.family, address);
  return socket.v6only ? netFail('EAFNOSUPPORT') : decodeSockaddrIn(address);
}

/**
 * connect again after a non-blocking one: while the handshake goes on,
 * EALREADY; once it ended, its outcome, once (0, or the error, ECONNABORTED
 * when SO_ERROR took it already). Undefined when there is nothing to confirm.
 */
function confirmConnection(file: SocketFile, socket: StreamSocket): Outcome | undefined {
  if (!file.connectUnconfirmed) return undefined;
  const state = socket.connection();
  if (state === 'connecting') return fail(Errno.EALREADY);
  file.connectUnconfirmed = false;
  if (state === 'connected') return done(0);
  return fail(Errno[file.connectionFailed()] ?? Errno.ECONNABORTED!);
}

function waitForConnection(ctx: SyscallContext, socket: StreamSocket): Outcome {
  return blocked({
    kind: 'io',
    reason: `a connection to be established in ${ctx.thread.label}`,
    isReady: () => socket.connection() !== 'connecting',
    watch: [],
    sources: () => [socket],
    onSignal: 'restartable',
  });
}

function endpointOf(ctx: SyscallContext, which: 'local' | 'remote'): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return NATIVE;
  const socket = file.object.socket;
  const endpoint = which === 'local' ? (socket.local ?? { address: wildcardOf(socket.family), port: 0 }) : socket.remote;
  if (endpoint === undefined) return fail(Errno.ENOTCONN);
  const error = moveAddressToUser(ctx.memory, ctx.args[1]!, ctx.args[2]!, encodeSockaddrFor(socket.family, endpoint));
  return error === undefined ? done(0) : fail(error);
}

function setsockopt(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return kernelSocketOptionSet(ctx);
  const [, levelArg, nameArg, value, lengthArg] = ctx.args as [number, number, number, number, number];
  const level = asInt(levelArg);
  const name = asInt(nameArg);
  const stream = file.object.type === 'stream';
  const refusal = setRefusal(stream, level, name, asInt(lengthArg), file.object.socket.family);
  if (refusal !== undefined) return fail(refusal);
  const first = readsIntFirst(stream, level, name, asInt(lengthArg), value) ? readI32(ctx.memory, value) : undefined;
  const refusalByName = setRefusalByName(stream, level, name, asInt(lengthArg), first);
  if (refusalByName !== undefined) return fail(refusalByName);
  // Linux reads an option's own size (IP options vary: kept whole, up to a bound).
  const length = Math.min(asInt(lengthArg), level === IPPROTO_IP ? LONGEST_OPTION : optionSize(level, name));
  // do_ipv6_setsockopt reads a null value as 0 where the other levels fault.
  const nullAsZero = level === IPPROTO_IPV6 && value === 0;
  const raw = length > 0 && !nullAsZero ? ctx.memory.read(value, length) : Buffer.alloc(Math.max(0, length));
  const badTimeout = timeoutRefusal(level, name, raw);
  if (badTimeout !== undefined) return fail(badTimeout);
  const integer = decodeIntOption(raw);
  const { socket, options } = file.object;
  if (level === SOL_SOCKET) {
    if (name === SO_REUSEADDR) socket.reuseAddr = integer !== 0;
    if (name === SO_REUSEPORT) socket.reusePort = integer !== 0;
    // struct linger: l_onoff, then l_linger in seconds.
    if (socket instanceof StreamSocket && name === SO_LINGER) socket.abortOnClose = integer !== 0 && raw.length >= 8 && raw.readInt32LE(4) === 0;
    // The stream keeps what was asked (in payload bytes), which getsockopt reports doubled.
    if (socket instanceof StreamSocket && name === SO_SNDBUF) socket.sendBufferSize = Math.max(integer, SMALLEST_SEND_BUFFER / 2);
    if (socket instanceof StreamSocket && name === SO_RCVBUF) socket.receiveBufferSize = Math.max(integer, SMALLEST_RECEIVE_BUFFER / 2);
  }
  if (level === IPPROTO_TCP && socket instanceof StreamSocket) {
    if (name === TCP_NODELAY) socket.noDelay = integer !== 0;
    if (name === TCP_CORK) socket.cork = integer !== 0;
    if (name === TCP_USER_TIMEOUT) socket.userTimeout = Math.max(integer, 0) / 1000;
  }
  if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY) {
    // do_ipv6_setsockopt: an int, and only before the socket has a port.
    if (raw.length < 4 || socket.local?.port) return fail(Errno.EINVAL);
    socket.v6only = integer !== 0;
  }
  options.set(`${level}:${name}`, raw);
  return done(0);
}

function sendBufferOf({ socket, options }: SocketFile): number {
  return socket instanceof StreamSocket ? socket.sendBufferOption : datagramBuffer(options, SO_SNDBUF, SMALLEST_SEND_BUFFER);
}

function receiveBufferOf({ socket, options }: SocketFile): number {
  return socket instanceof StreamSocket ? socket.receiveBufferOption : datagramBuffer(options, SO_RCVBUF, SMALLEST_RECEIVE_BUFFER);
}

/** TCP_CONGESTION: the name in TCP_CA_NAME_MAX bytes, zero-padded. */
function congestionControlName(): Buffer {
  const name = Buffer.alloc(TCP_CA_NAME_MAX);
  name.write('cubic', 'latin1');
  return name;
}

/** A datagram socket's SO_SNDBUF or SO_RCVBUF as Linux reports it: its default until set, then twice what was set, no less than `smallest`. */
function datagramBuffer(options: ReadonlyMap<string, Buffer>, name: number, smallest: number): number {
  const set = options.get(`${SOL_SOCKET}:${name}`);
  return set === undefined || set.length < 4 ? DEFAULT_SOCKET_BUFFER : Math.max(2 * decodeIntOption(set), smallest);
}

/**
 * What an option only a connected socket answers reads (ENOTCONN before),
 * or undefined for any other option: IPV6_ADDRFORM the socket's own
 * family, AF_INET6 (do_ipv6_getsockopt: only an established socket has
 * one); IP_MTU and IPV6_MTU the MTU of the route a connection holds, the
 * links' own.
 */
function connectionOption(level: number, name: number): number | undefined {
  if (level === IPPROTO_IPV6 && name === IPV6_ADDRFORM) return AF_INET6;
  if ((level === IPPROTO_IP && name === IP_MTU) || (level === IPPROTO_IPV6 && name === IPV6_MTU)) return FULL_FRAME_IP_BYTES;
  return undefined;
}

function getsockopt(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return kernelSocketOption(ctx);
  const [, levelArg, nameArg, value, lengthPointer] = ctx.args as [number, number, number, number, number];
  const level = asInt(levelArg);
  const name = asInt(nameArg);
  const { socket, options, type } = file.object;
  const levelRefusal = getLevelRefusal(type === 'stream', level, socket.family);
  if (levelRefusal !== undefined) return fail(levelRefusal);
  const room = readI32(ctx.memory, lengthPointer);
  const refusal = getRefusal(type === 'stream', level, name, room);
  if (refusal !== undefined) return fail(refusal);
  const connected = connectionOption(level, name);
  if (connected !== undefined && socket.remote === undefined) return fail(Errno.ENOTCONN);
  let answer: Buffer | undefined = connected === undefined ? options.get(`${level}:${name}`) : encodeIntOption(connected);
  // No IP options on a connection unless the program set some (sshd drops connections that carry any).
  if (level === IPPROTO_IP && name === IP_OPTIONS) answer ??= Buffer.alloc(0);
  if (level === SOL_SOCKET) {
    switch (name) {
      case SO_ERROR: {
        const error = socket.takeError();
        answer = encodeIntOption(error === undefined ? 0 : (Errno[error] ?? 0));
        break;
      }
      case SO_TYPE:
        answer = encodeIntOption(type === 'stream' ? SOCK_STREAM : SOCK_DGRAM);
        break;
      case SO_DOMAIN:
        answer = encodeIntOption(socket.family === 6 ? AF_INET6 : AF_INET);
        break;
      case SO_PROTOCOL:
        answer = encodeIntOption(type === 'stream' ? IPPROTO_TCP : IPPROTO_UDP);
        break;
      case SO_ACCEPTCONN:
        answer = encodeIntOption(socket instanceof StreamSocket && socket.state === 'listening' ? 1 : 0);
        break;
      case SO_PEERCRED:
        answer = noPeerCredentials();
        break;
      case SO_SNDBUF:
        // A stream answers for itself (tcp_wmem and tcp_rmem defaults, or twice what was set).
        answer = encodeIntOption(sendBufferOf(file.object));
        break;
      case SO_RCVBUF:
        answer = encodeIntOption(receiveBufferOf(file.object));
        break;
      case SO_MEMINFO:
        // sk_get_meminfo: what the buffers hold (nothing the kernel counts here), then their sizes.
        answer = Buffer.alloc(SK_MEMINFO_SIZE);
        answer.writeUInt32LE(receiveBufferOf(file.object), 4);
        answer.writeUInt32LE(sendBufferOf(file.object), 12);
        break;
      case SO_COOKIE:
        // A number unique to the socket, the one sock_diag reports.
        answer = Buffer.alloc(8);
        answer.writeBigUInt64LE(BigInt(socket.id));
        break;
    }
  }
  // The model's congestion control, whatever this machine's net.ipv4.tcp_congestion_control says.
  if (level === IPPROTO_TCP && name === TCP_CONGESTION && type === 'stream') answer ??= congestionControlName();
  if (level === IPPROTO_IPV6 && name === IPV6_V6ONLY) answer = encodeIntOption(socket.v6only ? 1 : 0);
  if (level === IPPROTO_TCP && name === TCP_MAXSEG && socket instanceof StreamSocket) answer = encodeIntOption(socket.maxSegment);
  if (level === IPPROTO_TCP && name === TCP_INFO && socket instanceof StreamSocket) answer = encodeTcpInfo(socket.tcpInfo());
  answer ??= defaultOption(level, name, socket.family, type === 'stream') ?? Buffer.alloc(optionSize(level, name));
  // IPPROTO_IPV6 takes a negative room as unsigned: the whole answer.
  const shown = answer.subarray(0, room < 0 ? answer.length : Math.min(room, answer.length));
  if (shown.length > 0) ctx.memory.write(value, shown);
  writeI32(ctx.memory, lengthPointer, shown.length);
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

/** MSG_DONTWAIT makes a call on a kernel socket non-blocking whatever the descriptor says. */
const onKernelSocket = (ctx: SyscallContext, flags: number, check: (ctx: SyscallContext) => Outcome): Outcome =>
  (flags & MSG_DONTWAIT) !== 0 ? NATIVE : check(ctx);

function sendto(ctx: SyscallContext): Outcome {
  const [fdArg, buffer, length, flagsArg, address, addressLength] = ctx.args as [number, number, number, number, number, number];
  const file = socketFileAt(ctx, asInt(fdArg));
  if (file === undefined) return onKernelSocket(ctx, asInt(flagsArg), writing);
  // Linux's order: the buffer must lie in user space, then the address is read, then the protocol checks it.
  const vectors = importBuffer(buffer, length, true);
  if (!Array.isArray(vectors)) return fail(vectors.errno);
  const to = readDestination(ctx.memory, address, asInt(addressLength));
  if (isError(to)) return errnoOf(to);
  return sendPayload(ctx, file, traceePayload(ctx.memory, vectors), asInt(flagsArg), to);
}

function sendmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return sentCredentials(ctx, onKernelSocket(ctx, asInt(ctx.args[2]!), writing));
  const header = readMsghdr(ctx.memory, ctx.args[1]!, true);
  if ('errno' in header) return fail(header.errno);
  const { control, controlLength } = header;
  // ____sys_sendmsg copies the control data in before the protocol runs (ENOBUFS, EFAULT); the protocol reads the messages (sendPayload).
  if (controlLength > 0 && controlTooLong(controlLength)) return fail(Errno.ENOBUFS);
  const controlFits = controlLength === 0 || controlMessagesFit(ctx.memory.read(control, controlLength));
  return sendPayload(ctx, file, traceePayload(ctx.memory, header.vectors), asInt(ctx.args[2]!), header.destination, controlFits);
}

/** The most messages sendmmsg and recvmmsg take in one call (UIO_MAXIOV). */
const MAX_MESSAGES = 1024;

/** sendmmsg: each message in turn; the glibc resolver sends its A and AAAA queries this way. */
function sendmmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return onKernelSocket(ctx, asInt(ctx.args[3]!), writing);
  const [, vector, countArg, flagsArg] = ctx.args as [number, number, number, number];
  const count = Math.min(asUint(countArg), MAX_MESSAGES);
  let sent = 0;
  for (; sent < count; sent++) {
    const entry = mmsghdrAt(vector, sent);
    const header = readMsghdr(ctx.memory, entry, true);
    if ('errno' in header) return sent > 0 ? done(sent) : fail(header.errno);
    const outcome = sendPayload(ctx, file, traceePayload(ctx.memory, header.vectors), asInt(flagsArg) | MSG_DONTWAIT, header.destination);
    if (outcome.kind !== 'done') {
      if (sent > 0) return done(sent);
      const wouldBlock = outcome.kind === 'errno' && outcome.errno === Errno.EAGAIN && !file.nonblocking;
      return wouldBlock ? waitUnless(ctx, file, 0, () => file.object.socket.readiness().writable, 'room to send') : outcome;
    }
    writeMmsgLength(ctx.memory, entry, outcome.value);
  }
  return done(sent);
}

function recvfrom(ctx: SyscallContext): Outcome {
  const [fdArg, buffer, length, flagsArg, address, lengthPointer] = ctx.args as [number, number, number, number, number, number];
  const file = socketFileAt(ctx, asInt(fdArg));
  if (file === undefined) return onKernelSocket(ctx, asInt(flagsArg), reading);
  const vectors = importBuffer(buffer, length, true);
  if (!Array.isArray(vectors)) return fail(vectors.errno);
  // The source goes out after the bytes were taken (move_addr_to_user): a bad length then fails the call all the same; TCP gives none.
  return receivePayload(ctx, file, vectors, asInt(flagsArg), (source) => {
    if (address === 0) return undefined;
    const encoded = source !== undefined && file.object.type === 'datagram' ? encodeSockaddrFor(file.object.socket.family, source) : Buffer.alloc(0);
    return moveAddressToUser(ctx.memory, address, lengthPointer, encoded);
  });
}

function recvmsg(ctx: SyscallContext): Outcome {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return receivedCredentials(ctx, onKernelSocket(ctx, asInt(ctx.args[2]!), reading), [ctx.args[1]!], false);
  const address = ctx.args[1]!;
  const header = readMsghdr(ctx.memory, address, false);
  if ('errno' in header) return fail(header.errno);
  return receivePayload(ctx, file, header.vectors, asInt(ctx.args[2]!), (source, truncated) => {
    const { socket, type } = file.object;
    finishReceivedMsghdr(ctx.memory, address, header, type === 'datagram' ? source : undefined, truncated ? MSG_TRUNC : 0, socket.family);
    return undefined;
  });
}

/**
 * recvmmsg: on a virtual socket, each message in turn. A blocking call waits
 * for every entry, as Linux's does, unless MSG_WAITFORONE makes the entries
 * after the first take only what is there. Its timeout is Linux's odd one:
 * looked at only after each message (one that never comes is waited for
 * forever), and the time left written back when some arrived. On a kernel
 * socket (AF_UNIX) the kernel runs it, trapped so that the SCM_CREDENTIALS
 * it receives name their senders by virtual pid, as recvmsg's do.
 */
function recvmmsg(ctx: SyscallContext): Outcome {
  const [fdArg, vector, countArg, flagsArg, timeout] = ctx.args as [number, number, number, number, number];
  // vlen is unsigned: more than UIO_MAXIOV is cut to it.
  const count = Math.min(asUint(countArg), MAX_MESSAGES);
  const flags = asInt(flagsArg);
  const file = socketFileAt(ctx, asInt(fdArg));
  if (file === undefined) {
    const headers = Array.from({ length: count }, (_, i) => mmsghdrAt(vector, i));
    return receivedCredentials(ctx, onKernelSocket(ctx, flags, reading), headers, true);
  }
  const { time } = ctx.services;
  if (timeout !== 0) {
    // Read and checked before any message (EFAULT, EINVAL); its end is fixed when the call first looks.
    const given = readTimespec(ctx.memory, timeout);
    if (!validTimespec(given)) return fail(Errno.EINVAL);
    ctx.state.deadline ??= time.after(timespecSeconds(given), ctx.process.host);
  }
  const deadline = ctx.state.deadline;
  const later = (flags & MSG_WAITFORONE) === 0 ? flags : flags | MSG_DONTWAIT;
  // What the call returns with `received` messages taken, the last at `takenAt`: the time left then goes back into the timeout, 0 once it ran out.
  const end = (received: number, takenAt = time.now): Outcome => {
    if (deadline !== undefined) writeTimespec(ctx.memory, timeout, toTimespec(Math.max(0, time.onClock(deadline - takenAt, ctx.process.host))));
    return done(received);
  };
  let received = ctx.state.received ?? 0;
  while (received < count) {
    const entry = mmsghdrAt(vector, received);
    const outcome = received === 0 ? receiveOne(ctx, file, entry, flags) : laterMessage(ctx, file, entry, later);
    if (outcome.kind === 'blocked' && received > 0) {
      ctx.state.received = received;
      // A signal ends the wait with the messages taken, SA_RESTART or not.
      const taken = received;
      const takenAt = time.now;
      return blocked({ ...outcome.wait, onInterrupt: () => end(taken, takenAt) });
    }
    if (outcome.kind !== 'done') return received > 0 ? end(received) : outcome;
    received++;
    if (deadline !== undefined && time.now >= deadline) break;
  }
  return end(received);
}

/** One recvmmsg entry: its message received as recvmsg would, its length in msg_len. */
function receiveOne(ctx: SyscallContext, file: OpenFile<SocketFile>, entry: number, flags: number): Outcome {
  const header = readMsghdr(ctx.memory, entry, false);
  if ('errno' in header) return fail(header.errno);
  const outcome = receivePayload(ctx, file, header.vectors, flags, (source, truncated) => {
    const { socket, type } = file.object;
    finishReceivedMsghdr(ctx.memory, entry, header, type === 'datagram' ? source : undefined, truncated ? MSG_TRUNC : 0, socket.family);
    return undefined;
  });
  if (outcome.kind === 'done') writeMmsgLength(ctx.memory, entry, outcome.value);
  return outcome;
}

/**
 * An entry after the first: one that faults ends the call with the messages
 * already taken, as Linux's does (the error is not reported).
 */
function laterMessage(ctx: SyscallContext, file: OpenFile<SocketFile>, entry: number, flags: number): Outcome {
  try {
    return receiveOne(ctx, file, entry, flags);
  } catch (error) {
    if (error instanceof TraceeFault) return fail(Errno.EFAULT);
    throw error;
  }
}

const NOTE = 'AF_INET and AF_INET6 emulated over the virtual network (SimGrid comms); other families native';

export const socketSyscalls: FamilyTable = withNetlink({
  socket: {
    level: 'mediated',
    handler: socket,
    note: "AF_INET and AF_INET6 sockets are virtual, and NETLINK_ROUTE and NETLINK_SOCK_DIAG ones, which describe the host's emulated interfaces and its sockets; others native",
  },
  // The kernel makes no AF_INET pair (EOPNOTSUPP, after checking the type and protocol as for socket): native is Linux's answer.
  socketpair: { level: 'native', note: 'AF_UNIX native; AF_INET refused by the kernel' },
  bind: { level: 'mediated', handler: bind, note: NOTE },
  listen: { level: 'mediated', handler: listen, note: NOTE },
  accept: { blocks: true, level: 'mediated', handler: (ctx) => accept(ctx, 0), note: NOTE },
  accept4: { blocks: true, level: 'mediated', handler: (ctx) => accept(ctx, asInt(ctx.args[3]!)), note: NOTE },
  connect: { blocks: true, level: 'mediated', handler: connect, note: `${NOTE}; connection setup costs a round trip` },
  getsockname: { level: 'mediated', handler: (ctx) => endpointOf(ctx, 'local'), note: NOTE },
  getpeername: { level: 'mediated', handler: (ctx) => endpointOf(ctx, 'remote'), note: NOTE },
  setsockopt: { level: 'mediated', handler: setsockopt, note: `${NOTE}; options are recorded, buffer sizes and reuse flags honoured` },
  getsockopt: { level: 'mediated', handler: getsockopt, note: NOTE },
  shutdown: { level: 'mediated', handler: shutdown, note: NOTE },
  sendto: { blocks: true, level: 'mediated', handler: sendto, note: NOTE },
  sendmsg: { blocks: true, level: 'mediated', handler: sendmsg, note: NOTE },
  sendmmsg: { blocks: true, level: 'mediated', handler: sendmmsg, note: NOTE },
  recvfrom: { blocks: true, level: 'mediated', handler: recvfrom, note: NOTE },
  recvmsg: { blocks: true, level: 'mediated', handler: recvmsg, note: NOTE },
  recvmmsg: {
    blocks: true,
    level: 'mediated',
    handler: recvmmsg,
    note: `${NOTE}; on an AF_UNIX socket with SO_PASSCRED, the SCM_CREDENTIALS received name their senders by virtual pid`,
  },
});
