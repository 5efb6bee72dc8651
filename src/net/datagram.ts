import type { NetContext } from './context.js';
import { DNS_PORT } from './dns.js';
import { fail, type NetErrnoName, type SocketError } from './errors.js';
import { Queue } from './queue.js';
import { isLoopback } from './ipv4.js';
import { isIpv6, isWildcard, loopbackLike, wildcardOf } from './ipv6.js';
import { payloadBytes, payloadOf, type Payload } from './payload.js';
import { Watchable, type Readiness } from './readiness.js';
import type { Endpoint } from './endpoint.js';
import { datagramSizesToward, datagramWireBytes, icmpErrorWireBytes } from './wire.js';

export interface Datagram {
  data: Buffer;
  source: Endpoint;
}

export interface ReceivedDatagram extends Datagram {
  /** The datagram's full length: more than data.length when it did not fit (MSG_TRUNC). */
  length: number;
}

/**
 * A UDP socket. Each datagram travels as its own transfer and arrives whole;
 * it goes to the socket bound to its destination when it arrives, and is
 * dropped if there is none, or if that socket's receive buffer is full.
 * A datagram no socket takes is answered with an ICMP port unreachable,
 * which a connected sender reports as ECONNREFUSED on its next call (an
 * unconnected one ignores it, as Linux does without IP_RECVERR); Linux's
 * rate limit on such answers across hosts is not modelled. Sending never blocks: a datagram is
 * handed to the simulator at once, so there is no send buffer to fill.
 */
export class DatagramSocket extends Watchable {
  readonly id: number;
  reuseAddr = false;
  reusePort = false;
  /** IPV6_V6ONLY, for an AF_INET6 socket: it neither reaches nor takes IPv4 peers. */
  v6only = false;
  receiveBufferSize: number;
  /** Under address translation: each datagram that arrives, for the kernel socket to receive too. */
  onDelivery: ((datagram: Datagram) => void) | undefined;
  private localEndpoint: Endpoint | undefined;
  /** Bound by the program to an address, to a port of its own: a disconnect keeps them (Linux's SOCK_BINDADDR_LOCK, SOCK_BINDPORT_LOCK). */
  private addressLocked = false;
  private portLocked = false;
  private peer: Endpoint | undefined;
  private closed = false;
  /** An ICMP error for this connected socket, reported once by the next send, receive or SO_ERROR. */
  private pendingError: NetErrnoName | undefined;
  /** A datagram being built by sends with MSG_MORE (Linux's corked ip_append_data): it leaves with the next send without it. */
  private corked: { data: Buffer; to: Endpoint } | undefined;
  private readonly queue = new Queue<Datagram>();
  private queuedBytes = 0;

  constructor(
    private readonly ctx: NetContext,
    private placedOn: string,
    /** AF_INET (4) or AF_INET6 (6); an AF_INET6 socket reaches IPv4 peers too, unless v6only. */
    readonly family: 4 | 6 = 4,
  ) {
    super();
    this.id = ctx.nextSocketId();
    this.receiveBufferSize = ctx.receiveBufferSize;
  }

  /** The host the socket is on: its process's, which a migration changes. */
  get host(): string {
    return this.placedOn;
  }

  /**
   * The process holding the socket migrated to `host` (src/migration): its
   * port goes with it, and it receives on the new host's address where it
   * was bound to the old one's (on every address where bound to INADDR_ANY).
   * A datagram reaching the old host after the move finds no socket there,
   * and the sender gets port unreachable, as from a host the program left.
   */
  migrate(host: string): void {
    const from = this.placedOn;
    if (host === from) return;
    const binding = this.ctx.udpPorts(from).take(this.id);
    this.placedOn = host;
    if (this.localEndpoint?.address === this.ctx.addresses.addressOf(from)) {
      this.localEndpoint = { ...this.localEndpoint, address: this.ctx.addresses.addressOf(host) };
    }
    if (binding !== undefined) this.ctx.udpPorts(host).put({ ...binding, address: this.localEndpoint!.address });
  }

  /** getsockname */
  get local(): Endpoint | undefined {
    return this.localEndpoint && { ...this.localEndpoint };
  }

  /** getpeername: the default destination set by connect. */
  get remote(): Endpoint | undefined {
    return this.peer && { ...this.peer };
  }

  bind(endpoint: Endpoint): SocketError | undefined {
    if (this.hasPort() || this.closed) return fail('EINVAL');
    if (!this.ctx.addresses.isLocal(this.host, endpoint.address)) return fail('EADDRNOTAVAIL');
    const port = this.ctx.udpPorts(this.host).bind(this.id, endpoint.address, endpoint.port, this);
    if (typeof port !== 'number') return port;
    this.localEndpoint = { address: endpoint.address, port };
    this.addressLocked = !isWildcard(endpoint.address);
    this.portLocked = endpoint.port !== 0;
    this.ctx.datagramBound(this, true);
    return undefined;
  }

