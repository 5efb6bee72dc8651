import { describe, expect, it } from 'vitest';
import type { SocketError } from '../../src/net/errors.js';
import { AF_INET6, AF_UNIX, SOCKADDR_IN_SIZE, decodeSockaddrIn, encodeSockaddrIn, familyName, sockaddrFamily } from '../../src/mediator/abi/socket.js';

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
