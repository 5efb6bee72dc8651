import {
  ByteQueue,
  DatagramSocket,
  StreamSocket,
  isError,
  type Datagram,
  type Endpoint,
  type Payload,
  type ReceivedDatagram,
  type SocketError,
} from '../../net/index.js';
import type { SyscallContext } from '../syscalls/context.js';
import { installAccepted, installSocket, type Carrier, type DataPath } from './data-path.js';
import { instead, native, type Outcome } from '../syscalls/outcome.js';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_TYPE_MASK } from '../abi/socket.js';
import { asInt, readI32 } from '../abi/tracee-memory.js';
import { syscallNumbers } from '../abi/syscall-numbers.js';
import { ptrace } from '../native.js';
import { SocketFile } from './socket-file.js';

/**
 * Address translation: the tracee's AF_INET and AF_INET6 sockets are real
 * kernel AF_INET sockets (AF_INET6 ones on ::1 for AF_INET6 datagram
 * sockets), bound to 127.0.0.1 on ports the kernel picks (so parallel runs
 * never collide), and the kernel carries their bytes. The program never sees
 * a real address: bind, connect, getsockname, getpeername, sendto and
 * recvfrom are answered from the virtual network, which keeps the mapping
 * from each virtual socket to its kernel one, and accept's peer address is
 * rewritten to the virtual one.
 *
 * Timing stays the virtual network's: every send is still a comm, and a
 * receiver takes from its kernel socket only the bytes whose comm has
 * completed; errors, EOF and readiness come from the virtual connection,
 * never from the kernel. The mediator keeps its own duplicate of each
 * socket (pidfd_getfd) and moves payloads through it with non-blocking
 * calls, so no tracee ever blocks in the kernel on a socket. The one
 * syscall left to the kernel is accept, run once the connection it returns
 * is known to be queued.
 *
 * A connection gets its kernel counterpart when the server accepts it: the
 * mediator connects the client's socket to the listener's port, alone in
 * that listener's kernel queue, so accept returns exactly the connection the
 * virtual queue has at its head. What the client sends before that waits in
 * the mediator and is written into its socket once it is connected.
 */

const [SOCKET] = syscallNumbers('socket');

/** Kernel buffers, each way, of every translated socket: room for what the virtual connection lets be in flight. */
const KERNEL_BUFFER_BYTES = 16 * 1024 * 1024;
const LISTEN_BACKLOG = 4096;

/** The mediator's hold on a tracee's kernel socket, by virtual socket. */
const carriers = new WeakMap<StreamSocket | DatagramSocket, KernelSocket>();

class KernelSocket implements Carrier {
  readonly kernelSignalsIo = true;
  /** Stream bytes sent before the kernel connection exists, or that the kernel could not take yet. */
  private readonly pending = new ByteQueue();
  private connected = false;
  private closing = false;
  private closed = false;
  /** The kernel socket at the other end of the connection. */
  private peer: KernelSocket | undefined;

  constructor(
    private readonly socket: StreamSocket | DatagramSocket,
    readonly fd: number,
    /** The kernel socket's port: a new one after a listener's disconnect. */
    public port: number,
  ) {
    carriers.set(socket, this);
    if (socket instanceof DatagramSocket) socket.onDelivery = (datagram) => this.arrived(datagram);
  }

  /** A connection accepted by the kernel: it is connected from the start. */
  static accepted(child: StreamSocket, fd: number, client: KernelSocket): KernelSocket {
    const accepted = new KernelSocket(child, fd, 0);
    accepted.connected = true;
    accepted.peer = client;
    client.peer = accepted;
    return accepted;
  }

  /**
   * The bytes that fit are copied out of the program before the connection
   * counts them: where the program's buffer faults, the call fails with
   * EFAULT and nothing is sent, rather than the peer later waiting for bytes
   * the kernel never got. An error or a full buffer is reported first, as
   * tcp_sendmsg checks them before it copies.
   */
  send(payload: Payload, more: boolean): number | SocketError {
    const stream = this.socket as StreamSocket;
    const fits = Math.min(payload.length, stream.sendRoom());
    if (fits === 0) return stream.sendCount(payload.length, more);
    const bytes = Buffer.allocUnsafe(fits);
    payload.copy(bytes, 0);
    const accepted = stream.sendCount(fits, more);
    if (isError(accepted)) return accepted;
    this.pending.push(bytes.subarray(0, accepted));
    this.flush();
    return accepted;
  }

  receive(count: number, peek: boolean): Buffer[] {
    if (count === 0) return [];
    this.peer?.flush();
    const { data } = ptrace.receiveHeld(this.fd, count, peek, false);
    if (!peek) (this.socket as StreamSocket).consume(count);
    return [data];
  }

  sendTo(data: Payload, to: Endpoint | undefined, more: boolean): number | SocketError {
    return (this.socket as DatagramSocket).sendTo(data, to, more);
  }

  recvFrom(max: number, peek: boolean): ReceivedDatagram | SocketError {
    const next = (this.socket as DatagramSocket).recvFrom(0, { peek });
    if (isError(next)) return next;
    const { data, length } = ptrace.receiveHeld(this.fd, max, peek, true);
    return { data, source: next.source, length };
  }

  listening(backlog: number): void {
    ptrace.listenHeldSocket(this.fd, Math.max(backlog, LISTEN_BACKLOG));
  }

