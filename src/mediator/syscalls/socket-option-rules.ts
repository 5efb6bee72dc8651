import { Errno } from '../abi/errno.js';
import {
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOL_SOCKET,
  SO_BINDTODEVICE,
  SO_LINGER,
  SO_RCVTIMEO,
  SO_SNDTIMEO,
  TCP_CONGESTION,
  TCP_ULP,
  UDP_ENCAP,
  UDP_ENCAP_ESPINUDP,
  UDP_ENCAP_L2TPINUDP,
} from '../abi/socket.js';
import { knownOptionName } from './socket-option-names.js';

/**
 * What Linux refuses in getsockopt and setsockopt on an AF_INET or AF_INET6
 * socket before it looks at an option's value, in its order: the length,
 * the level, the option's name and size. Which names each level knows is
 * socket-option-names.ts's table. Checked against the kernel by the
 * syscall fuzzer (test/apps/fuzz_syscalls.c) and socket_option_names.
 */

/** TCP options that are strings (an algorithm's, an upper layer's name): no int is read for them. */
const TCP_STRING_OPTIONS = new Set([TCP_CONGESTION, TCP_ULP]);
/** UDP_ENCAP's values setsockopt takes: none, ESP in UDP, L2TP in UDP; any other is refused as an unknown name. */
const UDP_ENCAP_VALUES = new Set([0, UDP_ENCAP_ESPINUDP, UDP_ENCAP_L2TPINUDP]);
/**
 * IPv6 options whose value may be shorter than an int: booleans read as 0
 * (IPV6_2292PKTOPTIONS, IPV6_DONTFRAG, IPV6_AUTOFLOWLABEL,
 * IPV6_RECVFRAGSIZE), and extension headers, which an empty value removes
 * (IPV6_HOPOPTS, IPV6_RTHDRDSTOPTS, IPV6_RTHDR, IPV6_DSTOPTS). Every other
 * IPv6 option refuses less than an int (EINVAL).
 */
const IPV6_SHORT_VALUES = new Set([6, 62, 70, 77]);
const IPV6_EMPTY_VALUES = new Set([54, 55, 57, 59]);

/** The size of an option's value: struct linger, struct timeval, else an int. */
export function optionSize(level: number, name: number): number {
  if (level !== SOL_SOCKET) return 4;
  if (name === SO_LINGER) return 8;
  return name === SO_RCVTIMEO || name === SO_SNDTIMEO ? 16 : 4;
}

const transportOf = (stream: boolean): number => (stream ? IPPROTO_TCP : IPPROTO_UDP);

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

/**
 * Why getsockopt fails at a known level before answering (`room`: what
 * *optlen held), or undefined: a negative room (EINVAL), but not at
 * IPPROTO_IPV6, which takes it as unsigned; then the name.
 */
export function getRefusal(stream: boolean, level: number, name: number, room: number): number | undefined {
  if (room < 0 && level !== IPPROTO_IPV6) return Errno.EINVAL;
  return knownOptionName('get', stream, level, name) ? undefined : Errno.ENOPROTOOPT;
}

/**
 * Why setsockopt fails before reading the value (`length`: optlen, an
 * int), or undefined: SOL_SOCKET and the transport's level want an int
 * first; IPPROTO_IP refuses a name it does not know before anything else.
 */
export function setRefusal(stream: boolean, level: number, name: number, length: number, family: 4 | 6 = 4): number | undefined {
  if (length < 0) return Errno.EINVAL;
  if (level === SOL_SOCKET) return name !== SO_BINDTODEVICE && length < 4 ? Errno.EINVAL : undefined;
  if (level === transportOf(stream)) {
    if (stream && TCP_STRING_OPTIONS.has(name)) return length < 1 ? Errno.EINVAL : undefined;
    return length < 4 ? Errno.EINVAL : undefined;
  }
  if (level === IPPROTO_IP) return knownOptionName('set', stream, level, name) ? undefined : Errno.ENOPROTOOPT;
  return family === 6 && level === IPPROTO_IPV6 ? undefined : Errno.ENOPROTOOPT;
}

/**
 * Whether setsockopt reads an int first, before looking at the name:
 * SOL_SOCKET and the transport's level do (but for strings), and
 * IPPROTO_IPV6 does whenever there is an int to read (do_ipv6_setsockopt).
 */
export function readsIntFirst(stream: boolean, level: number, name: number, length: number, value: number): boolean {
  if (level === SOL_SOCKET) return name !== SO_BINDTODEVICE;
  if (level === transportOf(stream)) return !(stream && TCP_STRING_OPTIONS.has(name));
  return level === IPPROTO_IPV6 && length >= 4 && value !== 0;
}

/**
 * Why setsockopt fails once it has that int (`integer`: what it read, if
 * it read one): an unknown name or a value UDP_ENCAP does not know
 * (ENOPROTOOPT), a value too short for its option (EINVAL).
 */
export function setRefusalByName(stream: boolean, level: number, name: number, length: number, integer: number | undefined): number | undefined {
  if (!knownOptionName('set', stream, level, name)) return Errno.ENOPROTOOPT;
  if (level === SOL_SOCKET) return length < optionSize(level, name) ? Errno.EINVAL : undefined;
  if (level === IPPROTO_UDP && name === UDP_ENCAP && !UDP_ENCAP_VALUES.has(integer ?? 0)) return Errno.ENOPROTOOPT;
  if (level === IPPROTO_IPV6 && length < 4 && !IPV6_SHORT_VALUES.has(name) && !(length === 0 && IPV6_EMPTY_VALUES.has(name))) return Errno.EINVAL;
  return undefined;
}
