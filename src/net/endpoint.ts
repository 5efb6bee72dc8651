import { fail, type SocketError } from './errors.js';
import { formatIpv4, parseIpv4 } from './ipv4.js';

export const AF_UNSPEC = 0;
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_INET6 = 10;

/** sizeof(struct sockaddr_in): family, port, address, 8 bytes of zero padding. */
export const SOCKADDR_IN_SIZE = 16;

/** An IPv4 socket address as the virtual network handles it. */
export interface Endpoint {
  /** Dotted quad. */
  address: string;
  port: number;
}

const FAMILY_NAMES: Readonly<Record<number, string>> = {
  [AF_UNSPEC]: 'AF_UNSPEC', [AF_UNIX]: 'AF_UNIX', [AF_INET]: 'AF_INET', [AF_INET6]: 'AF_INET6',
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

/**
 * A struct sockaddr_in read as Linux's inet_bind and inet_stream_connect do:
 * shorter than sockaddr_in → EINVAL, another family → EAFNOSUPPORT (the
 * caller can name it with `familyName(sockaddrFamily(bytes))`).
 */
export function decodeSockaddrIn(bytes: Buffer): Endpoint | SocketError {
  const family = sockaddrFamily(bytes);
  if (family === null) return fail('EINVAL');
  if (family !== AF_INET) return fail('EAFNOSUPPORT');
  if (bytes.length < SOCKADDR_IN_SIZE) return fail('EINVAL');
  return { address: formatIpv4(bytes.readUInt32BE(4)), port: bytes.readUInt16BE(2) };
}

export function formatEndpoint(endpoint: Endpoint): string {
  return `${endpoint.address}:${endpoint.port}`;
}
