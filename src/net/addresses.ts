import { UserError } from '../errors.js';
import { INADDR_ANY, formatIpv4, isLoopback, maskOf, parseIpv4 } from './ipv4.js';

/** What the address book needs of a platform host (src/sim's HostInfo fits). */
export interface HostEntry {
  name: string;
  properties: Readonly<Record<string, string>>;
}

export interface HostAddress {
  host: string;
  address: string;
}

/** Hosts without an `ip` property get addresses from 10.0.0.0/8, in platform order. */
const PRIVATE_FIRST = parseIpv4('10.0.0.1')!;
const PRIVATE_LAST = parseIpv4('10.255.255.254')!;
/** The virtual DNS server, unless a host claims it; then the highest free address below it. */
const PREFERRED_NAMESERVER = parseIpv4('10.255.255.53')!;

/**
 * The virtual IPv4 address of every host, both ways. Each host also has its
 * own 127.0.0.0/8 loopback, which is never in the book: it means "this host"
 * and is resolved relative to the host that uses it.
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
  private readonly byHost = new Map<string, string>();
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
      entries.push({ host: host.name, address: formatIpv4(value) });
    }
    for (const entry of entries) {
      if (this.byHost.has(entry.host)) throw new UserError(`two hosts are named '${entry.host}'`);
      this.byHost.set(entry.host, entry.address);
      this.byAddress.set(entry.address, entry.host);
    }
    this.entries = entries;
    this.nameserver = formatIpv4(nameserver);
    this.subnetPrefix = longestCommonPrefix([...entries.map((entry) => parseIpv4(entry.address)!), nameserver]);
  }

  /** Whether `address` is on the hosts' subnet (or loopback): a route leads there, whether or not a host answers. */
  routable(address: string): boolean {
    if (isLoopback(address) || address === INADDR_ANY) return true;
    const mask = maskOf(this.subnetPrefix);
    return (parseIpv4(address)! & mask) >>> 0 === (parseIpv4(this.nameserver)! & mask) >>> 0;
  }

  addressOf(host: string): string {
    const address = this.byHost.get(host);
    if (address === undefined) throw new Error(`no virtual address for unknown host '${host}'`);
    return address;
  }

  /** The host owning a virtual address; loopback and INADDR_ANY belong to no host in particular. */
  hostAt(address: string): string | undefined {
    return this.byAddress.get(address);
  }

  /**
   * The host that traffic from `from` to `address` reaches: loopback and
   * INADDR_ANY mean `from` itself (Linux connects 0.0.0.0 to the local host).
   */
  hostSeenFrom(from: string, address: string): string | undefined {
    if (isLoopback(address) || address === INADDR_ANY) return from;
    return this.hostAt(address);
  }

  /** Whether `host` may bind `address`: its own address, any loopback, or INADDR_ANY. */
  isLocal(host: string, address: string): boolean {
    return address === INADDR_ANY || isLoopback(address) || this.byAddress.get(address) === host;
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
