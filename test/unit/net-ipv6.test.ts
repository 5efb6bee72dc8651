import { describe, expect, it } from 'vitest';
import { canonicalIpv6, formatIpv6, mappedIpv4, parseIpv6 } from '../../src/net/ipv6.js';

describe('IPv6 text', () => {
  it('writes addresses as RFC 5952 does: lower case, the longest run of zeros compressed, the first of equal runs', () => {
    expect(canonicalIpv6('FD00:0000:0000:0000:0000:0000:0000:0001')).toBe('fd00::1');
    expect(canonicalIpv6('0:0:0:0:0:0:0:0')).toBe('::');
    expect(canonicalIpv6('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIpv6('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIpv6('1:0:0:2:0:0:3:4')).toBe('1::2:0:0:3:4');
    // A single zero group is not compressed.
    expect(canonicalIpv6('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(canonicalIpv6('::ffff:10.0.0.1')).toBe('::ffff:10.0.0.1');
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', ':', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '::1.2.3', '1:2:3:4:5:6:7::8']) {
      expect(parseIpv6(bad)).toBeNull();
    }
  });

  it('recognises IPv4-mapped addresses only', () => {
    expect(mappedIpv4(parseIpv6('::ffff:127.0.0.1')!)).toBe('127.0.0.1');
    expect(mappedIpv4(parseIpv6('::127.0.0.1')!)).toBeNull();
    expect(mappedIpv4(parseIpv6('fd00::ffff:7f00:1')!)).toBeNull();
    expect(formatIpv6(parseIpv6('::ffff:7f00:1')!)).toBe('::ffff:127.0.0.1');
  });
});
