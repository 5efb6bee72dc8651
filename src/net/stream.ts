import type { NetContext } from './context.js';
import { fail, isError, type NetErrnoName, type SocketError } from './errors.js';
import { Queue } from './queue.js';
import { isIpv6, isWildcard, loopbackLike, wildcardOf } from './ipv6.js';
import { payloadOf, type Payload } from './payload.js';
import { TcpDirection } from './tcp-direction.js';
import { connectionState, type TcpInfo, tcpInfoOf, TcpState } from './tcp-info.js';
import { controlSegmentWireBytes, DEFAULT_MSS, IPV4_SEGMENTS, IPV6_SEGMENTS, segmentSizesToward, type SegmentSizes } from './wire.js';
import { TIME_WAIT_SECONDS } from './ports.js';
import { Watchable, type Readiness } from './readiness.js';
import type { Endpoint } from './endpoint.js';
import type { SegmentOwner } from './transport.js';

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;
/** Linux's net.core.somaxconn: listen() clamps the backlog to it. */
export const SOMAXCONN = 4096;
/**
 * How long Linux looks for a neighbour that does not answer before it gives
 * up (net.ipv4.neigh.default.mcast_solicit = 3 ARP requests, retrans_time_ms
 * = 1000 apart): a connect to an address of the subnet that no host has fails
 * with EHOSTUNREACH then.
 */
const NEIGHBOUR_RESOLUTION_SECONDS = 3;

export type StreamState = 'idle' | 'listening' | 'connecting' | 'connected' | 'closed';

export interface RecvOptions {
  /** MSG_PEEK: leave the bytes queued. */
  peek?: boolean;
  /**
   * MSG_WAITALL: wait for all `max` bytes (or EOF, or an error). Linux copies
   * out while it waits; bytes are handed out only whole here, so the wait is
   * for at most a receive buffer's worth, then what is there is returned.
   */
  waitAll?: boolean;
}

/**
 * A TCP socket. Connection setup is the three-way handshake, each segment a
 * comm of its own: the SYN goes to the server's host, where a listener is
 * looked for on arrival; the SYN-ACK (or the RST of a refusal) comes back,
 * and the client is connected, one round trip after it began; the final ACK
 * travels ahead of the client's first data, and its arrival puts the
 * connection in the listener's accept queue. The round trip the handshake
 * took seeds the connection's TCP model (see TcpDirection). Operations that
 * would block return EAGAIN; `connect` returns EINPROGRESS when it has started.
 */
/**
 * tcp(7): the sizes a TCP socket's buffers start from (tcp_wmem's and
 * tcp_rmem's defaults), as getsockopt reports them until the program sets
 * one; autotuning grows the buffers from there up to the network's ceilings
 * (NetContext), which the model uses throughout.
 */
export const TCP_WMEM_DEFAULT = 16384;
export const TCP_RMEM_DEFAULT = 131072;

export class StreamSocket extends Watchable {
  readonly id: number;
  reuseAddr = false;
  reusePort = false;
  /** IPV6_V6ONLY, for an AF_INET6 socket: it neither reaches nor takes IPv4 peers. */
  v6only = false;
  /** TCP_USER_TIMEOUT, in seconds (0: Linux's retransmission count decides). */
  userTimeout = 0;
  /** SO_LINGER on with a zero time: closing resets the connection, as tcp_close does, rather than ending it with a FIN. */
  abortOnClose = false;
  private currentState: StreamState = 'idle';
  private localEndpoint: Endpoint | undefined;
  private remoteEndpoint: Endpoint | undefined;
  private sendBuffer: number;
  private receiveBuffer: number;
  /** SO_SNDBUF or SO_RCVBUF set by the program: Linux stops autotuning that buffer (SOCK_SNDBUF_LOCK, SOCK_RCVBUF_LOCK). */
  private sendBufferLocked = false;
  private receiveBufferLocked = false;
  private pendingError: NetErrnoName | undefined;
  private refused = false;
  /**
   * A handshake began: a SYN went out, or the socket was accepted. Linux
   * (6.18, measured) refuses listen with EINVAL ever after, whatever came of
   * the connection, a disconnect or a new bind.
   */
  private handshakeBegun = false;
  private out: TcpDirection | undefined;
  private in: TcpDirection | undefined;
  private peer: StreamSocket | undefined;
  private readShut = false;
  private writeShut = false;
  private resetReceived = false;
  private resetSent = false;
  /** Bound by the program to an address of its own: a disconnect keeps it (Linux's SOCK_BINDADDR_LOCK, which an accepted socket takes from its listener). */
  private addressLocked = false;
  /** Bound by the program to a port of its own: a closed connection keeps it (SOCK_BINDPORT_LOCK); a port Linux picked is given back, and so is an accepted socket's (measured on Linux 6.18). */
  private portLocked = false;
  /** The port went back to the host when the connection closed; getsockname still shows it, as Linux's stale inet_sport does. */
  private portGivenBack = false;
  private noDelayOption = false;
  private corkOption = false;
  /** When this client's SYN left: the handshake's round trip is measured from it. */
  private synSentAt = 0;
  /** For TCP_INFO: this end sent the SYN, when the connection was up, and whether the peer's FIN had come when this end shut its writing. */
  private activeOpen = false;
  private establishedAt = 0;
  private shutAfterPeerFin = false;
  /** The handshake's sender, for a transport that loses its SYN (or the answer) and retransmits it. */
  private synOwner: SegmentOwner | undefined;
  /** The segments of the last connection asked for or accepted: of the IP version its peer's address has on the wire. */
  private segmentSizes: SegmentSizes = IPV4_SEGMENTS;
  private acceptLimit = 0;
  private readonly acceptQueue = new Queue<StreamSocket>();
  /** Connections past their SYN whose final ACK has not arrived: they hold a place in the queue. */
  private handshaking = 0;
  /** Clients whose SYN found the queue full. Linux drops such SYNs and the client retransmits; here they wait for room. */
  private readonly waitingClients = new Queue<StreamSocket>();

