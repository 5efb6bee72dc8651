import { fail, formatIpv4, formatIpv6, isIpv6, mappedIpv4, parseIpv4, parseIpv6, type Endpoint, type SocketError } from '../../net/index.js';
import { Errno } from './errno.js';
import { importIovecs, type Iovec } from './iovec.js';
import { readI32, writeI32, writeU32, type TraceeMemory } from './tracee-memory.js';

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;

export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_TYPE_MASK = 0xf;
export const SOCK_RAW = 3;
/** Socket types run below this (SOCK_PACKET is 10). */
export const SOCK_MAX = 11;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const MSG_WAITALL = 0x100;
export const MSG_ERRQUEUE = 0x2000;
export const MSG_MORE = 0x8000;
export const MSG_WAITFORONE = 0x10000;
export const MSG_NOSIGNAL = 0x4000;
export const MSG_FASTOPEN = 0x2000_0000;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_TYPE = 3;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_REUSEPORT = 15;
export const SO_ACCEPTCONN = 30;
export const SO_PROTOCOL = 38;
export const SO_DOMAIN = 39;
export const SO_LINGER = 13;
export const SO_RCVTIMEO = 20;
export const SO_SNDTIMEO = 21;
export const SO_BINDTODEVICE = 25;
export const SO_PEERNAME = 28;
/** SK_MEMINFO_VARS (9) 32-bit counters. */
export const SO_MEMINFO = 55;
export const SK_MEMINFO_SIZE = 36;
export const SO_COOKIE = 57;
/** Linux's default socket buffers (net.core.wmem_default, rmem_default), also their ceiling for setsockopt (wmem_max, rmem_max). */
export const DEFAULT_SOCKET_BUFFER = 212992;
/**
 * Linux's smallest SO_SNDBUF and SO_RCVBUF as getsockopt reports them
 * (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF: 2048 bytes and a struct sk_buff, twice
 * for sending).
 */
export const SMALLEST_SEND_BUFFER = 4608;
export const SMALLEST_RECEIVE_BUFFER = 2304;
export const IPPROTO_IP = 0;
export const IP_OPTIONS = 4;
export const IP_MTU = 14;
export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const TCP_MAXSEG = 2;
export const TCP_CORK = 3;
/** tcp(7): a struct tcp_info of the connection's state and counters (abi/tcp-info.ts). */
export const TCP_INFO = 11;
/** The longest congestion control name, the size of TCP_CONGESTION's answer. */
export const TCP_CA_NAME_MAX = 16;
/** tcp(7): milliseconds unacknowledged data may wait before the connection gives up (0: tcp_retries2 decides). */
export const TCP_USER_TIMEOUT = 18;
export const TCP_CONGESTION = 13;
export const TCP_ULP = 31;
export const IPPROTO_UDP = 17;
export const UDP_ENCAP = 100;
export const UDP_ENCAP_ESPINUDP = 2;
export const UDP_ENCAP_L2TPINUDP = 3;
export const IPPROTO_IPV6 = 41;
export const IPV6_ADDRFORM = 1;
export const IPV6_MTU = 24;
export const IPV6_V6ONLY = 26;

/** An `int` socket option value as setsockopt got it (0 when shorter than an int). */
export function decodeIntOption(raw: Buffer): number {
  return raw.length >= 4 ? raw.readInt32LE(0) : 0;
}

/** An `int` socket option value as getsockopt hands it out. */
export function encodeIntOption(value: number): Buffer {
  const raw = Buffer.alloc(4);
  raw.writeInt32LE(value);
  return raw;
}

/** sizeof(struct sockaddr_in): family, port, address, 8 bytes of zero padding. */
export const SOCKADDR_IN_SIZE = 16;
/** sizeof(struct sockaddr_in6): family, port, flow label, address, scope id. */
export const SOCKADDR_IN6_SIZE = 28;
/** The shortest sockaddr_in6 Linux takes (SIN6_LEN_RFC2133: without the scope id). */
export const SIN6_LEN_RFC2133 = 24;
/** sizeof(struct sockaddr_storage): the longest address the kernel takes. */
export const SOCKADDR_STORAGE_SIZE = 128;

export const FAMILY_NAMES: Readonly<Record<number, string>> = {
  [AF_UNSPEC]: 'AF_UNSPEC',
  [AF_UNIX]: 'AF_UNIX',
  [AF_INET]: 'AF_INET',
  [AF_INET6]: 'AF_INET6',
  [AF_NETLINK]: 'AF_NETLINK',
};