  /**
   * Sets the default destination and accepts datagrams from it alone; null
   * (connect with AF_UNSPEC) removes it, and with it (Linux's
   * __udp_disconnect) a port the kernel picked and an address the program
   * did not bind: getsockname shows port 0, datagrams to the old port are
   * refused. No packet is sent.
   */
  connect(to: Endpoint | null): SocketError | undefined {
    if (to === null) {
      this.peer = undefined;
      if (this.localEndpoint !== undefined && !this.portLocked) {
        this.ctx.datagramBound(this, false);
        this.ctx.udpPorts(this.host).release(this.id);
        this.localEndpoint = this.addressLocked ? { address: this.localEndpoint.address, port: 0 } : undefined;
      } else if (this.localEndpoint !== undefined && !this.addressLocked) {
        this.localEndpoint = { address: wildcardOf(this.family), port: this.localEndpoint.port };
      }
      return undefined;
    }
    // Linux only looks the route up: an address of the subnet that no host has is connected to, and what is sent there is lost.
    if (!this.ctx.addresses.routable(to.address) || !this.reaches(to.address)) return fail('ENETUNREACH');
    const error = this.autobind();
    if (error) return error;
    this.peer = { address: isWildcard(to.address) ? loopbackLike(to.address) : to.address, port: to.port };
    // Linux takes the route's source for the socket's own address (ip4_datagram_connect): getsockname shows it.
    const local = this.localEndpoint!;
    this.localEndpoint = { address: this.sourceAddressFor(this.peer.address), port: local.port };
    return undefined;
  }

  /**
   * Sends one datagram, to `to` or to the connected peer; returns its length.
   * `more` (MSG_MORE) holds it back for the next send to add to.
   * Datagrams to an address no host has vanish, as they would past a router.
   * A payload is copied out only once nothing refuses it: a refused splice
   * leaves its pipe as it was, as Linux's does.
   */
  sendTo(bytes: Buffer | Payload, to?: Endpoint, more = false): number | SocketError {
    const payload = Buffer.isBuffer(bytes) ? payloadOf(bytes) : bytes;
    if (this.closed) return fail('EPIPE');
    const corked = this.corked;
    // A corked datagram goes where its first part was sent, whatever the later sends name.
    const target = corked?.to ?? to ?? this.peer;
    if (target === undefined) return fail('EDESTADDRREQ');
    if (payload.length + (corked?.data.length ?? 0) > datagramSizesToward(target.address).maxPayload) {
      this.corked = undefined;
      return fail('EMSGSIZE');
    }
    if (this.pendingError !== undefined) return fail(this.takeError()!);
    const error = this.autobind();
    if (error) return error;
    const data = payloadBytes(payload);
    const whole = corked === undefined ? data : Buffer.concat([corked.data, data]);
    if (more) {
      this.corked = { data: whole, to: target };
      return data.length;
    }
    this.corked = undefined;
    const sent = this.transmit(whole, target);
    return typeof sent === 'number' ? data.length : sent;
  }

  /** Sends one whole datagram to `target`; its length. */
  private transmit(data: Buffer, target: Endpoint): number | SocketError {
    if (!this.reaches(target.address)) return fail('ENETUNREACH');
    const destination = { address: isWildcard(target.address) ? loopbackLike(target.address) : target.address, port: target.port };
    const source = { address: this.sourceAddressFor(destination.address), port: this.localEndpoint!.port };
    // Whatever nameserver the resolver was configured with, port 53 off the platform is the virtual one.
    if (destination.port === DNS_PORT && this.ctx.addresses.hostAt(destination.address) === undefined && !isLoopback(destination.address)) {
      this.askNameserver(data, source, destination);
      return data.length;
    }
    const toHost = this.ctx.addresses.hostSeenFrom(this.host, destination.address);
    if (toHost !== undefined) this.carry(this.host, toHost, { data, source }, destination);
    else if (!this.ctx.addresses.routable(destination.address)) return fail('ENETUNREACH');
    return data.length;
  }

  /** The next datagram, cut to `max` bytes (the rest of it is lost unless peeking, as in Linux). */
  recvFrom(max: number, options: { peek?: boolean } = {}): ReceivedDatagram | SocketError {
    if (this.pendingError !== undefined) return fail(this.takeError()!);
    const next = this.queue.peek();
    if (next === undefined) return fail('EAGAIN');
    if (!options.peek) {
      this.queue.shift();
      this.queuedBytes -= next.data.length;
      this.changed();
    }
    return { data: next.data.subarray(0, max), source: { ...next.source }, length: next.data.length };
  }

  /** getsockopt(SO_ERROR): the pending error, which reading clears. */
  takeError(): NetErrnoName | undefined {
    const error = this.pendingError;
    this.pendingError = undefined;
    if (error !== undefined) this.changed();
    return error;
  }