  constructor(
    private readonly ctx: NetContext,
    private placedOn: string,
    /** AF_INET (4) or AF_INET6 (6); an AF_INET6 socket reaches IPv4 peers too, unless v6only. */
    readonly family: 4 | 6 = 4,
  ) {
    super();
    this.id = ctx.nextSocketId();
    this.sendBuffer = ctx.sendBufferSize;
    this.receiveBuffer = ctx.receiveBufferSize;
  }

  /** The host the socket is on: its process's, which a migration changes. */
  get host(): string {
    return this.placedOn;
  }

  /**
   * The process holding the socket migrated to `host` (src/migration). Its
   * port goes with it. A listener answers on the new host from now on: on
   * its address where it was bound to the old one's, on every address where
   * it was bound to INADDR_ANY; the connections in its queue go along. A
   * connection keeps its addresses and ports (its peer notices nothing but
   * the delay) and its traffic crosses the new host's routes from now on.
   */
  migrate(host: string): void {
    const from = this.placedOn;
    if (host === from) return;
    const binding = this.ports().take(this.id);
    this.placedOn = host;
    const oldAddress = this.ctx.addresses.addressOf(from);
    if (this.currentState !== 'connected' && this.localEndpoint?.address === oldAddress) {
      this.localEndpoint = { ...this.localEndpoint, address: this.ctx.addresses.addressOf(host) };
    }
    if (binding !== undefined) this.ports().put({ ...binding, address: this.currentState === 'connected' ? binding.address : this.localEndpoint!.address });
    const peerHost = this.peer?.host;
    if (this.out !== undefined && peerHost !== undefined) {
      this.out.reroute(host, peerHost, this.ctx.queueOf(host, peerHost));
      this.in!.reroute(peerHost, host, this.ctx.queueOf(peerHost, host));
    }
    for (let i = 0; i < this.acceptQueue.length; i++) this.acceptQueue.at(i)!.migrate(host);
  }

  get state(): StreamState {
    return this.currentState;
  }

  /** getsockname */
  get local(): Endpoint | undefined {
    return this.localEndpoint && { ...this.localEndpoint };
  }

  /**
   * TCP_MAXSEG: the connection's segment size once connected (IPv4's or
   * IPv6's, as the peer's address is on the wire), Linux's default before.
   */
  get maxSegment(): number {
    return this.currentState === 'connected' ? this.segmentSizes.mss : DEFAULT_MSS;
  }

  /** getpeername: none once the connection was reset (Linux's tcp_done closes the socket). */
  get remote(): Endpoint | undefined {
    return this.currentState === 'connected' && !this.resetReceived && this.remoteEndpoint ? { ...this.remoteEndpoint } : undefined;
  }

