import { isError, StreamSocket, type Endpoint, type SocketError } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { gather, scatter, totalLength, traceePayload, type Iovec } from '../abi/iovec.js';
import { SIGPIPE } from '../abi/signal.js';
import { MSG_DONTWAIT, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL } from '../abi/socket.js';
import type { SyscallContext } from '../syscalls/context.js';
import { blocked, done, fail, type Outcome } from '../syscalls/outcome.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { SocketFile } from './socket-file.js';

/**
 * Moving payloads between a tracee's buffers and a virtual socket, for the
 * send and receive families and for read and write on a socket: what is
 * decided in src/net (how much fits, what is there to read), with Linux's
 * blocking rules on top.
 */

export function socketFileAt(ctx: SyscallContext, fd: number): OpenFile<SocketFile> | undefined {
  const file = ctx.process.fds.get(fd);
  return file?.object instanceof SocketFile ? (file as OpenFile<SocketFile>) : undefined;
}

export function errnoOf(error: SocketError): Outcome {
  return fail(Errno[error.code] ?? Errno.EINVAL);
}

/**
 * EAGAIN for a non-blocking call; otherwise the thread waits until `isReady`
 * and tries again. `isReady` is checked again only when the socket's
 * readiness changes, unless `finerThanReadiness` (MSG_WAITALL's byte count).
 */
export function waitUnless(
  ctx: SyscallContext,
  file: OpenFile<SocketFile>,
  flags: number,
  isReady: () => boolean,
  what: string,
  finerThanReadiness = false,
): Outcome {
  if (file.nonblocking || (flags & MSG_DONTWAIT) !== 0) return fail(Errno.EAGAIN);
  const sources = finerThanReadiness ? undefined : () => [file.object.socket];
  return blocked({ kind: 'io', reason: `${what} in ${ctx.thread.label}`, isReady, watch: [], sources, onSignal: 'restartable' });
}

/**
 * Sends the payload at `vectors`. A blocking stream send returns only once
 * every byte is in the send buffer, as on Linux; a non-blocking one takes
 * what fits. A blocking send interrupted by a signal once some bytes went
 * returns their count, SA_RESTART or not, as Linux does; the bytes it has
 * moved are the call's own state, gone with it.
 */
export function sendPayload(ctx: SyscallContext, file: OpenFile<SocketFile>, vectors: readonly Iovec[], flags: number, to: Endpoint | undefined): Outcome {
  const { socket, carrier } = file.object;
  if (!(socket instanceof StreamSocket)) {
    // UDP has no urgent data (udp_sendmsg refuses it first).
    if ((flags & MSG_OOB) !== 0) return fail(Errno.EOPNOTSUPP);
    const sent = carrier.sendTo(gather(ctx.memory, vectors), to);
    return isError(sent) ? errnoOf(sent) : done(sent);
  }
  const total = totalLength(vectors);
  const already = ctx.state.sent ?? 0;
  const accepted = total === already ? 0 : carrier.send(traceePayload(ctx.memory, vectors, already));
  if (isError(accepted)) {
    if (accepted.code === 'EAGAIN') {
      if (already > 0) return done(already);
      return waitUnless(ctx, file, flags, () => socket.readiness().writable, 'room to send');
    }
    if (accepted.code === 'EPIPE' && (flags & MSG_NOSIGNAL) === 0) ctx.services.signals.toThread(ctx.thread, SIGPIPE);
    return already > 0 ? done(already) : errnoOf(accepted);
  }
  const sent = already + accepted;
  const blocking = !file.nonblocking && (flags & MSG_DONTWAIT) === 0;
  if (sent < total && blocking) {
    ctx.state.sent = sent;
    return blocked({
      kind: 'io',
      reason: `room to send in ${ctx.thread.label}`,
      isReady: () => socket.readiness().writable,
      watch: [],
      sources: () => [socket],
      onSignal: 'restartable',
      onInterrupt: () => (sent > 0 ? done(sent) : undefined),
    });
  }
  return done(sent);
}

/** Receives into `vectors`; `onSource` gets the sender's address (datagrams) and whether the datagram was cut. */
export function receivePayload(
  ctx: SyscallContext,
  file: OpenFile<SocketFile>,
  vectors: readonly Iovec[],
  flags: number,
  onSource: (source: Endpoint | undefined, truncated: boolean) => void,
): Outcome {
  const { socket, carrier } = file.object;
  const max = totalLength(vectors);
  const peek = (flags & MSG_PEEK) !== 0;
  if (socket instanceof StreamSocket) {
    const waitAll = (flags & MSG_WAITALL) !== 0;
    if (!socket.recvReady(max, waitAll && !file.nonblocking)) {
      const error = socket.takeError();
      if (error !== undefined) return fail(Errno[error] ?? Errno.EIO!);
      return waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll);
    }
    const count = socket.receivable(max, { peek, waitAll });
    if (isError(count))
      return count.code === 'EAGAIN' ? waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll) : errnoOf(count);
    const pieces = carrier.receive(count, peek);
    scatter(ctx.memory, vectors, pieces);
    onSource(socket.remote, false);
    return done(pieces.reduce((sum, piece) => sum + piece.length, 0));
  }
  const received = carrier.recvFrom(max, peek);
  if (isError(received)) {
    if (received.code !== 'EAGAIN') return errnoOf(received);
    return waitUnless(ctx, file, flags, () => socket.readiness().readable, 'a datagram');
  }
  scatter(ctx.memory, vectors, [received.data]);
  onSource(received.source, received.length > received.data.length);
  return done((flags & MSG_TRUNC) !== 0 ? received.length : received.data.length);
}
