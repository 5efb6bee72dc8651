import type { VirtualNetwork } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { gather, scatter, totalLength, type Iovec } from '../abi/iovec.js';
import { NETLINK_ROUTE, NETLINK_SOCK_DIAG, SOL_NETLINK, decodeSockaddrNl, encodeSockaddrNl } from '../abi/netlink.js';
import {
  AF_NETLINK,
  AF_UNSPEC,
  MSG_DONTWAIT,
  MSG_PEEK,
  MSG_TRUNC,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_TYPE_MASK,
  SOL_SOCKET,
  SO_DOMAIN,
  SO_PROTOCOL,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_TYPE,
  decodeIntOption,
  encodeIntOption,
  finishReceivedMsghdrFrom,
  mmsghdrAt,
  readMsghdr,
  DEFAULT_SOCKET_BUFFER,
  SMALLEST_RECEIVE_BUFFER,
  SMALLEST_SEND_BUFFER,
  SOCK_RAW,
  readSockaddr,
  sockaddrFamily,
  writeMmsgLength,
  writeSockaddr,
} from '../abi/socket.js';
import { asInt, readI32, writeI32 } from '../abi/tracee-memory.js';
import { hostInterfaces } from '../host/interfaces.js';
import { answerRoute } from '../host/route-netlink.js';
import { answerSockDiag } from '../host/sock-diag.js';
import { socketsOnHost } from '../sockets/host-sockets.js';
import { placeholder } from '../sockets/full-mediation.js';
import { NetlinkPorts, NetlinkSocket, type NetlinkKernel } from '../sockets/netlink-socket.js';
import { OpenFile } from '../tracees/fd-table.js';
import type { FamilyTable, SyscallContext } from './context.js';
import { NATIVE, blocked, done, fail, type Outcome } from './outcome.js';

/**
 * The socket calls on a NETLINK_ROUTE or NETLINK_SOCK_DIAG socket (sockets/netlink-socket.ts),
 * which the socket family's handlers hand over when the descriptor is one
 * (`withNetlink`). Other netlink protocols stay the kernel's.
 */

const portsByHost = new WeakMap<VirtualNetwork, Map<string, NetlinkPorts>>();

function portsOf(ctx: SyscallContext): NetlinkPorts {
  const network = ctx.services.network;
  let hosts = portsByHost.get(network);
  if (hosts === undefined) {
    hosts = new Map();
    portsByHost.set(network, hosts);
  }
  let ports = hosts.get(ctx.process.host);
  if (ports === undefined) {
    ports = new NetlinkPorts();
    hosts.set(ctx.process.host, ports);
  }
  return ports;
}

/** The host's kernel for a virtual netlink protocol: its interfaces and routes, or its sockets. */
function kernelFor(ctx: SyscallContext, protocol: number): NetlinkKernel {
  const { network, tracees } = ctx.services;
  const host = ctx.process.host;
  if (protocol === NETLINK_ROUTE) return (data, port) => answerRoute(data, port, hostInterfaces(network.addresses, host));
  return (data, port) => answerSockDiag(data, port, () => socketsOnHost(tracees.processes.values(), host));
}

/** socket(AF_NETLINK, ...): NETLINK_ROUTE and NETLINK_SOCK_DIAG are virtual; other protocols are the kernel's. */
export function netlinkSocket(ctx: SyscallContext): Outcome {
  const [, typeArg, protocol] = ctx.args.map(asInt) as [number, number, number];
  if (protocol !== NETLINK_ROUTE && protocol !== NETLINK_SOCK_DIAG) return NATIVE;
  const type = typeArg & SOCK_TYPE_MASK;
  if (type !== SOCK_RAW && type !== SOCK_DGRAM) return fail(Errno.ESOCKTNOSUPPORT!);
  const ports = portsOf(ctx);
  const kernel = kernelFor(ctx, protocol);
  return placeholder(typeArg, (fd) => {
    const socket = new NetlinkSocket(type, protocol, ports, kernel);
    ctx.process.fds.install(fd, new OpenFile(socket, (typeArg & SOCK_NONBLOCK) !== 0), (typeArg & SOCK_CLOEXEC) !== 0);
  });
}

type NetlinkFile = OpenFile<NetlinkSocket>;

export function netlinkAt(ctx: SyscallContext, fd: number): NetlinkFile | undefined {
  const file = ctx.process.fds.get(fd);
  return file?.object instanceof NetlinkSocket ? (file as NetlinkFile) : undefined;
}