  /** What getsockopt(TCP_INFO) reports of the socket. */
  tcpInfo(): TcpInfo {
    const now = this.ctx.now();
    switch (this.currentState) {
      case 'listening':
        return tcpInfoOf({ kind: 'listening', queued: this.acceptQueue.length, backlog: this.acceptLimit - 1 });
      case 'connected': {
        const peerFinArrived = this.in!.finArrived;
        const state = connectionState({
          reset: this.resetReceived || this.resetSent,
          writeShut: this.writeShut,
          shutAfterPeerFin: this.shutAfterPeerFin,
          ourFinArrived: this.out!.finArrived,
          peerFinArrived,
        });
        const { activeOpen, establishedAt, segmentSizes: sizes } = this;
        return tcpInfoOf({
          kind: 'connection',
          state,
          now,
          activeOpen,
          establishedAt,
          peerFinArrived,
          sizes,
          sender: this.out!.senderStats(),
          receiver: this.in!.receiverStats(),
        });
      }
      default:
        return tcpInfoOf({
          kind: 'unconnected',
          state: this.currentState === 'connecting' ? TcpState.SYN_SENT : TcpState.CLOSE,
          now,
          ipv6: this.segmentSizes === IPV6_SEGMENTS,
        });
    }
  }

  /** The outcome of connect, for a non-blocking connect polled for writability: a connection reset since has failed too (Linux closed it). */
  connection(): 'none' | 'connecting' | 'connected' | 'refused' {
    if (this.currentState === 'connected' && this.resetReceived) return 'refused';
    if (this.currentState === 'connecting' || this.currentState === 'connected') return this.currentState;
    return this.refused ? 'refused' : 'none';
  }

  /** getsockopt(SO_ERROR): the pending error, which reading clears. */
  takeError(): NetErrnoName | undefined {
    const error = this.pendingError;
    this.pendingError = undefined;
    if (error !== undefined) this.changed();
    return error;
  }

  get sendBufferSize(): number {
    return this.sendBuffer;
  }

  /** What getsockopt(SO_SNDBUF) reads: twice the size set (Linux keeps the other half for its bookkeeping), else tcp_wmem's default. */
  get sendBufferOption(): number {
    return this.sendBufferLocked ? 2 * this.sendBuffer : TCP_WMEM_DEFAULT;
  }

  /** SO_SNDBUF set: the send buffer's size in payload bytes, no longer autotuned. */
  set sendBufferSize(bytes: number) {
    this.sendBuffer = bytes;
    this.sendBufferLocked = true;
    if (this.out) this.out.sendBufferSize = bytes;
    this.changed();
  }

  /** TCP_NODELAY: small segments go at once rather than waiting for the previous one's acknowledgment. */
  get noDelay(): boolean {
    return this.noDelayOption;
  }

  set noDelay(on: boolean) {
    this.noDelayOption = on;
    if (this.out) this.out.noDelay = on;
  }

  /** TCP_CORK: partial segments wait (200 ms at most) until uncorked. */
  get cork(): boolean {
    return this.corkOption;
  }

  set cork(on: boolean) {
    this.corkOption = on;
    if (this.out) this.out.corked = on;
  }

  get receiveBufferSize(): number {
    return this.receiveBuffer;
  }

  /** What getsockopt(SO_RCVBUF) reads: twice the size set, else tcp_rmem's default. */
  get receiveBufferOption(): number {
    return this.receiveBufferLocked ? 2 * this.receiveBuffer : TCP_RMEM_DEFAULT;
  }

  /** SO_RCVBUF set: the receive window's ceiling in payload bytes, no longer autotuned. */
  set receiveBufferSize(bytes: number) {
    this.receiveBuffer = bytes;
    this.receiveBufferLocked = true;
    if (this.in) this.in.receiveBufferSize = bytes;
  }

  bind(endpoint: Endpoint): SocketError | undefined {
    // Linux binds a socket in TCP_CLOSE without a port: never bound, or given its port back when disconnected or reset.
    const closed = this.currentState === 'idle' || (this.currentState === 'connected' && this.resetReceived);
    if (!closed || this.hasPort()) return fail('EINVAL');
    if (!this.ctx.addresses.isLocal(this.host, endpoint.address)) return fail('EADDRNOTAVAIL');
    const port = this.ports().bind(this.id, endpoint.address, endpoint.port, this);
    if (typeof port !== 'number') return port;
    this.localEndpoint = { address: endpoint.address, port };
    this.addressLocked = !isWildcard(endpoint.address);
    this.portLocked = endpoint.port !== 0;
    this.portGivenBack = false;
    return undefined;
  }