export function familyName(family: number): string {
  return FAMILY_NAMES[family] ?? `address family ${family}`;
}

/** The sa_family of a struct sockaddr (host byte order, x86-64), or null if too short to hold one. */
export function sockaddrFamily(bytes: Buffer): number | null {
  return bytes.length >= 2 ? bytes.readUInt16LE(0) : null;
}

export function encodeSockaddrIn(endpoint: Endpoint): Buffer {
  const address = parseIpv4(endpoint.address);
  if (address === null) throw new Error(`not an IPv4 address: ${endpoint.address}`);
  const bytes = Buffer.alloc(SOCKADDR_IN_SIZE);
  bytes.writeUInt16LE(AF_INET, 0);
  bytes.writeUInt16BE(endpoint.port, 2);
  bytes.writeUInt32BE(address, 4);
  return bytes;
}

/** A struct sockaddr_in6; an IPv4 address of the network is written IPv4-mapped, as a dual-stack socket shows it. */
export function encodeSockaddrIn6(endpoint: Endpoint): Buffer {
  const address = isIpv6(endpoint.address) ? parseIpv6(endpoint.address) : parseIpv6(`::ffff:${endpoint.address}`);
  if (address === null) throw new Error(`not an IP address: ${endpoint.address}`);
  const bytes = Buffer.alloc(SOCKADDR_IN6_SIZE);
  bytes.writeUInt16LE(AF_INET6, 0);
  bytes.writeUInt16BE(endpoint.port, 2);
  address.copy(bytes, 8);
  return bytes;
}

/** The sockaddr a socket of `family` shows for an endpoint (getsockname, accept, recvfrom). */
export function encodeSockaddrFor(family: 4 | 6, endpoint: Endpoint): Buffer {
  return family === 6 ? encodeSockaddrIn6(endpoint) : encodeSockaddrIn(endpoint);
}

/**
 * A struct sockaddr_in6 read as Linux's inet6_bind and tcp_v6_connect do:
 * shorter than SIN6_LEN_RFC2133 → EINVAL whatever its family, then another
 * family → EAFNOSUPPORT. An IPv4-mapped address becomes the IPv4 address it
 * stands for.
 */
export function decodeSockaddrIn6(bytes: Buffer): Endpoint | SocketError {
  if (bytes.length < SIN6_LEN_RFC2133) return fail('EINVAL');
  if (sockaddrFamily(bytes) !== AF_INET6) return fail('EAFNOSUPPORT');
  const address = bytes.subarray(8, 24);
  return { address: mappedIpv4(address) ?? formatIpv6(address), port: bytes.readUInt16BE(2) };
}

/** A connect or bind address for a socket of `family`. */
export function decodeSockaddrFor(family: 4 | 6, bytes: Buffer): Endpoint | SocketError {
  return family === 6 ? decodeSockaddrIn6(bytes) : decodeSockaddrIn(bytes);
}

/**
 * A struct sockaddr_in read as Linux's inet_bind and tcp_v4_connect do:
 * shorter than sockaddr_in → EINVAL whatever its family, then another
 * family → EAFNOSUPPORT (the caller can name it with
 * `familyName(sockaddrFamily(bytes))`).
 */
export function decodeSockaddrIn(bytes: Buffer): Endpoint | SocketError {
  if (bytes.length < SOCKADDR_IN_SIZE) return fail('EINVAL');
  if (sockaddrFamily(bytes) !== AF_INET) return fail('EAFNOSUPPORT');
  return { address: formatIpv4(bytes.readUInt32BE(4)), port: bytes.readUInt16BE(2) };
}

/**
 * The address bind takes: as `decodeSockaddrIn`, except that Linux's
 * inet_bind takes AF_UNSPEC for AF_INET when the address is INADDR_ANY,
 * for the sake of old programs.
 */
export function decodeBindAddress(bytes: Buffer): Endpoint | SocketError {
  if (sockaddrFamily(bytes) === AF_UNSPEC && bytes.length >= SOCKADDR_IN_SIZE && bytes.readUInt32BE(4) === 0) {
    return { address: formatIpv4(0), port: bytes.readUInt16BE(2) };
  }
  return decodeSockaddrIn(bytes);
}