function bind(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const address = decodeSockaddrNl(readSockaddr(ctx.memory, ctx.args[1]!, asInt(ctx.args[2]!)));
  if (address === null || address.family !== AF_NETLINK) return fail(Errno.EINVAL);
  const error = file.object.bind(address.port, address.groups, ctx.process.vpid);
  return error === undefined ? done(0) : fail(Errno[error]!);
}

function connect(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const raw = readSockaddr(ctx.memory, ctx.args[1]!, asInt(ctx.args[2]!));
  if (sockaddrFamily(raw) === AF_UNSPEC) return done(0);
  const address = decodeSockaddrNl(raw);
  if (address === null || address.family !== AF_NETLINK) return fail(Errno.EINVAL);
  file.object.bind(0, file.object.groups, ctx.process.vpid);
  return done(0);
}

function name(ctx: SyscallContext, file: NetlinkFile, which: 'local' | 'peer'): Outcome {
  const socket = file.object;
  const encoded = which === 'local' ? encodeSockaddrNl(socket.port, socket.groups) : encodeSockaddrNl(0, 0);
  writeSockaddr(ctx.memory, ctx.args[1]!, ctx.args[2]!, encoded);
  return done(0);
}

/** Sent to the kernel (no address, or port 0): anything else has no listener here. */
function send(ctx: SyscallContext, file: NetlinkFile, vectors: readonly Iovec[], to: number, toLength: number): Outcome {
  if (to !== 0) {
    const address = decodeSockaddrNl(readSockaddr(ctx.memory, to, toLength));
    if (address === null || address.family !== AF_NETLINK) return fail(Errno.EINVAL);
    if (address.port !== 0) return fail(Errno.ECONNREFUSED!);
  }
  // Linux refuses a message its send buffer could not hold, less its bookkeeping.
  if (totalLength(vectors) > bufferSize(file, SO_SNDBUF) - 32) return fail(Errno.EMSGSIZE!);
  return done(file.object.send(gather(ctx.memory, vectors), ctx.process.vpid));
}

/**
 * SO_SNDBUF or SO_RCVBUF as getsockopt reports it: the default until set;
 * then what was set (as unsigned, at most net.core.wmem_max or rmem_max)
 * doubled, no less than Linux's smallest buffer.
 */
function bufferSize(file: NetlinkFile, option: number): number {
  const set = file.object.options.get(`${SOL_SOCKET}:${option}`);
  if (set === undefined || set.length < 4) return DEFAULT_SOCKET_BUFFER;
  const asked = Math.min(decodeIntOption(set) >>> 0, DEFAULT_SOCKET_BUFFER);
  return Math.max(2 * asked, option === SO_SNDBUF ? SMALLEST_SEND_BUFFER : SMALLEST_RECEIVE_BUFFER);
}

/** The next answer into `vectors`; `finish` learns whether it was cut. MSG_TRUNC returns its whole length, as on Linux. */
function receive(ctx: SyscallContext, file: NetlinkFile, vectors: readonly Iovec[], flags: number, finish: (truncated: boolean) => void): Outcome {
  const answer = file.object.receive(totalLength(vectors), (flags & MSG_PEEK) !== 0);
  if (answer === undefined) {
    if (file.nonblocking || (flags & MSG_DONTWAIT) !== 0) return fail(Errno.EAGAIN);
    return blocked({ kind: 'io', reason: `a netlink answer in ${ctx.thread.label}`, isReady: () => file.object.readable, watch: [], onSignal: 'restartable' });
  }
  scatter(ctx.memory, vectors, [answer.data]);
  finish(answer.length > answer.data.length);
  return done((flags & MSG_TRUNC) !== 0 ? answer.length : answer.data.length);
}

/** read and write on a netlink socket: a receive and a send without flags or address. */
export function readNetlink(ctx: SyscallContext, file: NetlinkFile, vectors: readonly Iovec[]): Outcome {
  return receive(ctx, file, vectors, 0, () => undefined);
}

export function writeNetlink(ctx: SyscallContext, file: NetlinkFile, vectors: readonly Iovec[]): Outcome {
  return send(ctx, file, vectors, 0, 0);
}

function sendto(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const [, buffer, length, , to, toLength] = ctx.args as [number, number, number, number, number, number];
  return send(ctx, file, [{ base: buffer, length }], to, asInt(toLength));
}

function sendmsg(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const header = readMsghdr(ctx.memory, ctx.args[1]!, true);
  if ('errno' in header) return fail(header.errno);
  return send(ctx, file, header.vectors, header.name, header.nameLength);
}