  listen(backlog: number): SocketError | undefined {
    if (this.currentState !== 'idle' && this.currentState !== 'listening') return fail('EINVAL');
    if (!this.hasPort()) {
      const error = this.bind({ address: this.localEndpoint?.address ?? wildcardOf(this.family), port: 0 });
      if (error) return error;
    }
    // Refused only once a port is taken (inet_csk_listen_start's get_port): the socket stays bound, and bind then fails.
    if (this.handshakeBegun) return fail('EINVAL');
    if (this.currentState === 'idle') {
      const error = this.ports().listen(this.id);
      if (error) return error;
      this.currentState = 'listening';
      this.ctx.listening(this, true);
    }
    // Linux queues one more connection than the backlog it was given.
    this.acceptLimit = Math.min(Math.max(backlog, 0), SOMAXCONN) + 1;
    this.admitWaitingClients();
    this.changed();
    return undefined;
  }

  /** Starts connecting: EINPROGRESS when the SYN is on its way, any other error at once. */
  connect(to: Endpoint): SocketError {
    switch (this.currentState) {
      case 'connecting':
        return fail('EALREADY');
      case 'connected':
      case 'listening':
        return fail('EISCONN');
      case 'closed':
        return fail('EINVAL');
      case 'idle':
        break;
    }
    // tcp_v6_connect: an IPv6-only socket has no route to an IPv4-mapped address.
    if (this.v6only && !isIpv6(to.address)) return fail('ENETUNREACH');
    const serverHost = this.ctx.addresses.hostSeenFrom(this.host, to.address);
    // Off the hosts' subnet there is no route at all.
    if (serverHost === undefined && !this.ctx.addresses.routable(to.address)) return fail('ENETUNREACH');
    const target = { address: isWildcard(to.address) ? loopbackLike(to.address) : to.address, port: to.port };
    const boundAddress = this.localEndpoint?.address;
    // An address of the other IP version has no route to the target.
    if (boundAddress !== undefined && !isWildcard(boundAddress) && isIpv6(boundAddress) !== isIpv6(target.address)) return fail('ENETUNREACH');
    const source = boundAddress !== undefined && !isWildcard(boundAddress) ? boundAddress : this.ctx.addresses.sourceFor(this.host, target.address);
    const heldPort = this.hasPort() ? this.localEndpoint?.port : undefined;
    if (heldPort === undefined) {
      const port = this.ports().bind(this.id, source, 0, this);
      if (typeof port !== 'number') return fail('EADDRNOTAVAIL');
      this.portGivenBack = false;
      this.localEndpoint = { address: source, port };
    } else {
      this.localEndpoint = { address: source, port: heldPort };
    }
    this.refused = false;
    this.pendingError = undefined;
    this.remoteEndpoint = target;
    this.segmentSizes = segmentSizesToward(target.address);
    this.currentState = 'connecting';
    this.handshakeBegun = true;
    this.synSentAt = this.ctx.transport.now();
    if (serverHost === undefined) {
      // On the subnet, but no host has the address: nobody answers ARP, and Linux fails the SYN once its neighbour resolution gives up.
      this.ctx.transport.after(NEIGHBOUR_RESOLUTION_SECONDS, () => this.connectFailed('EHOSTUNREACH'));
      this.changed();
      return fail('EINPROGRESS');
    }
    const owner = this.segmentOwner(this.synSentAt, true, () => 0);
    this.synOwner = owner;
    this.ctx.transport.start(
      this.host,
      serverHost,
      controlSegmentWireBytes(this.segmentSizes),
      0,
      () => {
        const listener = this.ctx.listenerAt(serverHost, target);
        if (listener) listener.offer(this);
        else
          this.ctx.transport.start(serverHost, this.host, controlSegmentWireBytes(this.segmentSizes), 0, () => this.connectFailed('ECONNREFUSED'), {
            owner,
            ack: true,
          });
      },
      { owner },
    );
    this.changed();
    return fail('EINPROGRESS');
  }

  /**
   * connect(AF_UNSPEC), Linux's tcp_disconnect: a connection is reset (an
   * RST to the peer, ECONNRESET pending here too, unread bytes dropped), a
   * listener stops listening (what its queue held is reset, clients are
   * refused). Either way the socket is closed but open: it may connect
   * again, or listen if it never took part in a handshake (handshakeBegun),
   * keeping its port and its address only where the program bound them
   * itself (Linux's tcp_set_state gives back a port it picked:
   * bind works again, though getsockname still shows the old port). A socket
   * with nothing to undo stays as it is.
   */
  disconnect(): void {
    const was = this.currentState;
    if (was === 'listening') {
      this.ctx.listening(this, false);
      this.ports().unlisten(this.id);
      for (const child of this.acceptQueue.drain()) child.abort();
      for (const client of this.waitingClients.drain()) this.refuse(client);
    } else if (was === 'connected') {
      // A connection the peer reset is closed already: nothing goes out, no new error.
      if (!this.resetReceived) {
        this.sendReset();
        this.pendingError = 'ECONNRESET';
      }
      this.in!.dropReader();
    } else {
      return;
    }
    this.currentState = 'idle';
    this.remoteEndpoint = undefined;
    this.unbindAfterConnection();
    this.changed();
  }

