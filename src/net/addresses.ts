import { UserError } from '../errors.js';
import { formatIpv4, isLoopback, maskOf, parseIpv4 } from './ipv4.js';
import { commonPrefixLength, formatIpv6, isIpv6, isWildcard, loopbackLike, mappedIpv4, parseIpv6 } from './ipv6.js';

/** What the address book needs of a platform host (src/sim's HostInfo fits). */
export interface HostEntry {
  name: string;
  properties: Readonly<Record<string, string>>;
}

export interface HostAddress {
  host: string;
  address: string;
  /** The host's IPv6 address, canonical text. */
  address6: string;
}

/** Hosts without an `ip` property get addresses from 10.0.0.0/8, in platform order. */
const PRIVATE_FIRST = parseIpv4('10.0.0.1')!;
const PRIVATE_LAST = parseIpv4('10.255.255.254')!;
/** The virtual DNS server, unless a host claims it; then the highest free address below it. */
const PREFERRED_NAMESERVER = parseIpv4('10.255.255.53')!;
/**
 * Hosts without an `ip6` property get an address of this unique local /64
 * (fd00::/8, its bytes spelling "Simterp"), its last 32 bits the host's
 * IPv4 address: assigned addresses follow from the IPv4 ones, so they are
 * deterministic and unique.
 */
const ASSIGNED_IPV6_PREFIX = parseIpv6('fd53:696d:7465:7270::')!;
/** Linux's on-link prefix for an address with no wider one: a /64. */
const LONGEST_IPV6_SUBNET = 64;

/**
 * The virtual IPv4 and IPv6 addresses of every host, both ways. Each host
 * also has its own loopbacks (127.0.0.0/8, ::1), which are never in the
 * book: they mean "this host" and are resolved relative to the host that
 * uses them.
 */
export class AddressBook {
  readonly entries: readonly HostAddress[];
  readonly nameserver: string;
  /**
   * The prefix of the hosts' one subnet: the longest holding every host's
   * address and the nameserver's, so that every virtual address is on-link,
   * as the virtual network makes them (no gateway between hosts). Addresses
   * assigned by simterpose come from 10.0.0.0/8, with the nameserver at
   * 10.255.255.53: a /8 then.
   */
  readonly subnetPrefix: number;
  /** The prefix of the hosts' one IPv6 subnet: the longest holding every host's IPv6 address, a /64 at most. */
  readonly subnetPrefix6: number;
  private readonly byHost = new Map<string, string>();
  private readonly byHost6 = new Map<string, string>();
  /** An address of the IPv6 subnet, whose first `subnetPrefix6` bits are the subnet's. */
  private readonly subnet6: Buffer;
  private readonly byAddress = new Map<string, string>();

  constructor(hosts: readonly HostEntry[]) {
    const explicit = new Map<number, string>();
    for (const host of hosts) {
      const ip = host.properties['ip'];
      if (ip === undefined) continue;
      const value = validIp(host.name, ip);
      const other = explicit.get(value);
      if (other !== undefined) {
        throw new UserError(
          `hosts '${other}' and '${host.name}' both have the ip property ${ip}`,
          'give each host its own address, or remove the ip property to get one assigned',
        );
      }
      explicit.set(value, host.name);
    }
    const nameserver = pickNameserver(explicit);
    let next = PRIVATE_FIRST;
    const entries: HostAddress[] = [];
    for (const host of hosts) {
      const ip = host.properties['ip'];
      let value: number;
      if (ip !== undefined) {
        value = parseIpv4(ip)!;
      } else {
        while (explicit.has(next) || next === nameserver || !usableHostOctet(next)) next++;
        if (next > PRIVATE_LAST) throw new UserError(`no free address left in 10.0.0.0/8 for host '${host.name}'`);
        value = next++;
      }
      entries.push({ host: host.name, address: formatIpv4(value), address6: ipv6Of(host, value) });
    }
    const owners6 = new Map<string, string>();
    for (const entry of entries) {
      const other = owners6.get(entry.address6);
      if (other !== undefined) {
        throw new UserError(
          `hosts '${other}' and '${entry.host}' both have the IPv6 address ${entry.address6}`,
          'give each host its own ip6 property, or remove it to get one assigned',
        );
      }
      owners6.set(entry.address6, entry.host);
    }
    for (const entry of entries) {
      if (this.byHost.has(entry.host)) throw new UserError(`two hosts are named '${entry.host}'`);
      this.byHost.set(entry.host, entry.address);
      this.byHost6.set(entry.host, entry.address6);
      this.byAddress.set(entry.address, entry.host);
      this.byAddress.set(entry.address6, entry.host);
    }
    this.entries = entries;
    this.nameserver = formatIpv4(nameserver);
    this.subnetPrefix = longestCommonPrefix([...entries.map((entry) => parseIpv4(entry.address)!), nameserver]);
    this.subnet6 = entries.length > 0 ? parseIpv6(entries[0]!.address6)! : ASSIGNED_IPV6_PREFIX;
    this.subnetPrefix6 = Math.min(LONGEST_IPV6_SUBNET, ...entries.map((entry) => commonPrefixLength(this.subnet6, parseIpv6(entry.address6)!)));
  }

