import type { DatagramSocket, Endpoint, Payload, ReceivedDatagram, SocketError, StreamSocket } from '../../net/index.js';
import { SOCK_CLOEXEC, SOCK_NONBLOCK, encodeSockaddrFor, writeSockaddr } from '../abi/socket.js';
import { writeI32 } from '../abi/tracee-memory.js';
import type { SyscallContext } from '../syscalls/context.js';
import type { Outcome } from '../syscalls/outcome.js';
import { OpenFile } from '../tracees/fd-table.js';
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
  /** The tracee's descriptor is the socket the bytes travel through, so the kernel sends its O_ASYNC signals itself. */
  readonly kernelSignalsIo: boolean;
  /** A stream's payload, handed to the connection, which copies what it takes; how many bytes it took. `more` is MSG_MORE. */
  send(payload: Payload, more: boolean): number | SocketError;
  /** `count` bytes the stream socket lets be read now (see StreamSocket.receivable), consumed unless peeking, in pieces. */
  receive(count: number, peek: boolean): Buffer[];
  /** One datagram, to `to` or the connected peer, copied out only if it goes; `more` is MSG_MORE. */
  sendTo(data: Payload, to: Endpoint | undefined, more: boolean): number | SocketError;
  /** The next datagram, cut to `max` bytes. */
  recvFrom(max: number, peek: boolean): ReceivedDatagram | SocketError;
  /** The socket started listening. */
  listening(backlog: number): void;
  /** The program disconnected the socket (connect to AF_UNSPEC): a connection or a listener it had is gone. */
  disconnected(): void;
  /** The last descriptor of the socket went away. */
  close(): void;
}

export function installSocket(ctx: SyscallContext, fd: number, flags: number, file: SocketFile): void {
  ctx.process.fds.install(fd, new OpenFile(file, (flags & SOCK_NONBLOCK) !== 0), (flags & SOCK_CLOEXEC) !== 0);
}

/**
 * accept's new descriptor `fd` designates `child`; the program gets its
 * peer's virtual address, in `room` bytes (what *addrlen held when the
 * call began: a kernel accept has rewritten it since).
 */
export function installAccepted(ctx: SyscallContext, fd: number, flags: number, child: StreamSocket, carrier: Carrier, room?: number): void {
  installSocket(ctx, fd, flags, new SocketFile(child, carrier));
  const [, address, lengthPointer] = ctx.args as [number, number, number];
  const remote = child.remote;
  if (remote === undefined || address === 0 || lengthPointer === 0) return;
  if (room !== undefined) writeI32(ctx.memory, lengthPointer, room);
  writeSockaddr(ctx.memory, address, lengthPointer, encodeSockaddrFor(child.family, remote));
}
