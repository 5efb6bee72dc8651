import type { TraceeMemory } from './tracee-memory.js';

export const POLLIN = 0x1;
export const POLLPRI = 0x2;
export const POLLOUT = 0x4;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
export const POLLRDNORM = 0x40;
export const POLLWRNORM = 0x100;
export const POLLWRBAND = 0x200;
export const POLLRDHUP = 0x2000;

/**
 * The bands Linux reports along with POLLIN and POLLOUT: normal data both
 * ways (pipes, sockets, terminals, files), and priority writes for sockets
 * (datagram_poll, unix_poll; tcp_poll has none). A program may ask for a band alone.
 */
export function withBands(events: number, bands: { normal: boolean; writeBand: boolean }): number {
  let all = events;
  if (bands.normal && (events & POLLIN) !== 0) all |= POLLRDNORM;
  if (bands.normal && (events & POLLOUT) !== 0) all |= POLLWRNORM;
  if (bands.writeBand && (events & POLLOUT) !== 0) all |= POLLWRBAND;
  return all;
}

/** What poll and select wait for on one descriptor. */
export interface Watched {
  fd: number;
  events: number;
}

/** struct pollfd { int fd; short events; short revents; } */
const POLLFD_SIZE = 8;
const POLLFD_EVENTS = 4;
const POLLFD_REVENTS = 6;

/** The array of `count` pollfds at `address`, every entry (negative fds included, which poll skips). */
export function readPollfds(memory: TraceeMemory, address: number, count: number): Watched[] {
  if (count === 0) return [];
  const raw = memory.read(address, count * POLLFD_SIZE);
  const entries: Watched[] = [];
  for (let i = 0; i < count; i++) entries.push({ fd: raw.readInt32LE(i * POLLFD_SIZE), events: raw.readUInt16LE(i * POLLFD_SIZE + POLLFD_EVENTS) });
  return entries;
}

/** Writes each entry's revents, in the same order. */
export function writePollRevents(memory: TraceeMemory, address: number, entries: readonly Watched[], revents: readonly number[]): void {
  if (entries.length === 0) return;
  const raw = Buffer.alloc(entries.length * POLLFD_SIZE);
  entries.forEach(({ fd, events }, i) => {
    raw.writeInt32LE(fd, i * POLLFD_SIZE);
    raw.writeUInt16LE(events, i * POLLFD_SIZE + POLLFD_EVENTS);
    raw.writeUInt16LE(revents[i]! & 0xffff, i * POLLFD_SIZE + POLLFD_REVENTS);
  });
  memory.write(address, raw);
}

/** select's fd_set: a bit array in longs. */
const fdSetBytes = (nfds: number): number => Math.ceil(nfds / 64) * 8;

/** The descriptors below `nfds` set in the fd_set at `address` (none for NULL). */
export function readFdSet(memory: TraceeMemory, address: number, nfds: number): number[] {
  if (address === 0 || nfds === 0) return [];
  const bits = memory.read(address, fdSetBytes(nfds));
  const fds: number[] = [];
  for (let fd = 0; fd < nfds; fd++) if ((bits[fd >> 3]! & (1 << (fd & 7))) !== 0) fds.push(fd);
  return fds;
}

/** Overwrites the fd_set at `address` with exactly `fds` (nothing for NULL). */
export function writeFdSet(memory: TraceeMemory, address: number, nfds: number, fds: readonly number[]): void {
  if (address === 0 || nfds === 0) return;
  const bits = Buffer.alloc(fdSetBytes(nfds));
  for (const fd of fds) bits[fd >> 3]! |= 1 << (fd & 7);
  memory.write(address, bits);
}

export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLRDHUP = 0x2000;
export const EPOLLEXCLUSIVE = 1 << 28;
export const EPOLLWAKEUP = 1 << 29;
export const EPOLLONESHOT = 1 << 30;
export const EPOLLET = 1 << 31;
export const EPOLL_CLOEXEC = 0o2000000;

/** struct epoll_event is packed on x86_64: 4 bytes of events, 8 of data. */
export const EPOLL_EVENT_SIZE = 12;

export interface EpollEvent {
  events: number;
  /** The 8 bytes of epoll_data, kept as the program gave them. */
  data: Buffer;
}

export function readEpollEvent(memory: TraceeMemory, address: number): EpollEvent {
  const raw = memory.read(address, EPOLL_EVENT_SIZE);
  return { events: raw.readUInt32LE(0), data: Buffer.from(raw.subarray(4)) };
}

export function writeEpollEvents(memory: TraceeMemory, address: number, events: readonly EpollEvent[]): void {
  if (events.length === 0) return;
  const raw = Buffer.alloc(events.length * EPOLL_EVENT_SIZE);
  events.forEach(({ events: bits, data }, i) => {
    raw.writeUInt32LE(bits >>> 0, i * EPOLL_EVENT_SIZE);
    data.copy(raw, i * EPOLL_EVENT_SIZE + 4);
  });
  memory.write(address, raw);
}