  /** Whether `address` is on the hosts' subnet (or loopback): a route leads there, whether or not a host answers. */
  routable(address: string): boolean {
    if (isLoopback(address) || isWildcard(address)) return true;
    if (isIpv6(address)) return commonPrefixLength(parseIpv6(address)!, this.subnet6) >= this.subnetPrefix6;
    const mask = maskOf(this.subnetPrefix);
    return (parseIpv4(address)! & mask) >>> 0 === (parseIpv4(this.nameserver)! & mask) >>> 0;
  }

  addressOf(host: string): string {
    const address = this.byHost.get(host);
    if (address === undefined) throw new Error(`no virtual address for unknown host '${host}'`);
    return address;
  }

  /** The host's virtual IPv6 address. */
  address6Of(host: string): string {
    const address = this.byHost6.get(host);
    if (address === undefined) throw new Error(`no virtual address for unknown host '${host}'`);
    return address;
  }

  /** The address `host` sends from toward `destination` (a route's source): the loopback of its version, else its own address of that version. */
  sourceFor(host: string, destination: string): string {
    if (isLoopback(destination)) return loopbackLike(destination);
    return isIpv6(destination) ? this.address6Of(host) : this.addressOf(host);
  }

  /** The host owning a virtual address; loopback and INADDR_ANY belong to no host in particular. */
  hostAt(address: string): string | undefined {
    return this.byAddress.get(address);
  }

  /**
   * The host that traffic from `from` to `address` reaches: loopback and
   * a wildcard mean `from` itself (Linux connects 0.0.0.0 and :: to the local host).
   */
  hostSeenFrom(from: string, address: string): string | undefined {
    if (isLoopback(address) || isWildcard(address)) return from;
    return this.hostAt(address);
  }

  /** Whether `host` may bind `address`: its own address, any loopback, or a wildcard. */
  isLocal(host: string, address: string): boolean {
    return isWildcard(address) || isLoopback(address) || this.byAddress.get(address) === host;
  }
}

function longestCommonPrefix(values: readonly number[]): number {
  let prefix = 32;
  for (const value of values) {
    while (prefix > 0 && maskOf(prefix) & (value ^ values[0]!)) prefix--;
  }
  return prefix;
}

function validIp(host: string, ip: string): number {
  const value = parseIpv4(ip);
  const why =
    value === null
      ? 'is not a dotted-quad IPv4 address'
      : ip.startsWith('127.')
        ? "is a loopback address (127.0.0.0/8 is each host's own)"
        : value === 0
          ? 'is INADDR_ANY'
          : value >>> 28 >= 14
            ? 'is a multicast, reserved or broadcast address'
            : null;
  if (why !== null) {
    throw new UserError(`host '${host}': ip property '${ip}' ${why}`, 'use a unicast IPv4 address such as 10.0.0.5');
  }
  return value!;
}

/** A host's `ip6` property, canonical, or its assigned address (the prefix, then its IPv4 address). */
function ipv6Of(host: HostEntry, ipv4: number): string {
  const property = host.properties['ip6'];
  if (property === undefined) {
    const bytes = Buffer.from(ASSIGNED_IPV6_PREFIX);
    bytes.writeUInt32BE(ipv4, 12);
    return formatIpv6(bytes);
  }
  const bytes = parseIpv6(property);
  const why =
    bytes === null
      ? 'is not an IPv6 address'
      : bytes.every((byte) => byte === 0)
        ? 'is the unspecified address ::'
        : formatIpv6(bytes) === '::1'
          ? "is the loopback address (::1 is each host's own)"
          : mappedIpv4(bytes) !== null
            ? 'is an IPv4-mapped address (use the ip property for IPv4)'
            : bytes[0] === 0xff
              ? 'is a multicast address'
              : bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80
                ? 'is a link-local address'
                : null;
  if (why !== null) {
    throw new UserError(`host '${host.name}': ip6 property '${property}' ${why}`, 'use a unicast IPv6 address such as fd00::5');
  }
  return formatIpv6(bytes!);
}

/** Addresses ending in .0 or .255 look like network or broadcast addresses to some programs. */
function usableHostOctet(value: number): boolean {
  const last = value & 255;
  return last !== 0 && last !== 255;
}

function pickNameserver(taken: ReadonlyMap<number, string>): number {
  for (let value = PREFERRED_NAMESERVER; value >= PRIVATE_FIRST; value--) {
    if (!taken.has(value) && usableHostOctet(value)) return value;
  }
  throw new UserError('no free address in 10.0.0.0/8 for the virtual nameserver');
}
