/** IPv4 addresses as dotted quads (the form users and platform files write) and as 32-bit numbers. */

export const INADDR_ANY = '0.0.0.0';
export const LOOPBACK = '127.0.0.1';

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * The 32-bit value of a dotted quad, or null if it is not one. Leading zeros
 * are refused: inet_aton would read "010" as octal, so they are ambiguous.
 */
export function parseIpv4(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/** The netmask of a prefix length, as an unsigned 32-bit number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** 127.0.0.0/8, or IPv6's ::1: each host's own loopback. */
export function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1';
}