  /** The next established connection, in the order their handshakes completed. */
  accept(): StreamSocket | SocketError {
    if (this.currentState !== 'listening') return fail('EINVAL');
    const child = this.acceptQueue.shift();
    if (!child) return fail('EAGAIN');
    this.admitWaitingClients();
    this.changed();
    return child;
  }

  /**
   * Full mediation: hands bytes over for sending (copies those that fit in
   * the send buffer); how many fitted. `more` is MSG_MORE: more follows, the
   * last partial segment waits for it.
   */
  send(data: Buffer | Payload, more = false): number | SocketError {
    const payload = Buffer.isBuffer(data) ? payloadOf(data) : data;
    return this.write(payload.length, payload, more);
  }

  /** Address translation: `count` bytes the kernel carries; how many of them fitted in the send buffer. */
  sendCount(count: number, more = false): number | SocketError {
    return this.write(count, undefined, more);
  }

  /** Full mediation: up to `max` delivered bytes, in a Buffer of their own; an empty Buffer at EOF. */
  recv(max: number, options: RecvOptions = {}): Buffer | SocketError {
    const pieces = this.recvPieces(max, options);
    if (isError(pieces)) return pieces;
    return Buffer.concat(pieces);
  }

  /** recv without copying: views of where the connection keeps the bytes, valid until the peer sends again (none at EOF). */
  recvPieces(max: number, options: RecvOptions = {}): Buffer[] | SocketError {
    const count = this.receivable(max, options);
    if (isError(count)) return count;
    if (options.peek) return this.in?.peek(count) ?? [];
    return this.consume(count) ?? [];
  }

  /**
   * How many bytes recv(max) may take now: 0 at EOF, EAGAIN when none yet,
   * or the error it reports. Nothing is consumed (see `consume`).
   */
  receivable(max: number, options: RecvOptions = {}): number | SocketError {
    if (this.currentState === 'connecting') return fail('EAGAIN');
    if (this.currentState !== 'connected') {
      return this.pendingError !== undefined ? fail(this.takeError()!) : fail('ENOTCONN');
    }
    // A receive of nothing asks the connection all the same (tcp_recvmsg's loop runs once): 0 with data or at EOF, else its error or EAGAIN.
    const delivered = this.in!.delivered;
    if (delivered > 0) {
      if (options.waitAll && !options.peek && !this.recvReady(max, true)) return fail('EAGAIN');
      return Math.min(max, delivered);
    }
    // Once the peer's FIN has been read up to, EOF comes before any error (tcp_recvmsg checks SOCK_DONE first): an RST after it leaves its error to SO_ERROR and sends.
    if (this.in!.finArrived) return 0;
    if (this.pendingError !== undefined) return fail(this.takeError()!);
    if (this.ended()) return 0;
    return fail('EAGAIN');
  }

  /** The reader took `count` of the delivered bytes (returned, in pieces, when the connection keeps them). */
  consume(count: number): Buffer[] | undefined {
    if (count === 0 || this.in === undefined) return undefined;
    const bytes = this.in.read(count);
    this.changed();
    return bytes;
  }

  /**
   * Whether recv(max) would not return EAGAIN: what a thread blocked in recv
   * waits for (with MSG_WAITALL, readability is not enough).
   */
  recvReady(max: number, waitAll = false): boolean {
    if (this.currentState !== 'connected') return this.currentState !== 'connecting';
    const available = this.in!.delivered;
    if (this.pendingError !== undefined || this.ended()) return true;
    return waitAll ? available >= Math.min(max, this.receiveBuffer) : available > 0;
  }

  /** FIONREAD: bytes delivered and unread. */
  available(): number {
    return this.in?.delivered ?? 0;
  }

  /** Connections a listener has ready for accept, oldest first. */
  get pendingConnections(): StreamSocket[] {
    return Array.from({ length: this.acceptQueue.length }, (_, index) => this.acceptQueue.at(index)!);
  }

