import { readFileSync, readlinkSync } from 'node:fs';
import { Errno } from '../abi/errno.js';
import { POLLHUP, POLLIN, POLLNVAL, POLLOUT, withBands } from '../abi/poll.js';
import { ptrace, type FdInfo, type FileSource } from '../native.js';
import { pendingSignals } from './pending-signals.js';
import type { Process } from './tracees.js';

/**
 * Descriptors the kernel implements (pipes, local sockets, eventfds,
 * terminals, timerfds, signalfds...), seen and adjusted through the addon
 * without disturbing the tracee. Regular files, directories and block devices never
 * block; a terminal is the user's, and waiting on it in the kernel is allowed.
 */
export type { FdInfo, FileSource };

export interface KernelFds {
  /** What `fd` of `process` is, and whether it is ready; null when it has no such descriptor. */
  inspect(process: Process, fd: number): FdInfo | null;
  /** Whether `fd` is a socket with SO_PASSCRED set: what it receives carries SCM_CREDENTIALS. */
  passesCredentials(process: Process, fd: number): boolean;
  /** Sets or clears O_NONBLOCK on the open file behind the descriptor; returns the previous setting. */
  setNonblocking(process: Process, fd: number, nonblocking: boolean): boolean;
  /**
   * Sets a timerfd's expiration count (0: disarmed and clear), so its
   * expirations follow virtual time; the disarmed kernel timer keeps `tag`
   * seconds as its interval, which names it (see timerfdTag).
   */
  setTimerTicks(process: Process, fd: number, ticks: number, tag: number): void;
  /**
   * The tag of the timerfd behind `fd` (the interval its disarmed kernel
   * timer holds), or undefined when `fd` is no timerfd: every anonymous
   * descriptor (timerfd, eventfd, epoll...) has the same device and inode,
   * so only this tells one timerfd from another.
   */
  timerfdTag(process: Process, fd: number): number | undefined;
  /** How sendfile and splice see `fd` (its access mode, a regular file, size, offset); null when there is no such descriptor. */
  fileSource(process: Process, fd: number): FileSource | null;
  /** Fills `target` from the file behind `fd` at `position`, its offset unmoved; how many bytes there were before its end. */
  readFileAt(process: Process, fd: number, position: number, target: Buffer): number;
  /** Moves the offset of the open file behind `fd` (shared with its duplicates). */
  setFileOffset(process: Process, fd: number, position: number): void;
  /** Takes bytes from the pipe behind `fd` into `target`, asked for no more than it holds; how many came. */
  readPipe(process: Process, fd: number, target: Buffer): number;
  /** Puts what fits of `data` into the pipe behind `fd` without waiting; how many bytes went. */
  writePipe(process: Process, fd: number, data: Buffer): number;
  /**
   * The entries getdents64 on `fd` gives now (up to `max` bytes of struct
   * linux_dirent64), its position moved past them; or the errno it fails with.
   */
  readDirectory(process: Process, fd: number, max: number): Buffer | { errno: number };
  /** What the descriptor's magic link in /proc/PID/fd names (a path, or `pipe:[N]`...); undefined when there is no such descriptor. */
  linkOf(process: Process, fd: number): string | undefined;
  /** How many descriptors the process's table holds room for now (FDSize): select looks at no more. */
  tableSize(process: Process): number;
  /** The process's soft RLIMIT_NOFILE: poll takes no more descriptors than this. */
  openFilesLimit(process: Process): number;
}

