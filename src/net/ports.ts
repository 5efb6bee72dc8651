import { fail, type SocketError } from './errors.js';
import { INADDR_ANY } from './ipv4.js';
import { IN6ADDR_ANY, isIpv6 } from './ipv6.js';

/** Linux's default net.ipv4.ip_local_port_range. */
export const EPHEMERAL_FIRST = 32768;
export const EPHEMERAL_LAST = 60999;

/** How long an actively closed TCP socket holds its port (Linux's TCP_TIMEWAIT_LEN, 60 s). */
export const TIME_WAIT_SECONDS = 60;

export interface ReuseOptions {
  /** SO_REUSEADDR */
  reuseAddr?: boolean;
  /** SO_REUSEPORT */
  reusePort?: boolean;
  /** IPV6_V6ONLY: a binding to :: that leaves IPv4 alone. */
  v6only?: boolean;
}

export interface PortBinding {
  /** The socket holding the port; one binding per owner. */
  readonly owner: number;
  readonly address: string;
  readonly port: number;
  readonly reuseAddr: boolean;
  readonly reusePort: boolean;
  readonly v6only: boolean;
  listening: boolean;
  /** Set once the owner is closed and lingers in TIME_WAIT: the virtual time the port frees. */
  lingerUntil?: number;
}

function flagsOf(reuse: ReuseOptions): Pick<PortBinding, 'reuseAddr' | 'reusePort' | 'v6only'> {
  return { reuseAddr: !!reuse.reuseAddr, reusePort: !!reuse.reusePort, v6only: !!reuse.v6only };
}

/**
 * Whether a wildcard binding takes traffic for `address`: INADDR_ANY every
 * IPv4 address, :: every IPv6 one and, without IPV6_V6ONLY, every IPv4 one
 * too (a dual-stack socket).
 */
function covers(binding: PortBinding, address: string): boolean {
  if (binding.address === INADDR_ANY) return !isIpv6(address);
  if (binding.address === IN6ADDR_ANY) return isIpv6(address) || !binding.v6only;
  return false;
}

/**
 * The ports of one protocol (TCP or UDP) on one host. Conflicts follow
 * Linux's inet_bind_conflict, simplified: two bindings of a port clash when
 * their addresses overlap (equal, or either is a wildcard that covers the
 * other: INADDR_ANY the IPv4 addresses, :: the IPv6 ones and, unless
 * IPV6_V6ONLY, the IPv4 ones), unless both set
 * SO_REUSEPORT, or both set SO_REUSEADDR and the other does not listen. A socket
 * lingering in TIME_WAIT clashes unless the new socket sets SO_REUSEADDR.
 */
export class PortTable {
  private readonly bindings = new Map<number, PortBinding>();
  private readonly byPort = new Map<number, PortBinding[]>();
  /** Where the next ephemeral search starts: ports are handed out in increasing order, wrapping. */
  private nextEphemeral = EPHEMERAL_FIRST;

  constructor(private readonly now: () => number = () => 0) {}

  /** Binds `owner` to address:port, port 0 meaning the next free ephemeral port; returns the port. */
  bind(owner: number, address: string, port: number, reuse: ReuseOptions = {}): number | SocketError {
    if (this.bindings.has(owner)) return fail('EINVAL');
    const wanted = { owner, address, port, ...flagsOf(reuse), listening: false };
    if (port === 0) {
      const free = this.findEphemeral();
      if (free === null) return fail('EADDRINUSE');
      wanted.port = free;
    } else if (this.conflicts(wanted).length > 0) {
      return fail('EADDRINUSE');
    }
    this.add(wanted);
    return wanted.port;
  }

  /**
   * Shares a port without checks: an accepted connection holds its
   * listener's port, as Linux keeps it in the same bind bucket.
   */
  attach(owner: number, address: string, port: number, reuse: ReuseOptions = {}): void {
    this.add({ owner, address, port, ...flagsOf(reuse), listening: false });
  }

  /** listen() re-checks: two SO_REUSEADDR sockets may share a port only until one listens. */
  listen(owner: number): SocketError | undefined {
    const binding = this.bindings.get(owner);
    if (binding === undefined) return fail('EINVAL');
    const clash = this.conflicts({ ...binding, listening: true });
    if (clash.length > 0) return fail('EADDRINUSE');
    binding.listening = true;
    return undefined;
  }