  /** Linux's sk_shutdown: RCV_SHUTDOWN (1) once shut for reading or the peer's FIN came, SEND_SHUTDOWN (2) once shut for writing; both once reset. */
  get shutdownBits(): number {
    const reset = this.resetReceived || this.resetSent;
    const receive = this.readShut || reset || this.in?.finArrived === true;
    return (receive ? 1 : 0) | (this.writeShut || reset ? 2 : 0);
  }

  /** Sequence numbers received and not read (Linux's rcv_nxt - copied_seq): the bytes unread, and the peer's FIN once it came. */
  unreadSequence(): number {
    return this.available() + (this.in?.finArrived === true ? 1 : 0);
  }

  /** SIOCOUTQ: bytes written and not acknowledged yet. */
  unacknowledged(): number {
    return this.out?.unacknowledged ?? 0;
  }

  /** SIOCOUTQNSD: bytes written and not sent yet. */
  unsent(): number {
    return this.out?.unsent ?? 0;
  }

  /** The socket at the other end of the connection, once there is one. */
  get peerSocket(): StreamSocket | undefined {
    return this.peer;
  }

  /**
   * How many bytes a send would take now: 0 where it would fail or find no
   * room. Address translation copies that many out of the program before
   * counting them, so that a buffer that faults sends nothing.
   */
  sendRoom(): number {
    const sendable = this.pendingError === undefined && this.currentState === 'connected' && !this.writeShut && !this.resetReceived;
    return sendable ? this.out!.room() : 0;
  }

  private write(count: number, payload: Payload | undefined, more: boolean): number | SocketError {
    if (this.pendingError !== undefined) return fail(this.takeError()!);
    if (this.currentState === 'connecting') return fail('EAGAIN');
    if (this.currentState !== 'connected' || this.writeShut || this.resetReceived) return fail('EPIPE');
    if (count === 0) return 0;
    const accepted = this.out!.write(count, payload, more);
    if (accepted === 0) return fail('EAGAIN');
    this.changed();
    return accepted;
  }

  shutdown(how: number): SocketError | undefined {
    if (how !== SHUT_RD && how !== SHUT_WR && how !== SHUT_RDWR) return fail('EINVAL');
    if (this.currentState !== 'connected') return fail('ENOTCONN');
    if (how !== SHUT_WR) this.readShut = true;
    if (how !== SHUT_RD && !this.writeShut) {
      this.writeShut = true;
      this.shutAfterPeerFin = this.in!.finArrived;
      this.out!.closeWrite();
    }
    this.changed();
    return undefined;
  }

  /**
   * The last descriptor went away. Unread data, or SO_LINGER with a zero
   * time, makes it abortive, as in Linux: an RST instead of a FIN, and the
   * peer gets ECONNRESET. Otherwise
   * the send buffer still drains and the FIN follows it; data that arrives
   * later is answered with an RST. The side that closes first keeps its port
   * in TIME_WAIT (counted from close, not from the last ACK).
   */
  close(): void {
    const was = this.currentState;
    if (was === 'closed') return;
    this.currentState = 'closed';
    if (was === 'listening') {
      this.ctx.listening(this, false);
      for (const child of this.acceptQueue.drain()) child.abort();
      for (const client of this.waitingClients.drain()) this.refuse(client);
    }
    if (was === 'connected') {
      if (this.in!.delivered > 0 || this.resetReceived || this.abortOnClose) {
        this.abort();
        return;
      }
      this.in!.dropReader();
      this.writeShut = true;
      this.out!.closeWrite();
      if (!this.in!.finArrived) {
        this.ports().linger(this.id, this.ctx.now() + TIME_WAIT_SECONDS);
        this.changed();
        return;
      }
    }
    this.ports().release(this.id);
    this.changed();
  }

  readiness(): Readiness {
    const error = this.pendingError !== undefined;
    switch (this.currentState) {
      case 'listening':
        return { readable: this.acceptQueue.length > 0, writable: false, hangup: false, readHangup: false, error };
      case 'connecting':
      case 'closed':
        return { readable: false, writable: false, hangup: false, readHangup: false, error };
      case 'idle':
        // Linux reports a socket in TCP_CLOSE as writable and hung up; after a refusal, shut both ways too.
        return { readable: this.refused || error, writable: true, hangup: true, readHangup: this.refused, error };
      case 'connected': {
        const ended = this.ended();
        return {
          readable: this.in!.delivered > 0 || ended || error,
          writable: error || this.writeShut || this.resetReceived || this.out!.writable(),
          hangup: this.resetReceived || (this.writeShut && ended),
          readHangup: ended,
          error,
        };
      }
    }
  }

