import type { DatagramSocket, Endpoint, Payload, ReceivedDatagram, SocketError, StreamSocket } from '../../net/index.js';
import { AF_UNIX, SOCK_CLOEXEC, SOCK_DGRAM, SOCK_NONBLOCK } from '../abi/socket.js';
import { syscallNumbers } from '../abi/syscall-numbers.js';
import { instead, type Outcome } from '../syscalls/outcome.js';
import { installAccepted, installSocket, type Carrier, type DataPath } from './data-path.js';
import { SocketFile } from './socket-file.js';

const [SOCKET] = syscallNumbers('socket');

/** Full mediation: the connection keeps the bytes, copied out of the sender's memory and into the receiver's. */
class CarriedBytes implements Carrier {
  /** The tracee holds a placeholder, where nothing arrives: the mediator sends the signals (async-signals.ts). */
  readonly kernelSignalsIo = false;

  constructor(private readonly socket: StreamSocket | DatagramSocket) {}

  send(payload: Payload, more: boolean): number | SocketError {
    return (this.socket as StreamSocket).send(payload, more);
  }

  receive(count: number, peek: boolean): Buffer[] {
    return (this.socket as StreamSocket).recvPieces(count, { peek }) as Buffer[];
  }

  sendTo(data: Payload, to: Endpoint | undefined, more: boolean): number | SocketError {
    return (this.socket as DatagramSocket).sendTo(data, to, more);
  }

  recvFrom(max: number, peek: boolean): ReceivedDatagram | SocketError {
    return (this.socket as DatagramSocket).recvFrom(max, { peek });
  }

  listening(): void {}

  disconnected(): void {}

  close(): void {}
}

/**
 * Full mediation: the tracee holds a placeholder (an unused AF_UNIX socket,
 * the kernel running socket(AF_UNIX, SOCK_DGRAM) instead of the program's
 * call), so that the kernel numbers descriptors as usual; no kernel socket
 * carries the traffic.
 */
export const fullMediation: DataPath = {
  open(ctx, flags, make) {
    return placeholder(flags, (fd) => {
      const socket = make();
      installSocket(ctx, fd, flags, new SocketFile(socket, new CarriedBytes(socket)));
    });
  },
  accept(ctx, flags, _listener, child) {
    return placeholder(flags, (fd) => installAccepted(ctx, fd, flags, child, new CarriedBytes(child)));
  },
};

/** The kernel makes an unused AF_UNIX socket in place of the program's call; `install` learns its number. */
export function placeholder(flags: number, install: (fd: number) => void): Outcome {
  return instead(SOCKET, [AF_UNIX, SOCK_DGRAM | (flags & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0, 0, 0, 0], (fd) => {
    if (fd >= 0) install(fd);
  });
}
