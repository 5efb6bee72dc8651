import { Errno } from '../abi/errno.js';
import {
  INTERFACE_SETTERS,
  IFREQ_SIZE,
  SIOCGIFADDR,
  SIOCGIFBRDADDR,
  SIOCGIFCONF,
  SIOCGIFFLAGS,
  SIOCGIFHWADDR,
  SIOCGIFINDEX,
  SIOCGIFMTU,
  SIOCGIFNAME,
  SIOCGIFNETMASK,
  encodeIfconfEntry,
  readIfconf,
  readIfreqIndex,
  readIfreqName,
  writeIfconfLength,
  writeIfreqAddress,
  writeIfreqFlags,
  writeIfreqHardware,
  writeIfreqInt,
  writeIfreqName,
} from '../abi/ifreq.js';
import { asInt } from '../abi/tracee-memory.js';
import { hostInterfaces, netmaskOf, type NetworkInterface } from '../host/interfaces.js';
import { NetlinkSocket } from '../sockets/netlink-socket.js';
import { SocketFile } from '../sockets/socket-file.js';
import type { SyscallContext } from './context.js';
import { done, fail, type Outcome } from './outcome.js';

/**
 * The interface ioctls of a socket (netdevice(7)), answered with the
 * host's emulated interfaces (host/interfaces.ts) whatever kind of socket
 * the descriptor is. Undefined for the other requests, and for virtual
 * objects that are no socket, whose kernel placeholder answers.
 */
export function interfaceIoctl(ctx: SyscallContext, request: number): Outcome | undefined {
  if (!isInterfaceRequest(request)) return undefined;
  const fd = asInt(ctx.args[0]!);
  const object = ctx.process.fds.get(fd)?.object;
  if (object === undefined) {
    const info = ctx.services.kernelFds.inspect(ctx.process, fd);
    if (info === null) return fail(Errno.EBADF);
    if (info.kind !== 'socket') return fail(Errno.ENOTTY);
  } else if (!(object instanceof SocketFile || object instanceof NetlinkSocket)) {
    // Not a socket (an epoll instance): the kernel's descriptor behind it answers.
    return undefined;
  }
  if (INTERFACE_SETTERS.has(request)) return fail(Errno.EPERM);
  const interfaces = hostInterfaces(ctx.services.network.addresses, ctx.process.host);
  const ifreq = ctx.args[2]!;
  if (request === SIOCGIFCONF) return interfaceList(ctx, interfaces);
  if (request === SIOCGIFNAME) {
    const found = interfaces.find((candidate) => candidate.index === readIfreqIndex(ctx.memory, ifreq));
    if (found === undefined) return fail(Errno.ENODEV);
    writeIfreqName(ctx.memory, ifreq, found.name);
    return done(0);
  }
  const name = readIfreqName(ctx.memory, ifreq);
  const found = interfaces.find((candidate) => candidate.name === name);
  if (found === undefined) return fail(Errno.ENODEV);
  answer(ctx, request, ifreq, found);
  return done(0);
}

function isInterfaceRequest(request: number): boolean {
  return INTERFACE_SETTERS.has(request) || ANSWERED.has(request);
}

const ANSWERED: ReadonlySet<number> = new Set([
  SIOCGIFNAME,
  SIOCGIFCONF,
  SIOCGIFFLAGS,
  SIOCGIFADDR,
  SIOCGIFBRDADDR,
  SIOCGIFNETMASK,
  SIOCGIFMTU,
  SIOCGIFHWADDR,
  SIOCGIFINDEX,
]);

/** The requests interfaceIoctl answers. */
export const INTERFACE_IOCTLS: readonly number[] = [...INTERFACE_SETTERS, ...ANSWERED];

function answer(ctx: SyscallContext, request: number, ifreq: number, found: NetworkInterface): void {
  const memory = ctx.memory;
  switch (request) {
    case SIOCGIFFLAGS:
      writeIfreqFlags(memory, ifreq, found.flags);
      break;
    case SIOCGIFADDR:
      writeIfreqAddress(memory, ifreq, found.address);
      break;
    case SIOCGIFBRDADDR:
      // lo has no broadcast address: Linux shows 0.0.0.0.
      writeIfreqAddress(memory, ifreq, found.broadcast ?? '0.0.0.0');
      break;
    case SIOCGIFNETMASK:
      writeIfreqAddress(memory, ifreq, netmaskOf(found.prefixLength));
      break;
    case SIOCGIFMTU:
      writeIfreqInt(memory, ifreq, found.mtu);
      break;
    case SIOCGIFINDEX:
      writeIfreqInt(memory, ifreq, found.index);
      break;
    case SIOCGIFHWADDR:
      writeIfreqHardware(memory, ifreq, found.hardwareType, found.mac);
      break;
  }
}

/**
 * SIOCGIFCONF: one ifreq per IPv4 address. A NULL buffer asks for the room
 * needed; otherwise as many whole entries as fit are written, and ifc_len
 * says how many bytes they take.
 */
function interfaceList(ctx: SyscallContext, interfaces: readonly NetworkInterface[]): Outcome {
  const ifconf = ctx.args[2]!;
  const { length, buffer } = readIfconf(ctx.memory, ifconf);
  if (buffer === 0) {
    writeIfconfLength(ctx.memory, ifconf, interfaces.length * IFREQ_SIZE);
    return done(0);
  }
  const fitting = interfaces.slice(0, Math.max(0, Math.floor(length / IFREQ_SIZE)));
  for (const [position, entry] of fitting.entries()) {
    ctx.memory.write(buffer + position * IFREQ_SIZE, encodeIfconfEntry(entry.name, entry.address));
  }
  writeIfconfLength(ctx.memory, ifconf, fitting.length * IFREQ_SIZE);
  return done(0);
}