  protected waiting(): number {
    return this.currentState === 'listening' ? this.acceptQueue.length : (this.in?.delivered ?? 0);
  }

  /** Whether the socket holds a port: bound, and not given back when its connection closed. */
  private hasPort(): boolean {
    return this.localEndpoint !== undefined && !this.portGivenBack;
  }

  private ports() {
    return this.ctx.tcpPorts(this.host);
  }

  private ended(): boolean {
    return this.in!.finArrived || this.readShut || this.resetReceived;
  }

  /** A client's SYN reached this listener. */
  private offer(client: StreamSocket): void {
    if (this.currentState !== 'listening') {
      this.refuse(client);
      return;
    }
    if (this.acceptQueue.length + this.handshaking >= this.acceptLimit) {
      this.waitingClients.push(client);
      return;
    }
    this.handshaking++;
    const child = new StreamSocket(this.ctx, this.host, this.family);
    child.v6only = this.v6only;
    child.currentState = 'connected';
    child.handshakeBegun = true;
    child.localEndpoint = { address: client.remoteEndpoint!.address, port: this.localEndpoint!.port };
    child.remoteEndpoint = client.localEndpoint!;
    child.segmentSizes = client.segmentSizes;
    child.reuseAddr = this.reuseAddr;
    child.addressLocked = this.addressLocked;
    child.sendBuffer = this.sendBuffer;
    child.receiveBuffer = this.receiveBuffer;
    child.sendBufferLocked = this.sendBufferLocked;
    child.receiveBufferLocked = this.receiveBufferLocked;
    child.noDelayOption = this.noDelayOption;
    child.corkOption = this.corkOption;
    this.ports().attach(child.id, child.localEndpoint.address, child.localEndpoint.port, this);
    this.ctx.transport.start(this.host, client.host, controlSegmentWireBytes(client.segmentSizes), 0, () => client.synAckArrives(child, this), {
      owner: client.synOwner,
      ack: true,
    });
  }

  private admitWaitingClients(): void {
    while (this.waitingClients.length > 0 && this.acceptQueue.length + this.handshaking < this.acceptLimit) {
      this.offer(this.waitingClients.shift()!);
    }
  }

  private refuse(client: StreamSocket): void {
    this.ctx.transport.start(this.host, client.host, controlSegmentWireBytes(client.segmentSizes), 0, () => client.connectFailed('ECONNREFUSED'), {
      owner: client.synOwner,
      ack: true,
    });
  }

  private synAckArrives(child: StreamSocket, listener: StreamSocket): void {
    if (this.currentState === 'closed') {
      // Closed while connecting, the socket is gone (Linux's tcp_close of a
      // SYN_SENT socket sends nothing): the SYN-ACK finds no socket, and the
      // RST the client's host answers with drops the listener's half-open
      // connection, which accept never sees.
      const dropped = () => listener.handshakeReset(child);
      this.ctx.transport.start(this.host, child.host, controlSegmentWireBytes(child.segmentSizes), 0, dropped, { lost: dropped });
      return;
    }
    const notify = () => {
      this.changed();
      child.changed();
    };
    const keepsBytes = this.ctx.mode === 'full';
    const roundTrip = this.ctx.transport.now() - this.synSentAt;
    const sizes = this.segmentSizes;
    const up = new TcpDirection(
      this.ctx.transport,
      this.host,
      child.host,
      keepsBytes,
      sizes,
      notify,
      () => child.sendReset(),
      roundTrip,
      this.ctx.queueOf(this.host, child.host),
    );
    const down = new TcpDirection(
      this.ctx.transport,
      child.host,
      this.host,
      keepsBytes,
      sizes,
      notify,
      () => this.sendReset(),
      roundTrip,
      this.ctx.queueOf(child.host, this.host),
    );
    up.reverse = down;
    down.reverse = up;
    up.noDelay = this.noDelayOption;
    up.corked = this.corkOption;
    down.noDelay = child.noDelayOption;
    down.corked = child.corkOption;
    up.sendBufferSize = this.sendBuffer;
    up.receiveBufferSize = child.receiveBuffer;
    down.sendBufferSize = child.sendBuffer;
    down.receiveBufferSize = this.receiveBuffer;
    const since = this.ctx.transport.now();
    up.owner = this.segmentOwner(since, false, () => up.measuredRoundTrip);
    down.owner = child.segmentOwner(since, false, () => down.measuredRoundTrip);
    this.out = up;
    this.in = down;
    this.peer = child;
    // A socket disconnected before (connect(AF_UNSPEC)) starts this connection afresh.
    this.readShut = this.writeShut = this.resetReceived = this.resetSent = this.shutAfterPeerFin = false;
    this.activeOpen = true;
    this.establishedAt = this.ctx.transport.now();
    child.out = down;
    child.in = up;
    child.peer = this;
    this.currentState = 'connected';
    up.sendControl(() => listener.handshakeDone(child));
    this.changed();
  }

