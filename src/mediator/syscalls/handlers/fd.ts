import {
  CLOSE_RANGE_CLOEXEC,
  CLOSE_RANGE_UNSHARE,
  FD_CLOEXEC,
  FIOCLEX,
  FIONBIO,
  FIONCLEX,
  FIONREAD,
  SIOCOUTQNSD,
  TIOCOUTQ,
  F_DUPFD,
  F_DUPFD_CLOEXEC,
  F_GETFD,
  F_SETFD,
  F_SETFL,
  F_SETSIG,
  FIOASYNC,
  O_ASYNC,
  O_CLOEXEC,
  O_NONBLOCK,
} from '../../abi/fd.js';
import { StreamSocket, type DatagramSocket } from '../../../net/index.js';
import { Errno } from '../../abi/errno.js';
import { asInt, asUint, readI32, writeI32 } from '../../abi/tracee-memory.js';
import { socketFileAt } from '../../sockets/payloads.js';
import type { SocketFile } from '../../sockets/socket-file.js';
import type { OpenFile } from '../../tracees/fd-table.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { OWNER_IOCTLS, fcntlOwner, ioctlOwner } from '../fd-owners.js';
import { fcntlLockQuery } from '../lock-holders.js';
import { INTERFACE_IOCTLS, interfaceIoctl } from '../interface-ioctls.js';
import { TERMINAL_GROUP_IOCTLS, terminalGroupIoctl } from '../terminal-groups.js';
import { NATIVE, done, fail, native, type Outcome } from '../outcome.js';

/**
 * Descriptor bookkeeping for the objects the mediator implements: the
 * kernel does the real work on the placeholder descriptors (numbering,
 * closing), and the fd table follows it (dup, close-on-exec, O_NONBLOCK).
 */

function close(ctx: SyscallContext): Outcome {
  ctx.process.fds.close(asInt(ctx.args[0]!));
  return NATIVE;
}

/** After a successful dup into `target`: the new descriptor designates the same open file. */
function duplicated(ctx: SyscallContext, source: number, cloexec: boolean, target?: number): Outcome {
  const fds = ctx.process.fds;
  return native((fd) => {
    if (fd < 0) return;
    const file = fds.get(source);
    if (target !== undefined && target !== source) fds.close(target);
    if (file !== undefined && fd !== source) fds.install(fd, file, cloexec);
  });
}

function dup(ctx: SyscallContext): Outcome {
  return duplicated(ctx, asInt(ctx.args[0]!), false);
}

function dup2(ctx: SyscallContext): Outcome {
  return duplicated(ctx, asInt(ctx.args[0]!), false, asInt(ctx.args[1]!));
}

function dup3(ctx: SyscallContext): Outcome {
  return duplicated(ctx, asInt(ctx.args[0]!), (asInt(ctx.args[2]!) & O_CLOEXEC) !== 0, asInt(ctx.args[1]!));
}

function fcntl(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const command = asInt(ctx.args[1]!);
  const argument = asInt(ctx.args[2]!);
  const owner = fcntlOwner(ctx, command);
  if (owner !== undefined) return owner;
  const lockQuery = fcntlLockQuery(ctx, command);
  if (lockQuery !== undefined) return lockQuery;
  const fds = ctx.process.fds;
  const file = fds.get(fd);
  if (file === undefined) return NATIVE;
  switch (command) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
      return duplicated(ctx, fd, command === F_DUPFD_CLOEXEC);
    case F_SETFD:
      fds.setCloexec(fd, (argument & FD_CLOEXEC) !== 0);
      return NATIVE;
    case F_GETFD:
      return done(fds.cloexec(fd) ? FD_CLOEXEC : 0);
    case F_SETFL:
      // The placeholder gets the same flags natively, so F_GETFL stays true.
      file.nonblocking = (argument & O_NONBLOCK) !== 0;
      return asyncSwitch(ctx, fd, (argument & O_ASYNC) !== 0);
    case F_SETSIG: {
      const socket = socketFileAt(ctx, fd);
      // The kernel checks the signal number; its answer says whether it took it.
      if (socket === undefined) return NATIVE;
      return native((result) => {
        if (result === 0) socket.object.async.signal = argument;
      });
    }
    default:
      return NATIVE;
  }
}

/** O_ASYNC turned on or off for descriptor `fd` (F_SETFL, FIOASYNC): on a virtual socket the mediator signals its events once the kernel agreed. */
function asyncSwitch(ctx: SyscallContext, fd: number, on: boolean): Outcome {
  const file: OpenFile<SocketFile> | undefined = socketFileAt(ctx, fd);
  if (file === undefined || file.object.carrier.kernelSignalsIo) return NATIVE;
  const { async, socket } = file.object;
  const { signals, tracees } = ctx.services;
  return native((result) => {
    if (result !== 0 || on === async.enabled) return;
    if (on) async.enable(socket, fd, { signals, tracees });
    else async.disable();
  });
}

