import { maskOf, parseIpv4, parseIpv6 } from '../../net/index.js';
import type { NetworkInterface } from './interfaces.js';

/**
 * /proc/net/if_inet6 and /proc/net/route for a host's interfaces, as the
 * kernel writes them (if6_seq_show, fib_route_seq_show): the IPv6
 * addresses and the IPv4 routes its netlink answers give too
 * (route-netlink.ts). The JDK lists IPv6 addresses from the first; older
 * tools find their interface's subnet in the second.
 */
export const INTERFACE_FILES = ['if_inet6', 'route'] as const;
export type InterfaceFile = (typeof INTERFACE_FILES)[number];

export function interfaceFile(file: InterfaceFile, interfaces: readonly NetworkInterface[]): string {
  return file === 'if_inet6' ? ifInet6(interfaces) : routes(interfaces);
}

const hex = (value: number, digits: number): string => (value >>> 0).toString(16).padStart(digits, '0');

/** IPV6_ADDR_SCOPE_*: the loopback's host scope, fe80::/10's link scope, global otherwise. */
function scopeOf(bytes: Buffer): number {
  if (bytes.equals(parseIpv6('::1')!)) return 0x10;
  return bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80 ? 0x20 : 0x00;
}

/** IFA_F_PERMANENT: addresses configured, not learned. */
const PERMANENT = 0x80;

function ifInet6(interfaces: readonly NetworkInterface[]): string {
  return interfaces
    .map((link) => {
      const bytes = parseIpv6(link.address6)!;
      return `${bytes.toString('hex')} ${hex(link.index, 2)} ${hex(link.prefixLength6, 2)} ${hex(scopeOf(bytes), 2)} ${hex(PERMANENT, 2)} ${link.name.padStart(8)}\n`;
    })
    .join('');
}

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT';
/** Each line is padded to 127 characters. */
const ROUTE_WIDTH = 127;
/** RTF_UP: a route to a subnet on the link, with no gateway. */
const RTF_UP = 0x0001;

/** An IPv4 address or mask as the kernel prints it: its network-order bytes read as a little-endian number. */
const asPrinted = (value: number): string => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return hex(bytes.readUInt32LE(0), 8).toUpperCase();
};

/** The main table: each Ethernet interface's subnet (the loopback's routes are in the local table, which this file does not show). */
function routes(interfaces: readonly NetworkInterface[]): string {
  const lines = interfaces
    .filter((link) => link.broadcast !== undefined)
    .map((link) => {
      const mask = maskOf(link.prefixLength);
      const destination = (parseIpv4(link.address)! & mask) >>> 0;
      return `${link.name}\t${asPrinted(destination)}\t00000000\t${hex(RTF_UP, 4)}\t0\t0\t0\t${asPrinted(mask)}\t0\t0\t0`;
    });
  return [ROUTE_HEADER, ...lines].map((line) => `${line.padEnd(ROUTE_WIDTH)}\n`).join('');
}