  private handshakeDone(child: StreamSocket): void {
    this.handshaking--;
    if (this.currentState !== 'listening') {
      child.abort();
      return;
    }
    // The listener migrated while this connection's handshake was under way.
    child.migrate(this.host);
    child.establishedAt = this.ctx.transport.now();
    this.acceptQueue.push(child);
    this.changed();
  }

  /** A half-open connection the client reset: its place in the queue and its port are free. */
  private handshakeReset(child: StreamSocket): void {
    this.handshaking--;
    this.ports().release(child.id);
    this.admitWaitingClients();
  }

  /** This socket's end of a connection (or handshake) set up at `since`, as its retransmission timer sees it. */
  private segmentOwner(since: number, syn: boolean, roundTrip: () => number): SegmentOwner {
    const host = (): string => this.host;
    return {
      get host() {
        return host();
      },
      since,
      syn,
      controlWireBytes: controlSegmentWireBytes(this.segmentSizes),
      roundTrip,
      userTimeout: () => this.userTimeout,
      timedOut: () => (syn ? this.connectFailed('ETIMEDOUT') : this.timedOut()),
      reset: () => this.resetArrives(),
    };
  }

  /** The handshake failed: refused (an RST came back), or no answer came before the SYN retransmissions gave up. */
  private connectFailed(error: 'ECONNREFUSED' | 'ETIMEDOUT' | 'EHOSTUNREACH'): void {
    if (this.currentState !== 'connecting') return;
    this.currentState = 'idle';
    // Either way Linux closes the socket (tcp_done): poll reports it shut both ways.
    this.refused = true;
    this.pendingError = error;
    this.remoteEndpoint = undefined;
    this.unbindAfterConnection();
    this.changed();
  }

  /** Gone at once: nothing more is read or sent, the peer gets an RST, the port is free. */
  private abort(): void {
    this.currentState = 'closed';
    this.in!.dropReader();
    this.sendReset();
    this.ports().release(this.id);
    this.changed();
  }

  private sendReset(): void {
    if (this.resetSent || this.resetReceived) return;
    this.resetSent = true;
    this.out!.stop();
    const peer = this.peer!;
    this.out!.sendControl(() => peer.resetArrives());
  }

  /**
   * The peer stopped answering and the retransmissions gave up: the
   * connection is dead as after an RST, with ETIMEDOUT for its error.
   */
  private timedOut(): void {
    if (this.currentState !== 'connected' || this.resetReceived) return;
    this.pendingError = 'ETIMEDOUT';
    this.resetReceived = true;
    this.out!.stop();
    this.givePortBack();
    this.changed();
  }

  /** Data already delivered stays readable; then the error, once; then EOF. */
  private resetArrives(): void {
    if (this.currentState === 'closed') return;
    // Linux reports EPIPE when the peer had already finished sending (CLOSE_WAIT), ECONNRESET otherwise.
    this.pendingError = this.in!.finArrived ? 'EPIPE' : 'ECONNRESET';
    this.resetReceived = true;
    this.out!.stop();
    this.givePortBack();
    this.changed();
  }

  /**
   * A connection, or its handshake, ended and the socket stays open (a
   * disconnect, a refusal): the address goes back to the wildcard unless the
   * program bound it, and the port as givePortBack says; getsockname still
   * shows that port, as Linux's keeps inet_sport.
   */
  private unbindAfterConnection(): void {
    if (this.localEndpoint === undefined) return;
    if (!this.addressLocked) this.localEndpoint = { address: wildcardOf(this.family), port: this.localEndpoint.port };
    this.givePortBack();
  }

  /** The connection closed (Linux's tcp_set_state to TCP_CLOSE): a port the kernel picked goes back to the host, one the program chose stays. */
  private givePortBack(): void {
    if (this.portLocked || this.localEndpoint === undefined) return;
    this.ports().release(this.id);
    this.portGivenBack = true;
  }
}