/** The tracees' descriptors, through the addon, asked of a live thread of the process (they share them). */
export const kernelFds: KernelFds = {
  inspect(process, fd) {
    const info = ptrace.inspectFd(process.liveTid, fd);
    // A signalfd polled from here would show simterpose's own signals: it is readable when one of its mask is pending for the tracee.
    if (info?.kind === 'signalfd') {
      const mask = signalfdMask(process, fd);
      if (mask !== undefined) info.readable = (pendingSignals(process.pid, process.liveTid) & mask) !== 0n;
    }
    return info;
  },
  passesCredentials: (process, fd) => ptrace.passesCredentials(process.liveTid, fd),
  setNonblocking: (process, fd, nonblocking) => ptrace.setFdNonblocking(process.liveTid, fd, nonblocking),
  setTimerTicks: (process, fd, ticks, tag) => ptrace.setTimerTicks(process.liveTid, fd, ticks, tag),
  fileSource: (process, fd) => ptrace.fileSource(process.liveTid, fd),
  readFileAt: (process, fd, position, target) => ptrace.readFileAt(process.liveTid, fd, position, target),
  setFileOffset: (process, fd, position) => ptrace.setFileOffset(process.liveTid, fd, position),
  readPipe: (process, fd, target) => ptrace.readPipe(process.liveTid, fd, target),
  writePipe: (process, fd, data) => ptrace.writePipe(process.liveTid, fd, data),
  readDirectory(process, fd, max) {
    try {
      return ptrace.readDirectory(process.liveTid, fd, max);
    } catch (error) {
      const errno = Errno[(error as { code?: string }).code ?? ''];
      if (errno === undefined) throw error;
      return { errno };
    }
  },
  linkOf(process, fd) {
    try {
      return readlinkSync(`/proc/${process.liveTid}/fd/${fd}`);
    } catch {
      return undefined;
    }
  },
  timerfdTag(process, fd) {
    let info: string;
    try {
      info = readFileSync(`/proc/${process.liveTid}/fdinfo/${fd}`, 'utf8');
    } catch {
      return undefined; // no such descriptor
    }
    if (!TIMERFD_INFO.test(info)) return undefined;
    const interval = TIMERFD_INTERVAL.exec(info);
    return interval === null ? undefined : Number(interval[1]);
  },
  tableSize(process) {
    const size = TABLE_SIZE.exec(readFileSync(`/proc/${process.liveTid}/status`, 'utf8'));
    if (size === null) throw new Error(`no FDSize in /proc/${process.liveTid}/status`);
    return Number(size[1]);
  },
  openFilesLimit(process) {
    const limit = OPEN_FILES_LIMIT.exec(readFileSync(`/proc/${process.liveTid}/limits`, 'utf8'));
    if (limit === null) throw new Error(`no open files limit in /proc/${process.liveTid}/limits`);
    return limit[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(limit[1]);
  },
};

/** The signals a signalfd takes, from its /proc/PID/fdinfo ("sigmask:" in hex); undefined once the descriptor is gone. */
function signalfdMask(process: Process, fd: number): bigint | undefined {
  let info: string;
  try {
    info = readFileSync(`/proc/${process.liveTid}/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const mask = SIGNALFD_MASK.exec(info);
  return mask === null ? undefined : BigInt(`0x${mask[1]}`);
}

const SIGNALFD_MASK = /^sigmask:\s*([0-9a-f]+)$/m;

/** The soft limit of "Max open files" in /proc/PID/limits. */
const OPEN_FILES_LIMIT = /^Max open files\s+(\d+|unlimited)/m;

/** FDSize in /proc/PID/status. */
const TABLE_SIZE = /^FDSize:\s*(\d+)$/m;

/** A timerfd's /proc/PID/fdinfo has its clock, and its interval as "it_interval: (SECONDS, NANOSECONDS)". */
const TIMERFD_INFO = /^clockid:/m;
const TIMERFD_INTERVAL = /^it_interval:\s*\((\d+),/m;

/**
 * Whether a blocking read or write of this descriptor could sleep in the
 * kernel. A POSIX message queue's read gives its status text at once (its
 * messages come through mq_timedreceive, syscalls/handlers/ipc.ts).
 */
export function canBlock(info: FdInfo | null): info is FdInfo {
  if (info === null || info.nonblocking) return false;
  return info.kind !== 'file' && info.kind !== 'dir' && info.kind !== 'block' && info.kind !== 'tty' && info.kind !== 'mqueue';
}

/**
 * The bands a kind reports with POLLIN and POLLOUT: pipes, terminals,
 * devices and message queues the normal ones, AF_UNIX sockets the write
 * band too (unix_poll); signalfds none, nor the other anonymous descriptors
 * (an eventfd or a timerfd has none; an epoll descriptor's POLLRDNORM is not
 * told apart from them).
 */
function bandsOf(info: FdInfo): { normal: boolean; writeBand: boolean } {
  if (info.kind === 'socket') return { normal: true, writeBand: true };
  return { normal: info.kind !== 'signalfd' && info.kind !== 'other', writeBand: false };
}

/** The poll events that hold now among `events` (POLLHUP and POLLNVAL are always reported). */
export function readyEvents(info: FdInfo | null, events: number): number {
  if (info === null) return POLLNVAL;
  // Files have no poll of their own: DEFAULT_POLLMASK, always ready both ways.
  if (info.kind === 'file' || info.kind === 'dir' || info.kind === 'block') return withBands(POLLIN | POLLOUT, { normal: true, writeBand: false }) & events;
  let ready = 0;
  if (info.readable) ready |= POLLIN;
  if (info.writable) ready |= POLLOUT;
  ready = withBands(ready, bandsOf(info)) & events;
  if (info.hangup) ready |= POLLHUP;
  return ready;
}