  /**
   * The kernel socket follows the virtual one (before that one forgets what
   * it was): its connection, or its listening, ends, and it may connect (when a server accepts it) or
   * listen again. What waited to be sent goes nowhere now.
   */
  disconnected(): void {
    this.pending.discard(this.pending.length);
    const listening = (this.socket as StreamSocket).state === 'listening';
    if (!this.connected && !listening) return;
    ptrace.disconnectHeldSocket(this.fd);
    // tcp_disconnect gives back the port the kernel picked: a listener takes a new one now, where clients will connect once it listens again.
    if (listening) this.port = ptrace.bindHeldSocket(this.fd);
    this.connected = false;
    this.peer = undefined;
  }

  /** Connects to the kernel socket listening on `port` and sends what waited for it. */
  connectTo(port: number): void {
    ptrace.connectHeldSocket(this.fd, port);
    this.connected = true;
    this.flush();
    if (this.closing) this.close();
  }

  /**
   * Before its kernel connection exists, a client's socket outlives its
   * descriptors: the server may still accept the connection, and the bytes
   * sent meanwhile are still due. Unread input is thrown away first, so the
   * kernel closes with a FIN and never resets on its own: resets are the
   * virtual connection's to decide.
   */
  close(): void {
    if (this.closed) return;
    const socket = this.socket;
    const mayStillConnect = socket instanceof StreamSocket && !this.connected && socket.peerSocket !== undefined && socket.state !== 'listening';
    if (mayStillConnect && socket.peerSocket!.state !== 'closed') {
      this.closing = true;
      return;
    }
    this.flush();
    this.closed = true;
    carriers.delete(socket);
    ptrace.discardHeldInput(this.fd);
    ptrace.closeHeld(this.fd);
  }

  /** Writes what waits into the kernel, as far as it takes it. Bytes sent to a connection the kernel has reset are gone, as they are in the virtual one. */
  private flush(): void {
    if (!this.connected || this.closed) return;
    while (this.pending.length > 0) {
      const chunk = this.pending.peek(Math.min(this.pending.length, 1 << 20));
      let sent: number;
      try {
        sent = ptrace.sendHeld(this.fd, chunk);
      } catch (error) {
        if ((error as { code?: string }).code !== 'EPIPE' && (error as { code?: string }).code !== 'ECONNRESET') throw error;
        this.pending.discard(this.pending.length);
        return;
      }
      if (sent === 0) return;
      this.pending.discard(sent);
    }
  }

  /** A datagram reached this socket in virtual time: now the kernel gets it (the socket sends it to itself). */
  private arrived(datagram: Datagram): void {
    if (!this.closed) ptrace.sendHeldTo(this.fd, datagram.data, this.port);
  }
}

function carrierOf(socket: StreamSocket | DatagramSocket): KernelSocket {
  const carrier = carriers.get(socket);
  if (carrier === undefined) throw new Error(`socket ${socket.id} has no kernel socket`);
  return carrier;
}

export const addressTranslation: DataPath = {
  open(ctx, flags, make) {
    const install = (fd: number): void => {
      if (fd < 0) return;
      const socket = make();
      const held = ptrace.holdSocket(ctx.process.liveTid, fd, KERNEL_BUFFER_BYTES);
      const port = ptrace.bindHeldSocket(held);
      installSocket(ctx, fd, flags, new SocketFile(socket, new KernelSocket(socket, held, port)));
    };
    // Every kernel stream socket is an AF_INET one on 127.0.0.1, whatever the program's family: the program sees only virtual
    // addresses. An AF_INET6 datagram socket stays one, on ::1, to carry IPv6's larger datagrams (65527 bytes against 65507).
    const [, type, protocol] = ctx.args as [number, number, number];
    if (asInt(ctx.args[0]!) !== AF_INET6 || (asInt(type) & SOCK_TYPE_MASK) === SOCK_DGRAM) return native(install);
    return instead(SOCKET, [AF_INET, type, protocol, 0, 0, 0], install);
  },

  accept(ctx, flags, listener, child) {
    const client = carrierOf(child.peerSocket!);
    const listening = carrierOf(listener.socket);
    client.connectTo(listening.port);
    ptrace.waitHeldAcceptable(listening.fd);
    return nativeAccept(ctx, flags, child, client);
  },
};

/**
 * The kernel's accept runs on the tracee's listening socket, whose queue
 * holds just this connection; the peer address it wrote is replaced by the
 * virtual one. The kernel wrote a sockaddr_in's length into *addrlen: an
 * AF_INET6 socket's sockaddr_in6 goes into the room the program gave.
 */
function nativeAccept(ctx: SyscallContext, flags: number, child: StreamSocket, client: KernelSocket): Outcome {
  const [, address, lengthPointer] = ctx.args as [number, number, number];
  const room = child.family === 6 && address !== 0 && lengthPointer !== 0 ? readI32(ctx.memory, lengthPointer) : undefined;
  return native((fd) => {
    if (fd < 0) {
      child.close();
      return;
    }
    const held = ptrace.holdSocket(ctx.process.liveTid, fd, KERNEL_BUFFER_BYTES);
    installAccepted(ctx, fd, flags, child, KernelSocket.accepted(child, held, client), room);
  });
}
