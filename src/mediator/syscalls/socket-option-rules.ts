import { Errno } from '../abi/errno.js';
import { SO_PEERCRED } from '../abi/credentials.js';
import {
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOL_SOCKET,
  SO_ACCEPTCONN,
  SO_BINDTODEVICE,
  SO_DOMAIN,
  SO_ERROR,
  SO_LINGER,
  SO_PEERNAME,
  SO_PROTOCOL,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  SO_TYPE,
} from '../abi/socket.js';

/**
 * What Linux refuses in getsockopt and setsockopt on an AF_INET socket
 * before it looks at an option's value, in its order: the length, the
 * level, the option's name and size. Checked against the kernel by the
 * syscall fuzzer (test/apps/fuzz_syscalls.c).
 */

/** SOL_SOCKET names Linux assigns run from 1 to about 80 (SO_RCVPRIORITY, 82, in 6.14): past this, none. */
const LAST_SOCKET_OPTION = 82;
/** Options one can only read. */
const READ_ONLY = new Set([SO_TYPE, SO_ERROR, SO_PEERCRED, SO_PEERNAME, SO_ACCEPTCONN, SO_PROTOCOL, SO_DOMAIN]);

/** The size of an option's value: struct linger, struct timeval, else an int. */
export function optionSize(level: number, name: number): number {
  if (level !== SOL_SOCKET) return 4;
  if (name === SO_LINGER) return 8;
  return name === SO_RCVTIMEO || name === SO_SNDTIMEO ? 16 : 4;
}

const transportOf = (stream: boolean): number => (stream ? IPPROTO_TCP : IPPROTO_UDP);
const knownSocketOption = (name: number): boolean => name >= 1 && name <= LAST_SOCKET_OPTION;

/**
 * Why getsockopt refuses `level` on this kind of socket, before *optlen is
 * even read, or undefined for a level it knows: EOPNOTSUPP from
 * ip_getsockopt, ENOPROTOOPT from ipv6_getsockopt; an AF_INET6 socket knows
 * IPPROTO_IPV6 too.
 */
export function getLevelRefusal(stream: boolean, level: number, family: 4 | 6): number | undefined {
  if (level === SOL_SOCKET || level === IPPROTO_IP || level === transportOf(stream) || (family === 6 && level === IPPROTO_IPV6)) return undefined;
  return family === 6 ? Errno.ENOPROTOOPT : Errno.EOPNOTSUPP;
}

/** Why getsockopt fails at a known level before answering (`room`: what *optlen held), or undefined. */
export function getRefusal(level: number, name: number, room: number): number | undefined {
  if (room < 0) return Errno.EINVAL;
  return level !== SOL_SOCKET || knownSocketOption(name) ? undefined : Errno.ENOPROTOOPT;
}

/** Why setsockopt fails before reading the value (`length`: optlen, an int), or undefined. */
export function setRefusal(stream: boolean, level: number, name: number, length: number, family: 4 | 6 = 4): number | undefined {
  if (length < 0) return Errno.EINVAL;
  if (level === SOL_SOCKET) return name !== SO_BINDTODEVICE && length < 4 ? Errno.EINVAL : undefined;
  if (level === transportOf(stream)) return length < 4 ? Errno.EINVAL : undefined;
  return level === IPPROTO_IP || (family === 6 && level === IPPROTO_IPV6) ? undefined : Errno.ENOPROTOOPT;
}

/** Whether setsockopt reads an int first, before looking at the name (SOL_SOCKET and the transport's level do). */
export function readsIntFirst(stream: boolean, level: number, name: number): boolean {
  return (level === SOL_SOCKET && name !== SO_BINDTODEVICE) || level === transportOf(stream);
}

/** Why setsockopt fails once it has that int: an unknown or read-only name (ENOPROTOOPT), a value too short for its struct (EINVAL). */
export function setRefusalByName(level: number, name: number, length: number): number | undefined {
  if (level !== SOL_SOCKET) return undefined;
  if (!knownSocketOption(name) || READ_ONLY.has(name)) return Errno.ENOPROTOOPT;
  return length < optionSize(level, name) ? Errno.EINVAL : undefined;
}