function sendmmsg(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const [, vector, count] = ctx.args as [number, number, number];
  let sent = 0;
  for (; sent < Math.min(asInt(count), 1024); sent++) {
    const entry = mmsghdrAt(vector, sent);
    const header = readMsghdr(ctx.memory, entry, true);
    if ('errno' in header) return sent > 0 ? done(sent) : fail(header.errno);
    const outcome = send(ctx, file, header.vectors, header.name, header.nameLength);
    if (outcome.kind !== 'done') return sent > 0 ? done(sent) : outcome;
    writeMmsgLength(ctx.memory, entry, outcome.value);
  }
  return done(sent);
}

function recvfrom(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const [, buffer, length, flags, address, lengthPointer] = ctx.args as [number, number, number, number, number, number];
  return receive(ctx, file, [{ base: buffer, length }], asInt(flags), () => writeSockaddr(ctx.memory, address, lengthPointer, encodeSockaddrNl(0, 0)));
}

function recvmsg(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const address = ctx.args[1]!;
  const header = readMsghdr(ctx.memory, address, false);
  if ('errno' in header) return fail(header.errno);
  return receive(ctx, file, header.vectors, asInt(ctx.args[2]!), (truncated) =>
    finishReceivedMsghdrFrom(ctx.memory, address, header, encodeSockaddrNl(0, 0), truncated ? MSG_TRUNC : 0),
  );
}

function setsockopt(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const [, level, option, value, length] = ctx.args as [number, number, number, number, number];
  const size = Math.max(0, Math.min(asInt(length), 256));
  file.object.options.set(`${asInt(level)}:${asInt(option)}`, size > 0 && value !== 0 ? ctx.memory.read(value, size) : Buffer.alloc(0));
  return done(0);
}

function getsockopt(ctx: SyscallContext, file: NetlinkFile): Outcome {
  const [, levelArg, optionArg, value, lengthPointer] = ctx.args as [number, number, number, number, number];
  const level = asInt(levelArg);
  const option = asInt(optionArg);
  const set = file.object.options.get(`${level}:${option}`);
  let answer = set ?? encodeIntOption(0);
  if (level === SOL_SOCKET) {
    if (option === SO_TYPE) answer = encodeIntOption(file.object.type);
    if (option === SO_DOMAIN) answer = encodeIntOption(AF_NETLINK);
    if (option === SO_PROTOCOL) answer = encodeIntOption(file.object.protocol);
    // Linux reports twice what was set: the other half is its bookkeeping.
    if (option === SO_SNDBUF || option === SO_RCVBUF) answer = encodeIntOption(bufferSize(file, option));
  } else if (level !== SOL_NETLINK && set === undefined) {
    return fail(Errno.ENOPROTOOPT!);
  }
  const room = readI32(ctx.memory, lengthPointer);
  const shown = answer.subarray(0, Math.max(0, Math.min(room, answer.length)));
  if (shown.length > 0) ctx.memory.write(value, shown);
  writeI32(ctx.memory, lengthPointer, shown.length);
  return done(0);
}

type NetlinkCall = (ctx: SyscallContext, file: NetlinkFile) => Outcome;

const CALLS: Readonly<Record<string, NetlinkCall>> = {
  bind,
  connect,
  getsockname: (ctx, file) => name(ctx, file, 'local'),
  getpeername: (ctx, file) => name(ctx, file, 'peer'),
  sendto,
  sendmsg,
  sendmmsg,
  recvfrom,
  recvmsg,
  setsockopt,
  getsockopt,
};

/**
 * The socket family's table, each call on a descriptor of a netlink socket
 * answered here (the calls netlink has no use for, listen, accept and
 * shutdown, fail with EOPNOTSUPP as on Linux).
 */
export function withNetlink(table: FamilyTable): FamilyTable {
  const wrapped: Record<string, FamilyTable[string]> = {};
  for (const [call, entry] of Object.entries(table)) {
    const handler = entry.handler;
    if (handler === undefined || call === 'socket' || call === 'socketpair') {
      wrapped[call] = entry;
      continue;
    }
    const onNetlink = CALLS[call] ?? (() => fail(Errno.EOPNOTSUPP!));
    wrapped[call] = {
      ...entry,
      handler: (ctx) => {
        const file = netlinkAt(ctx, asInt(ctx.args[0]!));
        return file === undefined ? handler(ctx) : onNetlink(ctx, file);
      },
    };
  }
  return wrapped;
}
