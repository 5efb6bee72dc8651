import { describe, expect, it } from 'vitest';
import type { SocketError } from '../../src/net/errors.js';
import {
  AF_INET6,
  AF_UNIX,
  SOCKADDR_IN_SIZE,
  decodeSockaddrIn,
  decodeSockaddrIn6,
  encodeSockaddrIn,
  encodeSockaddrIn6,
  familyName,
  sockaddrFamily,
} from '../../src/mediator/abi/socket.js';

describe('struct sockaddr', () => {
  it('encodes sockaddr_in as Linux lays it out: family little-endian, port and address big-endian, zero padding', () => {
    const bytes = encodeSockaddrIn({ address: '10.0.0.5', port: 8080 });
    expect(bytes.length).toBe(SOCKADDR_IN_SIZE);
    expect([...bytes]).toEqual([2, 0, 0x1f, 0x90, 10, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('decodes what it encodes', () => {
    for (const endpoint of [
      { address: '0.0.0.0', port: 0 },
      { address: '255.254.1.2', port: 65535 },
      { address: '127.0.0.1', port: 53 },
    ]) {
      expect(decodeSockaddrIn(encodeSockaddrIn(endpoint))).toEqual(endpoint);
    }
  });

  it('says which family an unsupported address is', () => {
    const unix = Buffer.alloc(110);
    unix.writeUInt16LE(AF_UNIX, 0);
    const inet6 = Buffer.alloc(28);
    inet6.writeUInt16LE(AF_INET6, 0);
    expect((decodeSockaddrIn(unix) as SocketError).code).toBe('EAFNOSUPPORT');
    expect(familyName(sockaddrFamily(unix)!)).toBe('AF_UNIX');
    expect((decodeSockaddrIn(inet6) as SocketError).code).toBe('EAFNOSUPPORT');
    expect(familyName(sockaddrFamily(inet6)!)).toBe('AF_INET6');
    expect(familyName(99)).toBe('address family 99');
  });

  it('refuses a sockaddr_in shorter than 16 bytes with EINVAL', () => {
    const short = encodeSockaddrIn({ address: '10.0.0.1', port: 1 }).subarray(0, 8);
    const error = decodeSockaddrIn(short) as SocketError;
    expect(error.code).toBe('EINVAL');
    expect(error.errno).toBe(22);
    expect((decodeSockaddrIn(Buffer.alloc(1)) as SocketError).code).toBe('EINVAL');
  });

  it('refuses a short address with EINVAL before looking at its family, as inet_bind does', () => {
    const short = Buffer.alloc(3);
    short.writeUInt16LE(AF_UNIX, 0);
    expect((decodeSockaddrIn(short) as SocketError).code).toBe('EINVAL');
  });
});

describe('struct sockaddr_in6', () => {
  it('encodes family, port, a zero flow label, the address and a zero scope id; an IPv4 address mapped', () => {
    expect(encodeSockaddrIn6({ address: 'fd00::5', port: 8080 }).toString('hex')).toBe(`0a001f9000000000fd00${'0'.repeat(27)}500000000`);
    expect(encodeSockaddrIn6({ address: '10.0.0.1', port: 1 }).subarray(8, 24).toString('hex')).toBe('00000000000000000000ffff0a000001');
  });

  it('decodes an IPv4-mapped address as the IPv4 address, any other as canonical text', () => {
    expect(decodeSockaddrIn6(encodeSockaddrIn6({ address: '10.0.0.1', port: 7 }))).toEqual({ address: '10.0.0.1', port: 7 });
    expect(decodeSockaddrIn6(encodeSockaddrIn6({ address: '::1', port: 7 }))).toEqual({ address: '::1', port: 7 });
  });

  it('refuses what inet6_bind refuses: under 24 bytes EINVAL, then another family EAFNOSUPPORT', () => {
    const address = encodeSockaddrIn6({ address: '::1', port: 7 });
    expect(decodeSockaddrIn6(address.subarray(0, 24))).toEqual({ address: '::1', port: 7 });
    expect((decodeSockaddrIn6(address.subarray(0, 23)) as SocketError).code).toBe('EINVAL');
    const inet = Buffer.from(address);
    inet.writeUInt16LE(2, 0);
    expect((decodeSockaddrIn6(inet) as SocketError).code).toBe('EAFNOSUPPORT');
  });
});
