import type { SyscallContext } from '../syscalls/context.js';
import type { OpenFile } from '../tracees/fd-table.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDHUP, withBands } from '../abi/poll.js';
import { NetlinkSocket } from './netlink-socket.js';
import { SocketFile } from './socket-file.js';
import type { Edges } from '../../net/index.js';

/** The poll events that hold now for a virtual object, among `wanted` (POLLERR and POLLHUP always count). */
export function readinessEvents(file: OpenFile, wanted: number): number {
  const object = file.object;
  // A netlink socket can always send; it can be read while answers wait.
  if (object instanceof NetlinkSocket) return withBands(POLLOUT | (object.readable ? POLLIN : 0), DATAGRAM_BANDS) & wanted;
  if (!(object instanceof SocketFile)) return 0;
  const readiness = object.socket.readiness();
  let events = 0;
  if (readiness.readable) events |= POLLIN;
  if (readiness.writable) events |= POLLOUT;
  if (readiness.readHangup) events |= POLLRDHUP;
  events = withBands(events, bandsOf(object)) & wanted;
  if (readiness.hangup) events |= POLLHUP;
  if (readiness.error) events |= POLLERR;
  return events;
}

/** tcp_poll reports the normal bands; datagram_poll (UDP, netlink) the write band too. */
const STREAM_BANDS = { normal: true, writeBand: false };
const DATAGRAM_BANDS = { normal: true, writeBand: true };

function bandsOf(file: SocketFile): { normal: boolean; writeBand: boolean } {
  return file.type === 'stream' ? STREAM_BANDS : DATAGRAM_BANDS;
}

/** The events raised on a virtual socket so far (see `Edges`); undefined for other virtual objects, which raise none. */
export function edgesOf(file: OpenFile): Edges | undefined {
  return file.object instanceof SocketFile ? file.object.socket.edges() : undefined;
}

/** The poll events raised between two counts of a socket's edges. */
export function raisedSince(file: OpenFile, before: Edges, now: Edges): number {
  let events = 0;
  if (now.readable > before.readable) events |= POLLIN;
  if (now.writable > before.writable) events |= POLLOUT;
  if (now.readHangup > before.readHangup) events |= POLLRDHUP;
  if (now.hangup > before.hangup) events |= POLLHUP;
  if (now.error > before.error) events |= POLLERR;
  return file.object instanceof SocketFile ? withBands(events, bandsOf(file.object)) : events;
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
