import { INADDR_ANY, LOOPBACK, formatIpv4, parseIpv4 } from './ipv4.js';

/**
 * IPv6 addresses as the virtual network writes them (RFC 5952's canonical
 * text: lower case, the longest run of zero groups compressed) and as their
 * 16 bytes. IPv4-mapped addresses (::ffff:a.b.c.d) never appear in the
 * network: they are turned into the IPv4 address they stand for where a
 * program hands one over, and back where it reads one.
 */

export const IN6ADDR_ANY = '::';
export const IN6ADDR_LOOPBACK = '::1';

/** Which IP version an address of the network is: IPv6 text always holds a colon. */
export const isIpv6 = (address: string): boolean => address.includes(':');

/** The unspecified address of a socket family (INADDR_ANY, in6addr_any). */
export const wildcardOf = (family: 4 | 6): string => (family === 6 ? IN6ADDR_ANY : INADDR_ANY);

export const isWildcard = (address: string): boolean => address === INADDR_ANY || address === IN6ADDR_ANY;

/** The loopback address of the same version as `address`: where a connect to a wildcard goes, and the source toward loopback. */
export const loopbackLike = (address: string): string => (isIpv6(address) ? IN6ADDR_LOOPBACK : LOOPBACK);

const GROUP = /^[0-9a-fA-F]{1,4}$/;

/** The 16 bytes of an IPv6 address in text (with `::` and a trailing dotted quad allowed), or null if it is not one. */
export function parseIpv6(text: string): Buffer | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string): number[] | null => {
    if (part === '') return [];
    const groups: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const quad = parseIpv4(piece);
        if (quad === null) return null;
        groups.push(quad >>> 16, quad & 0xffff);
      } else if (GROUP.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const bytes = Buffer.alloc(16);
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  for (let i = 0; i < 8; i++) bytes.writeUInt16BE(groups[i]!, 2 * i);
  return bytes;
}

/** The IPv4 address an IPv4-mapped IPv6 address stands for, or null for any other address. */
export function mappedIpv4(bytes: Buffer): string | null {
  const mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes.readUInt16BE(10) === 0xffff;
  return mapped ? formatIpv4(bytes.readUInt32BE(12)) : null;
}

/** RFC 5952 text of 16 bytes; a mapped address keeps its dotted quad, as inet_ntop writes it. */
export function formatIpv6(bytes: Buffer): string {
  const mapped = mappedIpv4(bytes);
  if (mapped !== null) return `::ffff:${mapped}`;
  const groups = Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(2 * i));
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8; ) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const text = (list: number[]): string => list.map((group) => group.toString(16)).join(':');
  if (bestStart < 0) return text(groups);
  return `${text(groups.slice(0, bestStart))}::${text(groups.slice(bestStart + bestLength))}`;
}

/** The canonical text of an IPv6 address, or null if `text` is not one. */
export function canonicalIpv6(text: string): string | null {
  const bytes = parseIpv6(text);
  return bytes === null ? null : formatIpv6(bytes);
}

/** How many leading bits two IPv6 addresses share. */
export function commonPrefixLength(a: Buffer, b: Buffer): number {
  for (let bit = 0; bit < 128; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((a[bit >> 3]! & mask) !== (b[bit >> 3]! & mask)) return bit;
  }
  return 128;
}
