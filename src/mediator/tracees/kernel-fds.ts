import { ptrace } from '../native.js';

/**
 * Readiness of descriptors the kernel implements (pipes, local sockets,
 * eventfds, terminals...), seen through the addon without disturbing the
 * tracee. Regular files, directories and block devices never block; a
 * terminal is the user's, and waiting on it in the kernel is allowed.
 */
export type FdInfo = NonNullable<ReturnType<typeof ptrace.inspectFd>>;

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;

export function inspectFd(pid: number, fd: number): FdInfo | null {
  return ptrace.inspectFd(pid, fd);
}

/** Whether a blocking operation on this descriptor could sleep in the kernel. */
export function canBlock(info: FdInfo | null): info is FdInfo {
  if (info === null || info.nonblocking) return false;
  return info.kind !== 'file' && info.kind !== 'dir' && info.kind !== 'block' && info.kind !== 'tty';
}

/** The poll events that hold now among `events` (POLLHUP and POLLNVAL are always reported). */
export function readyEvents(info: FdInfo | null, events: number): number {
  if (info === null) return POLLNVAL;
  if (info.kind === 'file' || info.kind === 'dir' || info.kind === 'block') return events & (POLLIN | POLLOUT);
  let ready = 0;
  if (info.readable) ready |= POLLIN;
  if (info.writable) ready |= POLLOUT;
  ready &= events;
  if (info.hangup) ready |= POLLHUP;
  return ready;
}