  /** FIONREAD: the size of the next datagram. */
  available(): number {
    return this.queue.peek()?.data.length ?? 0;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.corked = undefined;
    if (this.localEndpoint) this.ctx.datagramBound(this, false);
    this.ctx.udpPorts(this.host).release(this.id);
    this.queue.drain();
    this.queuedBytes = 0;
    this.changed();
  }

  readiness(): Readiness {
    return { readable: this.queue.length > 0, writable: !this.closed, hangup: false, readHangup: false, error: this.pendingError !== undefined };
  }

  protected waiting(): number {
    return this.queue.length;
  }

  /** Whether a datagram from `from` is for this socket, once it has reached its address and port. */
  accepts(from: Endpoint): boolean {
    return !this.closed && (this.peer === undefined || (this.peer.address === from.address && this.peer.port === from.port));
  }

  private readonly inFlight = new Queue<{ arrived: boolean; lost: boolean; land: () => void }>();

  /** A datagram arrived; dropped when the receive buffer cannot take it. */
  deliver(datagram: Datagram): void {
    if (this.closed || this.queuedBytes + datagram.data.length > this.receiveBufferSize) return;
    this.queue.push(datagram);
    this.queuedBytes += datagram.data.length;
    this.onDelivery?.(datagram);
    this.changed();
  }

  /** Whether a datagram may go to `address`: not to IPv4 from an IPv6-only socket, nor from an address of the other version. */
  private reaches(address: string): boolean {
    if (this.v6only && !isIpv6(address)) return false;
    const own = this.localEndpoint?.address;
    return own === undefined || isWildcard(own) || isIpv6(own) === isIpv6(address);
  }

  /**
   * Linux binds an unbound socket to a wildcard and an ephemeral port on its
   * first send, before the protocol looks at it (inet_send_prepare): a send
   * then refused (no destination, a bad address, too long) leaves it bound.
   */
  autobind(): SocketError | undefined {
    return this.hasPort() ? undefined : this.bind({ address: this.localEndpoint?.address ?? wildcardOf(this.family), port: 0 });
  }

  /** The address a datagram to `destination` leaves from: the socket's own, else the route's. */
  private sourceAddressFor(destination: string): string {
    const own = this.localEndpoint?.address;
    if (own !== undefined && !isWildcard(own)) return own;
    return this.ctx.addresses.sourceFor(this.host, destination);
  }

  /** Port 0: never bound, or given its port back at a disconnect. */
  private hasPort(): boolean {
    return this.localEndpoint !== undefined && this.localEndpoint.port !== 0;
  }

  /**
   * Datagrams a socket sends arrive in the order it sent them, as packets on
   * one path do, even when SimGrid finishes a smaller, later one first.
   */
  private carry(fromHost: string, toHost: string, datagram: Datagram, destination: Endpoint): void {
    const land = () => {
      const receiver = this.ctx.datagramReceiver(toHost, destination, datagram.source);
      if (receiver !== undefined) receiver.deliver(datagram);
      else this.ctx.transport.start(toHost, fromHost, icmpErrorWireBytes(datagramSizesToward(destination.address)), 0, () => this.portUnreachable(destination));
    };
    const flight = { arrived: false, lost: false, land };
    this.inFlight.push(flight);
    const landInOrder = (): void => {
      for (let head = this.inFlight.peek(); head?.arrived; head = this.inFlight.peek()) {
        this.inFlight.shift();
        if (!head.lost) head.land();
      }
    };
    this.ctx.transport.start(
      fromHost,
      toHost,
      datagramWireBytes(datagram.data.length, datagramSizesToward(destination.address)),
      datagram.data.length,
      () => {
        flight.arrived = true;
        landInOrder();
      },
      {
        lost: () => {
          flight.arrived = true;
          flight.lost = true;
          landInOrder();
        },
      },
    );
  }

  /** An ICMP port unreachable came back for a datagram sent to `to`: a socket connected there takes it as ECONNREFUSED. */
  private portUnreachable(to: Endpoint): void {
    if (this.closed || this.peer === undefined || this.peer.address !== to.address || this.peer.port !== to.port) return;
    this.pendingError = 'ECONNREFUSED';
    this.changed();
  }

  /**
   * The virtual nameserver is on no host of the platform: it answers as if
   * it sat beside the asking host, so a lookup costs two local transfers.
   */
  private askNameserver(query: Buffer, source: Endpoint, nameserver: Endpoint): void {
    this.ctx.transport.start(this.host, this.host, datagramWireBytes(query.length), query.length, () => {
      const reply = this.ctx.answerDns(query);
      if (reply === null) return;
      this.carry(this.host, this.host, { data: reply, source: nameserver }, source);
    });
  }
}
