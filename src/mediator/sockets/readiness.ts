import type { SyscallContext } from '../syscalls/context.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP } from '../abi/poll.js';
import { SocketFile } from './socket-file.js';

/** The poll events that hold now for a virtual object, among `wanted` (POLLERR and POLLHUP always count). */
export function readinessEvents(file: OpenFile, wanted: number): number {
  const object = file.object;
  if (!(object instanceof SocketFile)) return 0;
  const readiness = object.socket.readiness();
  let events = 0;
  if (readiness.readable) events |= POLLIN;
  if (readiness.writable) events |= POLLOUT;
  if (readiness.readHangup) events |= POLLRDHUP;
  events &= wanted;
  if (readiness.hangup) events |= POLLHUP;
  if (readiness.error) events |= POLLERR;
  return events;
}

/** The virtual sockets behind some descriptors of the calling process (other virtual objects are never ready). */
export function virtualSockets(ctx: SyscallContext, fds: Iterable<number>): Array<SocketFile['socket']> {
  const sockets: Array<SocketFile['socket']> = [];
  for (const fd of fds) {
    const object = ctx.process.fds.get(fd)?.object;
    if (object instanceof SocketFile) sockets.push(object.socket);
  }
  return sockets;
}
