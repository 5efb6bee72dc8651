import { readFileSync } from 'node:fs';
import { isError, type SocketError, type StreamSocket } from '../../net/index.js';
import { Errno } from '../abi/errno.js';
import { AF_UNSPEC, MSG_DONTWAIT, decodeSockaddrFor, sockaddrFamily } from '../abi/socket.js';
import type { SyscallContext } from '../syscalls/context.js';
import { blocked, fail, type Outcome } from '../syscalls/outcome.js';
import type { OpenFile } from '../tracees/fd-table.js';
import type { SocketFile } from './socket-file.js';

/** Whether net.ipv4.tcp_fastopen lets clients use Fast Open (its bit 1, TFO_CLIENT_ENABLE), read once. */
let clientEnabled: boolean | undefined;

const failWith = (error: SocketError): Outcome => fail(Errno[error.code] ?? Errno.EINVAL!);

/**
 * sendto or sendmsg with MSG_FASTOPEN on a TCP socket connects it first, to
 * the address given, in tcp_sendmsg_fastopen's order: EOPNOTSUPP where the
 * machine has client Fast Open off or for AF_UNSPEC, a non-blocking
 * connect's end confirmed (see `confirm`), EISCONN once connected or
 * listening, EALREADY while connecting, then the address as connect
 * reads it (none: EINVAL). The virtual network has no Fast Open cookies,
 * so, as Linux without one, the SYN carries no data: a non-blocking call
 * returns EINPROGRESS once the handshake started; a blocking one waits for
 * it and then sends as usual. Undefined: the send goes on.
 */
export function fastOpen(ctx: SyscallContext, file: OpenFile<SocketFile>, socket: StreamSocket, flags: number, to: Buffer | undefined): Outcome | undefined {
  if (ctx.state.connecting === socket) {
    const state = socket.connection();
    if (state === 'connecting') return waitForHandshake(ctx, socket);
    if (state === 'connected') return undefined;
    return fail(Errno[socket.takeError() ?? 'ECONNREFUSED'] ?? Errno.ECONNREFUSED!);
  }
  clientEnabled ??= (Number(readFileSync('/proc/sys/net/ipv4/tcp_fastopen', 'utf8')) & 1) !== 0;
  if (!clientEnabled || (to !== undefined && sockaddrFamily(to) === AF_UNSPEC)) return fail(Errno.EOPNOTSUPP);
  if (to !== undefined && to.length < 2) return fail(Errno.EINVAL);
  if (file.object.connectUnconfirmed) return confirm(file.object, socket);
  if (socket.state === 'connected' || socket.state === 'listening') return fail(Errno.EISCONN);
  if (socket.state === 'connecting') return fail(Errno.EALREADY);
  if (to === undefined) return fail(Errno.EINVAL);
  const endpoint = decodeSockaddrFor(socket.family, to);
  if (isError(endpoint)) return failWith(endpoint);
  const started = socket.connect(endpoint);
  if (started.code !== 'EINPROGRESS') return failWith(started);
  if (file.nonblocking || (flags & MSG_DONTWAIT) !== 0) {
    // As after a non-blocking connect: a later connect reports EALREADY, then the outcome once.
    file.object.connectUnconfirmed = true;
    return fail(Errno.EINPROGRESS);
  }
  ctx.state.connecting = socket;
  return waitForHandshake(ctx, socket);
}

/**
 * After a non-blocking connect nothing confirmed yet (SS_CONNECTING), Fast
 * Open's connect confirms it as a second connect would: EALREADY while the
 * handshake goes on, its error if it failed, and once connected the send
 * goes on (undefined).
 */
function confirm(file: SocketFile, socket: StreamSocket): Outcome | undefined {
  const state = socket.connection();
  if (state === 'connecting') return fail(Errno.EALREADY);
  file.connectUnconfirmed = false;
  if (state === 'connected') return undefined;
  return fail(Errno[file.connectionFailed()] ?? Errno.ECONNABORTED!);
}

function waitForHandshake(ctx: SyscallContext, socket: StreamSocket): Outcome {
  return blocked({
    kind: 'io',
    reason: `a Fast Open connection to be established in ${ctx.thread.label}`,
    isReady: () => socket.connection() !== 'connecting',
    watch: [],
    sources: () => [socket],
    onSignal: 'restartable',
  });
}
