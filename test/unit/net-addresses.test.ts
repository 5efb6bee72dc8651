import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { AddressBook, type HostEntry } from '../../src/net/addresses.js';

const host = (name: string, ip?: string): HostEntry => ({ name, properties: ip === undefined ? {} : { ip } });

describe('virtual addresses', () => {
  it('assigns 10.0.0.1, 10.0.0.2, ... in platform order', () => {
    const book = new AddressBook([host('c'), host('a'), host('b')]);
    expect(book.entries.map(({ host, address }) => ({ host, address }))).toEqual([
      { host: 'c', address: '10.0.0.1' },
      { host: 'a', address: '10.0.0.2' },
      { host: 'b', address: '10.0.0.3' },
    ]);
  });

  it('uses the ip property and skips addresses it takes when assigning others', () => {
    const book = new AddressBook([host('a'), host('b', '10.0.0.2'), host('c'), host('d', '192.168.1.7')]);
    expect(book.addressOf('a')).toBe('10.0.0.1');
    expect(book.addressOf('b')).toBe('10.0.0.2');
    expect(book.addressOf('c')).toBe('10.0.0.3');
    expect(book.addressOf('d')).toBe('192.168.1.7');
  });

  it('skips addresses ending in .255 and .0 when assigning', () => {
    const hosts = Array.from({ length: 256 }, (_, i) => host(`h${i}`));
    const book = new AddressBook(hosts);
    expect(book.addressOf('h253')).toBe('10.0.0.254');
    expect(book.addressOf('h254')).toBe('10.0.1.1');
  });

  it('looks hosts up by address, and resolves loopback and INADDR_ANY to the asking host', () => {
    const book = new AddressBook([host('a'), host('b')]);
    expect(book.hostAt('10.0.0.2')).toBe('b');
    expect(book.hostAt('10.0.0.9')).toBeUndefined();
    expect(book.hostAt('127.0.0.1')).toBeUndefined();
    expect(book.hostSeenFrom('a', '10.0.0.2')).toBe('b');
    expect(book.hostSeenFrom('b', '127.0.0.1')).toBe('b');
    expect(book.hostSeenFrom('b', '127.1.2.3')).toBe('b');
    expect(book.hostSeenFrom('a', '0.0.0.0')).toBe('a');
  });

  it('lets a host bind only its own address, loopback or INADDR_ANY', () => {
    const book = new AddressBook([host('a'), host('b')]);
    expect(book.isLocal('a', '10.0.0.1')).toBe(true);
    expect(book.isLocal('a', '127.0.0.1')).toBe(true);
    expect(book.isLocal('a', '0.0.0.0')).toBe(true);
    expect(book.isLocal('a', '10.0.0.2')).toBe(false);
  });

  it('rejects a duplicate ip property, naming both hosts', () => {
    expect(() => new AddressBook([host('a', '10.1.1.1'), host('b', '10.1.1.1')])).toThrow(/hosts 'a' and 'b' both have the ip property 10\.1\.1\.1/);
  });

  it.each([
    ['10.0.0', /not a dotted-quad/],
    ['10.0.0.256', /not a dotted-quad/],
    ['10.0.0.010', /not a dotted-quad/],
    ['host', /not a dotted-quad/],
    ['127.0.0.2', /loopback/],
    ['0.0.0.0', /INADDR_ANY/],
    ['224.0.0.1', /multicast/],
  ])('rejects the malformed or unusable ip property %s, naming the host', (ip, why) => {
    const make = () => new AddressBook([host('good'), host('bad-host', ip)]);
    expect(make).toThrow(UserError);
    expect(make).toThrow(/host 'bad-host'/);
    expect(make).toThrow(why);
  });

  it('puts the nameserver at 10.255.255.53, or below it when a host has that address', () => {
    expect(new AddressBook([host('a')]).nameserver).toBe('10.255.255.53');
    expect(new AddressBook([host('a', '10.255.255.53')]).nameserver).toBe('10.255.255.52');
  });

  it('never assigns the nameserver address to a host', () => {
    const book = new AddressBook([host('a', '10.255.255.53'), host('b')]);
    expect(book.entries.map((e) => e.address)).not.toContain(book.nameserver);
  });
});

describe('virtual IPv6 addresses', () => {
  it('assigns each host fd53:696d:7465:7270:: and its IPv4 address, unless its ip6 property names one', () => {
    const book = new AddressBook([host('a'), host('b', '192.168.1.7'), { name: 'c', properties: { ip6: 'FD00:0:0:0::0005' } }]);
    expect(book.address6Of('a')).toBe('fd53:696d:7465:7270::a00:1');
    expect(book.address6Of('b')).toBe('fd53:696d:7465:7270::c0a8:107');
    expect(book.address6Of('c')).toBe('fd00::5');
    expect(book.hostAt('fd00::5')).toBe('c');
    expect(book.isLocal('c', 'fd00::5')).toBe(true);
    expect(book.isLocal('a', 'fd00::5')).toBe(false);
    expect(book.isLocal('a', '::1')).toBe(true);
    expect(book.hostSeenFrom('a', '::')).toBe('a');
  });

  it('puts every host on the longest common prefix, a /64 at most', () => {
    expect(new AddressBook([host('a'), host('b')]).subnetPrefix6).toBe(64);
    const wide = new AddressBook([
      { name: 'a', properties: { ip6: 'fd00:1::1' } },
      { name: 'b', properties: { ip6: 'fd00:2::1' } },
    ]);
    expect(wide.subnetPrefix6).toBe(30);
    expect(wide.routable('fd00:3::9')).toBe(true);
    expect(wide.routable('2001:db8::1')).toBe(false);
  });

  it("takes the source address of the destination's version", () => {
    const book = new AddressBook([host('a')]);
    expect(book.sourceFor('a', '10.0.0.9')).toBe('10.0.0.1');
    expect(book.sourceFor('a', 'fd53:696d:7465:7270::1')).toBe('fd53:696d:7465:7270::a00:1');
    expect(book.sourceFor('a', '::1')).toBe('::1');
    expect(book.sourceFor('a', '127.0.0.1')).toBe('127.0.0.1');
  });

  it('refuses an ip6 property that cannot be a host address, and two hosts with one address', () => {
    for (const bad of ['::1', '::', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1', '1.2.3.4', 'fd00::1::2']) {
      expect(() => new AddressBook([{ name: 'a', properties: { ip6: bad } }])).toThrow(UserError);
    }
    expect(
      () =>
        new AddressBook([
          { name: 'a', properties: { ip6: 'fd00::1' } },
          { name: 'b', properties: { ip6: 'fd00:0::1' } },
        ]),
    ).toThrow(/both have the IPv6 address fd00::1/);
  });
});