/**
 * The bytes of an address a program hands to sendto or sendmsg, as Linux
 * takes them in before the protocol looks (move_addr_to_kernel): none for
 * NULL or a length of 0, EINVAL for a negative length or one past
 * sockaddr_storage; reading them may fault (EFAULT).
 */
export function readDestination(memory: TraceeMemory, address: number, length: number): Buffer | undefined | SocketError {
  if (address === 0) return undefined;
  if (length < 0 || length > SOCKADDR_STORAGE_SIZE) return fail('EINVAL');
  return length === 0 ? undefined : memory.read(address, length);
}

/** A UDP destination as udp_sendmsg reads it: too short EINVAL, AF_UNSPEC taken as AF_INET, another family EAFNOSUPPORT, port 0 EINVAL. */
export function decodeUdpDestination(bytes: Buffer): Endpoint | SocketError {
  if (bytes.length < SOCKADDR_IN_SIZE) return fail('EINVAL');
  const family = bytes.readUInt16LE(0);
  if (family !== AF_INET && family !== AF_UNSPEC) return fail('EAFNOSUPPORT');
  const port = bytes.readUInt16BE(2);
  return port === 0 ? fail('EINVAL') : { address: formatIpv4(bytes.readUInt32BE(4)), port };
}

/** sockaddr_un's sun_path, up to its NUL. */
export function sockaddrUnPath(bytes: Buffer): Buffer {
  const path = bytes.subarray(2);
  const end = path.indexOf(0);
  return end < 0 ? path : path.subarray(0, end);
}

/** The struct sockaddr of `length` bytes at `address`, as far as it is worth reading. */
export function readSockaddr(memory: TraceeMemory, address: number, length: number): Buffer {
  return memory.read(address, Math.min(Math.max(length, 0), SOCKADDR_STORAGE_SIZE));
}

/** The address a program hands over, as Linux takes it in (move_addr_to_kernel): a length past sockaddr_storage, or negative, is EINVAL before any read. */
export function readSockaddrIn(memory: TraceeMemory, address: number, length: number): Endpoint | SocketError {
  if (length < 0 || length > SOCKADDR_STORAGE_SIZE) return fail('EINVAL');
  return decodeSockaddrIn(readSockaddr(memory, address, length));
}

/**
 * Writes a sockaddr_in into a value-result pair (address, pointer to its
 * length): the address cut to the room the length gave, the full length
 * written back. Nothing when either pointer is NULL.
 */
export function writeSockaddrIn(memory: TraceeMemory, address: number, lengthPointer: number, endpoint: Endpoint): void {
  writeSockaddr(memory, address, lengthPointer, encodeSockaddrIn(endpoint));
}

/** As `writeSockaddrIn`, for an address of any family already encoded. */
export function writeSockaddr(memory: TraceeMemory, address: number, lengthPointer: number, encoded: Buffer): void {
  if (address === 0 || lengthPointer === 0) return;
  moveAddressToUser(memory, address, lengthPointer, encoded);
}

/**
 * The same as Linux's move_addr_to_user, for getsockname and getpeername:
 * the length is read (EFAULT), a negative one is EINVAL, the full length
 * written back, then the address up to the room (EFAULT, none written for
 * a room of 0). Linux 6.x writes in that order: a length pointer inside the
 * address buffer ends up overwritten by the address. Returns the errno, if any.
 */
export function moveAddressToUser(memory: TraceeMemory, address: number, lengthPointer: number, encoded: Buffer): number | undefined {
  const room = readI32(memory, lengthPointer);
  if (room < 0) return Errno.EINVAL;
  writeI32(memory, lengthPointer, encoded.length);
  if (room > 0) memory.write(address, encoded.subarray(0, Math.min(room, encoded.length)));
  return undefined;
}

/** struct msghdr: msg_name @0, msg_namelen @8, msg_iov @16, msg_iovlen @24, msg_control @32, msg_controllen @40, msg_flags @48. */
const MSG_NAMELEN = 8;
const MSG_CONTROLLEN = 40;
const MSG_FLAGS = 48;
const MSGHDR_SIZE = 56;
/** struct mmsghdr: a msghdr, then msg_len. */
const MMSG_LEN = 56;
export const MMSGHDR_SIZE = 64;

export interface Msghdr {
  name: number;
  nameLength: number;
  vectors: Iovec[];
  control: number;
  controlLength: number;
}

