import { describe, expect, it } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { EPHEMERAL_FIRST, EPHEMERAL_LAST, PortTable } from '../../src/net/ports.js';

const code = (result: unknown) => (result instanceof SocketError ? result.code : result);

describe('port table', () => {
  it('hands out ephemeral ports from 32768 upwards, skipping taken ones', () => {
    const table = new PortTable();
    expect(table.bind(1, '0.0.0.0', 0)).toBe(32768);
    expect(table.bind(2, '0.0.0.0', 32769)).toBe(32769);
    expect(table.bind(3, '10.0.0.1', 0)).toBe(32770);
    table.release(1);
    // The search goes on from where it stopped rather than reusing a freed port at once.
    expect(table.bind(4, '0.0.0.0', 0)).toBe(32771);
  });

  it('wraps around the ephemeral range and fails with EADDRINUSE when it is full', () => {
    const table = new PortTable();
    const count = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for (let i = 0; i < count; i++) expect(table.bind(i + 1, '0.0.0.0', 0)).toBe(EPHEMERAL_FIRST + i);
    expect(code(table.bind(count + 1, '0.0.0.0', 0))).toBe('EADDRINUSE');
    table.release(5);
    expect(table.bind(count + 2, '0.0.0.0', 0)).toBe(EPHEMERAL_FIRST + 4);
  });

  it('refuses a second bind of a port on an overlapping address with EADDRINUSE (errno 98)', () => {
    const table = new PortTable();
    expect(table.bind(1, '0.0.0.0', 80)).toBe(80);
    const clash = table.bind(2, '10.0.0.1', 80) as SocketError;
    expect(clash.code).toBe('EADDRINUSE');
    expect(clash.errno).toBe(98);
    expect(code(table.bind(3, '0.0.0.0', 80))).toBe('EADDRINUSE');
  });

  it('lets distinct specific addresses share a port', () => {
    const table = new PortTable();
    expect(table.bind(1, '10.0.0.1', 80)).toBe(80);
    expect(table.bind(2, '127.0.0.1', 80)).toBe(80);
    expect(code(table.bind(3, '0.0.0.0', 80))).toBe('EADDRINUSE');
  });

  it('frees a port on release', () => {
    const table = new PortTable();
    table.bind(1, '0.0.0.0', 80);
    table.release(1);
    expect(table.bind(2, '0.0.0.0', 80)).toBe(80);
  });

  it('holds a port in TIME_WAIT for 60 s unless the new socket sets SO_REUSEADDR', () => {
    let now = 100;
    const table = new PortTable(() => now);
    table.bind(1, '0.0.0.0', 80);
    table.linger(1, now + 60);
    expect(code(table.bind(2, '0.0.0.0', 80))).toBe('EADDRINUSE');
    expect(table.bind(3, '0.0.0.0', 80, { reuseAddr: true })).toBe(80);
    table.release(3);
    now = 160;
    expect(table.bind(4, '0.0.0.0', 80)).toBe(80);
  });

  it('lets SO_REUSEADDR sockets share a port until one listens', () => {
    const table = new PortTable();
    expect(table.bind(1, '0.0.0.0', 80, { reuseAddr: true })).toBe(80);
    expect(table.bind(2, '0.0.0.0', 80, { reuseAddr: true })).toBe(80);
    expect(table.listen(1)).toBeUndefined();
    expect(code(table.listen(2))).toBe('EADDRINUSE');
    expect(code(table.bind(3, '0.0.0.0', 80, { reuseAddr: true }))).toBe('EADDRINUSE');
  });

  it('lets SO_REUSEPORT sockets listen together, but not a socket without it', () => {
    const table = new PortTable();
    table.bind(1, '0.0.0.0', 80, { reusePort: true });
    table.listen(1);
    expect(table.bind(2, '0.0.0.0', 80, { reusePort: true })).toBe(80);
    expect(table.listen(2)).toBeUndefined();
    expect(code(table.bind(3, '0.0.0.0', 80))).toBe('EADDRINUSE');
  });

  it('lists receivers of an address: exact address first, then INADDR_ANY, not lingering ones', () => {
    const table = new PortTable();
    table.bind(1, '0.0.0.0', 53, { reuseAddr: true });
    table.bind(2, '10.0.0.1', 53, { reuseAddr: true });
    table.bind(3, '127.0.0.1', 53, { reuseAddr: true });
    table.bind(4, '0.0.0.0', 54);
    table.linger(4, 1000);
    expect(table.receivers('10.0.0.1', 53).map((b) => b.owner)).toEqual([2, 1]);
    expect(table.receivers('127.0.0.1', 53).map((b) => b.owner)).toEqual([3, 1]);
    expect(table.receivers('0.0.0.0', 54)).toEqual([]);
  });

  it('refuses binding the same socket twice with EINVAL', () => {
    const table = new PortTable();
    table.bind(1, '0.0.0.0', 80);
    expect(code(table.bind(1, '0.0.0.0', 81))).toBe('EINVAL');
  });
});

describe('port table, IPv6', () => {
  it(':: without IPV6_V6ONLY holds the port for IPv4 too; with it, only for IPv6', () => {
    const dual = new PortTable();
    expect(dual.bind(1, '::', 80)).toBe(80);
    expect(code(dual.bind(2, '0.0.0.0', 80))).toBe('EADDRINUSE');
    expect(code(dual.bind(3, '10.0.0.1', 80))).toBe('EADDRINUSE');
    expect(code(dual.bind(4, 'fd00::1', 80))).toBe('EADDRINUSE');
    const only = new PortTable();
    expect(only.bind(1, '::', 80, { v6only: true })).toBe(80);
    expect(only.bind(2, '0.0.0.0', 80)).toBe(80);
    expect(code(only.bind(3, 'fd00::1', 80))).toBe('EADDRINUSE');
  });

  it('gives IPv4 traffic to the exact address, then INADDR_ANY, then a dual-stack ::; IPv6 traffic never to INADDR_ANY', () => {
    const table = new PortTable();
    table.bind(1, '::', 80, { v6only: true });
    table.bind(2, '0.0.0.0', 80);
    expect(table.receivers('10.0.0.1', 80).map((b) => b.owner)).toEqual([2]);
    expect(table.receivers('fd00::1', 80).map((b) => b.owner)).toEqual([1]);
    const dual = new PortTable();
    dual.bind(1, '::', 80, { reusePort: true });
    dual.bind(2, '10.0.0.1', 80, { reusePort: true });
    expect(dual.receivers('10.0.0.1', 80).map((b) => b.owner)).toEqual([2, 1]);
    expect(dual.receivers('127.0.0.1', 80).map((b) => b.owner)).toEqual([1]);
  });
});