function ioctl(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  const request = asUint(ctx.args[1]!);
  const owner = ioctlOwner(ctx, request);
  if (owner !== undefined) return owner;
  const interfaces = interfaceIoctl(ctx, request);
  if (interfaces !== undefined) return interfaces;
  const terminal = terminalGroupIoctl(ctx, request);
  if (terminal !== undefined) return terminal;
  const fds = ctx.process.fds;
  const file = fds.get(fd);
  if (file === undefined) return NATIVE;
  switch (request) {
    case FIONBIO:
      file.nonblocking = readI32(ctx.memory, ctx.args[2]!) !== 0;
      return NATIVE;
    case FIOCLEX:
    case FIONCLEX:
      fds.setCloexec(fd, request === FIOCLEX);
      return NATIVE;
    case FIOASYNC:
      return asyncSwitch(ctx, fd, readI32(ctx.memory, ctx.args[2]!) !== 0);
    case FIONREAD:
    case TIOCOUTQ:
    case SIOCOUTQNSD: {
      const socket = socketFileAt(ctx, fd);
      if (socket === undefined && request !== FIONREAD) return NATIVE;
      const queued = socket === undefined ? 0 : socketQueue(socket.object.socket, request);
      if (typeof queued !== 'number') return fail(queued.errno);
      writeI32(ctx.memory, ctx.args[2]!, queued);
      return done(0);
    }
    default:
      return NATIVE;
  }
}

/**
 * SIOCINQ (FIONREAD), SIOCOUTQ and SIOCOUTQNSD on a virtual socket, as
 * tcp_ioctl and udp_ioctl answer: a listener has no queues (EINVAL), a
 * connection its bytes unread, unacknowledged and unsent; a UDP socket its
 * next datagram's size, and nothing waiting to leave (datagrams leave at
 * once), and no SIOCOUTQNSD (ENOTTY).
 */
function socketQueue(socket: StreamSocket | DatagramSocket, request: number): number | { errno: number } {
  if (socket instanceof StreamSocket) {
    if (socket.state === 'listening') return { errno: Errno.EINVAL };
    return request === FIONREAD ? socket.available() : request === TIOCOUTQ ? socket.unacknowledged() : socket.unsent();
  }
  if (request === SIOCOUTQNSD) return { errno: Errno.ENOTTY };
  return request === FIONREAD ? socket.available() : 0;
}

/**
 * Every request ioctl answers or follows; the others (TCGETS on each file a
 * program opens...) run natively without a stop. A request added to a
 * switch above must be added here.
 */
const MEDIATED_IOCTLS: readonly number[] = [
  ...OWNER_IOCTLS,
  ...INTERFACE_IOCTLS,
  ...TERMINAL_GROUP_IOCTLS,
  FIONBIO,
  FIOCLEX,
  FIONCLEX,
  FIOASYNC,
  FIONREAD,
  TIOCOUTQ,
  SIOCOUTQNSD,
];

function closeRange(ctx: SyscallContext): Outcome {
  const first = asUint(ctx.args[0]!);
  const last = asUint(ctx.args[1]!);
  const cloexecOnly = (asInt(ctx.args[2]!) & CLOSE_RANGE_CLOEXEC) !== 0;
  // The caller gets a table of its own first, as unshare(CLONE_FILES) gives.
  if ((asInt(ctx.args[2]!) & CLOSE_RANGE_UNSHARE) !== 0) ctx.process.fds.unshared();
  return native((result) => {
    if (result === 0) ctx.process.fds.closeRange(first, last, cloexecOnly);
  });
}

const NOTE = 'runs in the kernel; virtual sockets and epoll instances follow it';

export const fdSyscalls: FamilyTable = {
  close: { level: 'mediated', handler: close, note: NOTE, freesDescriptors: true },
  dup: { level: 'mediated', handler: dup, note: NOTE },
  dup2: { level: 'mediated', handler: dup2, note: NOTE, freesDescriptors: true },
  dup3: { level: 'mediated', handler: dup3, note: NOTE, freesDescriptors: true },
  fcntl: {
    level: 'mediated',
    handler: fcntl,
    note: `${NOTE}; owners (F_SETOWN, F_GETOWN and their _EX forms) are virtual pids or groups, and so is a lock holder (F_GETLK's l_pid)`,
  },
  ioctl: {
    level: 'mediated',
    handler: ioctl,
    stopsOnlyWhen: { argument: 1, oneOf: MEDIATED_IOCTLS },
    note: `${NOTE}; SIOCINQ (FIONREAD), SIOCOUTQ and SIOCOUTQNSD on a virtual socket are emulated; the interface requests (SIOCGIFCONF, SIOCGIFADDR...) describe the host's emulated lo and eth0; owners (FIOSETOWN, SIOCSPGRP and their gets) and a terminal's foreground group and session (TIOCSPGRP, TIOCGPGRP, TIOCGSID) are virtual pids or groups; the other requests run natively, without a stop`,
  },
  close_range: { level: 'mediated', handler: closeRange, note: NOTE, freesDescriptors: true },
};