/** The control buffer of the header at `address` (after recvmsg: msg_controllen is what the kernel wrote there). */
export function readMsghdrControl(memory: TraceeMemory, address: number): { control: number; controlLength: number } {
  const raw = memory.read(address + 32, 16);
  return { control: Number(raw.readBigUInt64LE(0)), controlLength: Number(raw.readBigUInt64LE(8)) };
}

/**
 * The header as the kernel takes it (copy_msghdr_from_user): a negative
 * msg_namelen is EINVAL, a longer one is cut to sockaddr_storage, and for
 * sendmsg the name is read then (EFAULT); more than UIO_MAXIOV vectors is
 * EMSGSIZE; the vectors as readv's.
 */
export function readMsghdr(memory: TraceeMemory, address: number, sending: boolean): (Msghdr & { destination: Buffer | undefined }) | { errno: number } {
  const raw = memory.read(address, MSGHDR_SIZE);
  const name = Number(raw.readBigUInt64LE(0));
  // Without a name its length means nothing, not even a negative one (__copy_msghdr).
  const nameLength = name === 0 ? 0 : raw.readInt32LE(MSG_NAMELEN);
  if (nameLength < 0) return { errno: Errno.EINVAL };
  const kept = Math.min(nameLength, SOCKADDR_STORAGE_SIZE);
  const destination = sending && name !== 0 && kept > 0 ? memory.read(name, kept) : undefined;
  const vectors = importIovecs(memory, Number(raw.readBigUInt64LE(16)), Number(raw.readBigUInt64LE(24)), Errno.EMSGSIZE);
  if (!Array.isArray(vectors)) return vectors;
  return {
    name,
    nameLength: kept,
    destination,
    vectors,
    control: Number(raw.readBigUInt64LE(32)),
    controlLength: Number(raw.readBigUInt64LE(MSG_CONTROLLEN)),
  };
}

/**
 * After recvmsg: the source address, if the header asked for one (as a
 * value-result pair, msg_namelen holding the room), no control data, and
 * the flags.
 */
export function finishReceivedMsghdr(
  memory: TraceeMemory,
  address: number,
  header: Msghdr,
  source: Endpoint | undefined,
  flags: number,
  family: 4 | 6 = 4,
): void {
  let nameLength = 0;
  if (source !== undefined && header.name !== 0) {
    const encoded = encodeSockaddrFor(family, source);
    writeSockaddr(memory, header.name, address + MSG_NAMELEN, encoded);
    nameLength = header.nameLength > 0 ? encoded.length : 0;
  }
  writeU32(memory, address + MSG_NAMELEN, nameLength);
  memory.write(address + MSG_CONTROLLEN, Buffer.alloc(8));
  writeI32(memory, address + MSG_FLAGS, flags);
}

/** As `finishReceivedMsghdr`, for a source address of any family already encoded (a netlink socket's sockaddr_nl). */
export function finishReceivedMsghdrFrom(memory: TraceeMemory, address: number, header: Msghdr, source: Buffer, flags: number): void {
  let nameLength = 0;
  if (header.name !== 0 && header.nameLength > 0) {
    memory.write(header.name, source.subarray(0, Math.min(header.nameLength, source.length)));
    nameLength = source.length;
  }
  writeU32(memory, address + MSG_NAMELEN, nameLength);
  memory.write(address + MSG_CONTROLLEN, Buffer.alloc(8));
  writeI32(memory, address + MSG_FLAGS, flags);
}

/** The `index`-th entry of a struct mmsghdr array. */
export const mmsghdrAt = (vector: number, index: number): number => vector + index * MMSGHDR_SIZE;

/** The msg_len of each of the first `count` entries of the mmsghdr array at `vector`: what sendmmsg and recvmmsg moved per message. */
export function readMmsgLengths(memory: TraceeMemory, vector: number, count: number): number[] {
  const raw = memory.read(vector, count * MMSGHDR_SIZE);
  return Array.from({ length: count }, (_, i) => raw.readUInt32LE(i * MMSGHDR_SIZE + MMSG_LEN));
}

/** sendmmsg's per-message result: the bytes sent, in msg_len. */
export function writeMmsgLength(memory: TraceeMemory, entry: number, length: number): void {
  writeU32(memory, entry + MMSG_LEN, length);
}
