import { encodeSockaddrIn } from './socket.js';
import { POINTER_SIZE, readI32, readU64, writeI32, type TraceeMemory } from './tracee-memory.js';

/**
 * The interface ioctls of a socket (netdevice(7)): struct ifreq and struct
 * ifconf, the request numbers, the IFF_* flags and hardware types.
 */

export const SIOCGIFNAME = 0x8910;
export const SIOCGIFCONF = 0x8912;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCGIFADDR = 0x8915;
export const SIOCGIFBRDADDR = 0x8919;
export const SIOCGIFNETMASK = 0x891b;
export const SIOCGIFMTU = 0x8921;
export const SIOCGIFHWADDR = 0x8927;
export const SIOCGIFINDEX = 0x8933;

/**
 * The requests that change an interface or the routes (SIOCADDRT,
 * SIOCDELRT, SIOCSIF*, SIOCDIFADDR, SIOCADDMULTI...): refused as to an
 * unprivileged process, so no program changes the real machine's.
 */
export const INTERFACE_SETTERS: ReadonlySet<number> = new Set([
  0x890b, 0x890c, 0x8911, 0x8914, 0x8916, 0x8918, 0x891a, 0x891c, 0x891e, 0x8920, 0x8922, 0x8923, 0x8924, 0x8931, 0x8932, 0x8934, 0x8936, 0x8937, 0x8943,
]);

export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_MULTICAST = 0x1000;
/** Carrier present: netlink reports it; the ioctls' short flags cannot hold it. */
export const IFF_LOWER_UP = 0x10000;

export const ARPHRD_ETHER = 1;
export const ARPHRD_LOOPBACK = 772;

export const IFNAMSIZ = 16;
/** struct ifreq: ifr_name[IFNAMSIZ], then a union (sockaddr, short flags, int index or mtu...) padded to 40 bytes. */
export const IFREQ_SIZE = 40;
const IFR_UNION = IFNAMSIZ;

/** ifr_name, up to its NUL; the kernel reads at most IFNAMSIZ - 1 characters. */
export function readIfreqName(memory: TraceeMemory, ifreq: number): string {
  const raw = memory.read(ifreq, IFNAMSIZ).subarray(0, IFNAMSIZ - 1);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
}

export function readIfreqIndex(memory: TraceeMemory, ifreq: number): number {
  return readI32(memory, ifreq + IFR_UNION);
}

export function writeIfreqName(memory: TraceeMemory, ifreq: number, name: string): void {
  const bytes = Buffer.alloc(IFNAMSIZ);
  bytes.write(name, 'latin1');
  memory.write(ifreq, bytes);
}

/** An IPv4 address (port 0) into ifr_addr, ifr_netmask or ifr_broadaddr. */
export function writeIfreqAddress(memory: TraceeMemory, ifreq: number, address: string): void {
  memory.write(ifreq + IFR_UNION, encodeSockaddrIn({ address, port: 0 }));
}

/** ifr_flags: a short, so IFF_LOWER_UP and above do not show. */
export function writeIfreqFlags(memory: TraceeMemory, ifreq: number, flags: number): void {
  const bytes = Buffer.alloc(2);
  bytes.writeInt16LE((flags << 16) >> 16, 0);
  memory.write(ifreq + IFR_UNION, bytes);
}

/** ifr_ifindex or ifr_mtu. */
export function writeIfreqInt(memory: TraceeMemory, ifreq: number, value: number): void {
  writeI32(memory, ifreq + IFR_UNION, value);
}

/** ifr_hwaddr: a sockaddr whose family is the hardware type and whose data starts with the address. */
export function writeIfreqHardware(memory: TraceeMemory, ifreq: number, hardwareType: number, mac: Buffer): void {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt16LE(hardwareType, 0);
  mac.copy(bytes, 2);
  memory.write(ifreq + IFR_UNION, bytes);
}

/** One ifreq of SIOCGIFCONF's answer: a name and its IPv4 address, the rest of the union zero. */
export function encodeIfconfEntry(name: string, address: string): Buffer {
  const bytes = Buffer.alloc(IFREQ_SIZE);
  bytes.write(name, 'latin1');
  encodeSockaddrIn({ address, port: 0 }).copy(bytes, IFR_UNION);
  return bytes;
}

/** struct ifconf: int ifc_len, then (aligned) the buffer pointer. */
const IFC_BUF = POINTER_SIZE;

export interface Ifconf {
  length: number;
  buffer: number;
}

export function readIfconf(memory: TraceeMemory, ifconf: number): Ifconf {
  return { length: readI32(memory, ifconf), buffer: readU64(memory, ifconf + IFC_BUF) };
}

export function writeIfconfLength(memory: TraceeMemory, ifconf: number, length: number): void {
  writeI32(memory, ifconf, length);
}