  /** The socket stopped listening but keeps its port (connect(AF_UNSPEC) on a listener). */
  unlisten(owner: number): void {
    const binding = this.bindings.get(owner);
    if (binding !== undefined) binding.listening = false;
  }

  bindingOf(owner: number): PortBinding | undefined {
    return this.bindings.get(owner);
  }

  /** Takes the binding of `owner` off this host, to `put` it on another (a migrating process's socket). */
  take(owner: number): PortBinding | undefined {
    const binding = this.bindings.get(owner);
    this.release(owner);
    return binding;
  }

  /**
   * Holds a binding taken from another host as it is, without Linux's
   * conflict checks: the socket had its port already, and a migration does
   * not fail for a port taken on the new host (both then receive, the one
   * bound first answering first; see README, "Migration").
   */
  put(binding: PortBinding): void {
    this.add(binding);
  }

  /** Frees the port now. */
  release(owner: number): void {
    const binding = this.bindings.get(owner);
    if (binding === undefined) return;
    this.bindings.delete(owner);
    const list = this.byPort.get(binding.port)!;
    list.splice(list.indexOf(binding), 1);
    if (list.length === 0) this.byPort.delete(binding.port);
  }

  /** Keeps the port held, as TIME_WAIT does, until the virtual time `until`. */
  linger(owner: number, until: number): void {
    const binding = this.bindings.get(owner);
    if (binding === undefined) return;
    binding.listening = false;
    binding.lingerUntil = until;
  }

  /**
   * The live bindings that receive traffic for address:port, best match first
   * (Linux's compute_score): bindings of that exact address, then INADDR_ANY
   * ones, then those of :: that take the address (an IPv4 one only without
   * IPV6_V6ONLY), each group in bind order.
   */
  receivers(address: string, port: number): PortBinding[] {
    const list = this.live(port).filter((b) => b.lingerUntil === undefined);
    if (address === INADDR_ANY || address === IN6ADDR_ANY) return list.filter((b) => b.address === address);
    return [
      ...list.filter((b) => b.address === address),
      ...list.filter((b) => b.address === INADDR_ANY && !isIpv6(address)),
      ...list.filter((b) => b.address === IN6ADDR_ANY && covers(b, address)),
    ];
  }

  private add(binding: PortBinding): void {
    this.bindings.set(binding.owner, binding);
    const list = this.byPort.get(binding.port);
    if (list === undefined) this.byPort.set(binding.port, [binding]);
    else list.push(binding);
  }

  /** The bindings of a port, dropping those whose TIME_WAIT is over. */
  private live(port: number): PortBinding[] {
    const list = this.byPort.get(port) ?? [];
    const now = this.now();
    for (const expired of list.filter((b) => b.lingerUntil !== undefined && b.lingerUntil <= now)) {
      this.release(expired.owner);
    }
    return [...(this.byPort.get(port) ?? [])];
  }

  private conflicts(wanted: PortBinding): PortBinding[] {
    return this.live(wanted.port).filter((other) => {
      if (other.owner === wanted.owner) return false;
      const overlap = other.address === wanted.address || covers(other, wanted.address) || covers(wanted, other.address);
      if (!overlap) return false;
      if (other.lingerUntil !== undefined) return !wanted.reuseAddr;
      if (wanted.reusePort && other.reusePort) return false;
      if (wanted.reuseAddr && other.reuseAddr && !other.listening) return false;
      return true;
    });
  }

  /**
   * Linux picks ephemeral ports by a keyed hash; a fixed increasing order is
   * as good for programs and keeps runs reproducible. Ports anyone holds, on
   * any address, are skipped, as Linux prefers wholly free ports.
   */
  private findEphemeral(): number | null {
    const count = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for (let i = 0; i < count; i++) {
      const port = this.nextEphemeral;
      this.nextEphemeral = port === EPHEMERAL_LAST ? EPHEMERAL_FIRST : port + 1;
      if (this.live(port).length === 0) return port;
    }
    return null;
  }
}
