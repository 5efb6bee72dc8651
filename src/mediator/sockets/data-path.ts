import type { DatagramSocket, Endpoint, Payload, ReceivedDatagram, SocketError, StreamSocket } from '../../net/index.js';
import type { SyscallContext } from '../syscalls/context.js';
import { OpenFile } from '../tracees/fd-table.js';
import { native, type Outcome } from '../syscalls/outcome.js';
import { ptrace } from '../native.js';
import { writeSockaddr } from '../abi/tracee-buffers.js';
import { SocketFile } from './socket-file.js';

/**
 * Where an AF_INET socket's bytes travel, the one thing `--network` changes.
 * The control plane (ports, listen queues, connection states, readiness,
 * comms) is src/net's and the same in both modes; a data path decides what
 * descriptor the tracee holds and how payloads move between the tracee's
 * memory and the virtual connection.
 */
export interface DataPath {
  /** socket(): gives the tracee a descriptor for `socket` and installs it in the fd table. */
  open(ctx: SyscallContext, flags: number, make: () => StreamSocket | DatagramSocket): Outcome;
  /** accept()/accept4(): gives the tracee a descriptor for `child`, just taken off `listener`'s queue. */
  accept(ctx: SyscallContext, flags: number, listener: SocketFile, child: StreamSocket): Outcome;
}

/** One socket's end of its data path: what the socket handlers call to move payloads. */
export interface Carrier {
  /** A stream's payload, handed to the connection, which copies what it takes; how many bytes it took. */
  send(payload: Payload): number | SocketError;
  /** `count` bytes the stream socket lets be read now (see StreamSocket.receivable), consumed unless peeking, in pieces. */
  receive(count: number, peek: boolean): Buffer[];
  /** One datagram, to `to` or the connected peer. */
  sendTo(data: Buffer, to: Endpoint | undefined): number | SocketError;
  /** The next datagram, cut to `max` bytes. */
  recvFrom(max: number, peek: boolean): ReceivedDatagram | SocketError;
  /** The socket started listening. */
  listening(backlog: number): void;
  /** The last descriptor of the socket went away. */
  close(): void;
}

export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCKET = 41;

export function installSocket(ctx: SyscallContext, fd: number, flags: number, file: SocketFile): void {
  ctx.process.fds.install(fd, new OpenFile(file, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
}

/** accept's new descriptor `fd` designates `child`; the program gets its peer's virtual address. */
export function installAccepted(ctx: SyscallContext, fd: number, flags: number, child: StreamSocket, carrier: Carrier): void {
  installSocket(ctx, fd, flags, new SocketFile(child, carrier));
  const [, address, lengthPointer] = ctx.args as [number, number, number];
  const remote = child.remote;
  if (remote !== undefined) writeSockaddr(ctx.process.pid, address, lengthPointer, remote);
}

/** Full mediation: the connection keeps the bytes, copied out of the sender's memory and into the receiver's. */
class CarriedBytes implements Carrier {
  constructor(private readonly socket: StreamSocket | DatagramSocket) {}

  send(payload: Payload): number | SocketError {
    return (this.socket as StreamSocket).send(payload);
  }

  receive(count: number, peek: boolean): Buffer[] {
    return (this.socket as StreamSocket).recvPieces(count, { peek }) as Buffer[];
  }

  sendTo(data: Buffer, to: Endpoint | undefined): number | SocketError {
    return (this.socket as DatagramSocket).sendTo(data, to);
  }

  recvFrom(max: number, peek: boolean): ReceivedDatagram | SocketError {
    return (this.socket as DatagramSocket).recvFrom(max, { peek });
  }

  listening(): void {}

  close(): void {}
}

/**
 * Full mediation: the tracee holds a placeholder (an unused AF_UNIX socket,
 * made by turning the syscall at this stop into socket(AF_UNIX, SOCK_DGRAM)),
 * so that the kernel numbers descriptors as usual; no kernel socket carries
 * the traffic.
 */
export const fullMediation: DataPath = {
  open(ctx, flags, make) {
    return placeholder(ctx, flags, (fd) => {
      const socket = make();
      installSocket(ctx, fd, flags, new SocketFile(socket, new CarriedBytes(socket)));
    });
  },
  accept(ctx, flags, _listener, child) {
    return placeholder(ctx, flags, (fd) => installAccepted(ctx, fd, flags, child, new CarriedBytes(child)));
  },
};

function placeholder(ctx: SyscallContext, flags: number, install: (fd: number) => void): Outcome {
  ptrace.setSyscall(ctx.thread.tid, SOCKET, [AF_UNIX, SOCK_DGRAM | (flags & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0, 0, 0, 0]);
  return native((_thread, fd) => {
    if (fd >= 0) install(fd);
  });
}
