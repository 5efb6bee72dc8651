import { isError, payloadAfter, payloadOf, StreamSocket, type Endpoint, type Payload, type SocketError } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { scatter, totalLength, type Iovec } from '../abi/iovec.js';
import { SIGPIPE } from '../abi/signal.js';
import { MSG_DONTWAIT, MSG_ERRQUEUE, MSG_FASTOPEN, MSG_MORE, MSG_NOSIGNAL, MSG_OOB, MSG_PEEK, MSG_TRUNC, MSG_WAITALL } from '../abi/socket.js';
import type { SyscallContext } from '../syscalls/context.js';
import { blocked, done, fail, type Outcome } from '../syscalls/outcome.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { datagramDestination } from './datagram-destination.js';
import { fastOpen } from './fast-open.js';
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

/** What a send with malformed control messages hands the connection: nothing, to learn whether it would refuse the send first. */
const NOTHING = payloadOf(Buffer.alloc(0));

/** How a send ends once it has moved `sent` bytes: sendfile moves its file offset too. */
export type SendEnd = (sent: number) => Outcome;

/**
 * Sends `payload` (the program's buffers, or a file for sendfile); `to` is
 * the destination's bytes as the program gave them (streams ignore it, as
 * Linux's TCP does). With
 * `controlFits` false (sendmsg's control messages are malformed) the
 * protocol fails the send with EINVAL where it reads them: UDP after the
 * destination, TCP once the connection is there. A blocking
 * stream send returns only once every byte is in the send buffer, as on
 * Linux; a non-blocking one takes what fits. A blocking send interrupted
 * by a signal once some bytes went returns their count, SA_RESTART or not,
 * as Linux does; the bytes it has moved are the call's own state, gone
 * with it. Every count returned goes through `end`.
 */
export function sendPayload(
  ctx: SyscallContext,
  file: OpenFile<SocketFile>,
  payload: Payload,
  flags: number,
  to: Buffer | undefined,
  controlFits = true,
  end: SendEnd = done,
): Outcome {
  const { socket, carrier } = file.object;
  if (!(socket instanceof StreamSocket)) {
    // inet_send_prepare binds the socket before udp_sendmsg checks anything, and answers EAGAIN if no port is free.
    if (socket.autobind() !== undefined) return fail(Errno.EAGAIN);
    const destination = datagramDestination(socket.family, socket.remote, payload.length, flags, to);
    if (isError(destination)) return errnoOf(destination);
    if (!controlFits) return fail(Errno.EINVAL);
    const sent = carrier.sendTo(payload, destination, (flags & MSG_MORE) !== 0);
    return isError(sent) ? errnoOf(sent) : end(sent);
  }
  if ((flags & MSG_FASTOPEN) !== 0) {
    const refused = fastOpen(ctx, file, socket, flags, to);
    if (refused !== undefined) return refused;
  }
  const total = payload.length;
  const already = ctx.state.sent ?? 0;
  // Even a send of nothing asks the connection: tcp_sendmsg reports a socket not connected (EPIPE) or an error for it too.
  const accepted = carrier.send(controlFits ? payloadAfter(payload, already) : NOTHING, (flags & MSG_MORE) !== 0);
  if (isError(accepted)) {
    if (accepted.code === 'EAGAIN') {
      if (already > 0) return end(already);
      return waitUnless(ctx, file, flags, () => socket.readiness().writable, 'room to send');
    }
    if (accepted.code === 'EPIPE' && (flags & MSG_NOSIGNAL) === 0) ctx.services.signals.toThread(ctx.thread, SIGPIPE);
    return already > 0 ? end(already) : errnoOf(accepted);
  }
  if (!controlFits) return fail(Errno.EINVAL);
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
      onInterrupt: () => (sent > 0 ? end(sent) : undefined),
    });
  }
  return end(sent);
}

/**
 * Receives into `vectors`; `onSource` gets the sender's address (datagrams)
 * and whether the datagram was cut, and may return an errno that fails the
 * call once the bytes are taken (recvfrom's address length, checked last).
 */
export function receivePayload(
  ctx: SyscallContext,
  file: OpenFile<SocketFile>,
  vectors: readonly Iovec[],
  flags: number,
  onSource: (source: Endpoint | undefined, truncated: boolean) => number | undefined,
): Outcome {
  // The error queue comes first (tcp_recvmsg, udp_recvmsg), and is always empty here: nothing asks for errors to be queued (IP_RECVERR).
  if ((flags & MSG_ERRQUEUE) !== 0) return fail(Errno.EAGAIN);
  const { socket, carrier } = file.object;
  const max = totalLength(vectors);
  const peek = (flags & MSG_PEEK) !== 0;
  if (socket instanceof StreamSocket) {
    // tcp_recvmsg looks for an urgent byte (tcp_recv_urg) before any other check but a listener's ENOTCONN, and
    // there is never one: a send with MSG_OOB is ordinary data here (README, Limitations).
    if ((flags & MSG_OOB) !== 0) return fail(socket.state === 'listening' ? Errno.ENOTCONN : Errno.EINVAL);
    // MSG_WAITALL waits for all only where the call may wait: a non-blocking one takes what is there (tcp_recvmsg has no time left).
    const waitAll = (flags & MSG_WAITALL) !== 0 && !file.nonblocking && (flags & MSG_DONTWAIT) === 0;
    if (!socket.recvReady(max, waitAll)) {
      const error = socket.takeError();
      if (error !== undefined) return fail(Errno[error] ?? Errno.EIO!);
      return waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll);
    }
    const count = socket.receivable(max, { peek, waitAll });
    if (isError(count))
      return count.code === 'EAGAIN' ? waitUnless(ctx, file, flags, () => socket.recvReady(max, waitAll), 'data to receive', waitAll) : errnoOf(count);
    // Copied out before they are taken: where the buffer faults, the bytes stay in the socket, as tcp_recvmsg leaves them.
    // MSG_TRUNC takes them without copying (tcp_recvmsg skips the copy): the buffer is never touched.
    const discard = (flags & MSG_TRUNC) !== 0;
    const pieces = discard ? [] : carrier.receive(count, true);
    scatter(ctx.memory, vectors, pieces);
    if (!peek) carrier.receive(count, false);
    const refused = onSource(socket.remote, false);
    return refused === undefined ? done(discard ? count : pieces.reduce((sum, piece) => sum + piece.length, 0)) : fail(refused);
  }
  const received = carrier.recvFrom(max, peek);
  if (isError(received)) {
    if (received.code !== 'EAGAIN') return errnoOf(received);
    // An ICMP error wakes a blocked receiver too: recvfrom reports it.
    return waitUnless(ctx, file, flags, () => socket.readiness().readable || socket.readiness().error, 'a datagram');
  }
  scatter(ctx.memory, vectors, [received.data]);
  const refused = onSource(received.source, received.length > received.data.length);
  if (refused !== undefined) return fail(refused);
  return done((flags & MSG_TRUNC) !== 0 ? received.length : received.data.length);
}
