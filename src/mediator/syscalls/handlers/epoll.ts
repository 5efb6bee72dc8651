import { Errno } from '../../abi/errno.js';
import {
  EPOLLET,
  EPOLLEXCLUSIVE,
  EPOLLONESHOT,
  EPOLLWAKEUP,
  EPOLLRDHUP,
  EPOLL_CLOEXEC,
  EPOLL_CTL_ADD,
  EPOLL_CTL_DEL,
  EPOLL_CTL_MOD,
  EPOLL_EVENT_SIZE,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLOUT,
  POLLPRI,
  readEpollEvent,
  withBands,
  writeEpollEvents,
  type EpollEvent,
} from '../../abi/poll.js';
import { inUserSpace } from '../../abi/iovec.js';
import { readSigset } from '../../abi/signal.js';
import { readTimespec, timespecSeconds } from '../../abi/time.js';
import { asInt } from '../../abi/tracee-memory.js';
import { edgesOf, raisedSince, readinessEvents, virtualSockets } from '../../sockets/readiness.js';
import type { Edges } from '../../../net/index.js';
import { OpenFile, type VirtualObject } from '../../tracees/fd-table.js';
import { readyEvents } from '../../tracees/kernel-fds.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, native, type Outcome } from '../outcome.js';

/**
 * epoll, emulated whole: an instance may watch virtual sockets, which the
 * kernel knows nothing of, next to kernel descriptors. The tracee holds the
 * real epoll descriptor epoll_create made, as a placeholder; the interest
 * list lives here and epoll_wait computes readiness itself.
 */

interface Interest {
  fd: number;
  /** The open file registered, so that a reused descriptor number is not confused with it. */
  file: OpenFile | undefined;
  events: number;
  data: Buffer;
  /**
   * Edge-triggered, as Linux's ready list: the interest is due from its
   * epoll_ctl until its next report, and again after each event its socket
   * raises (see `Edges`), even one that held already.
   */
  due: boolean;
  /** The socket's edges at the last report (virtual sockets only). */
  edges: Edges | undefined;
  /** Kernel descriptors, whose edges are not seen: the events at the previous wait, a rise of which is an edge. */
  seen: number;
  /** Kernel descriptors: the counts of raised POLLIN and POLLOUT (KernelEdges) at the previous wait; a count grown since is an edge too. */
  raised: { in: number; out: number };
  disabled: boolean;
}

export class EpollInstance implements VirtualObject {
  readonly interests = new Map<number, Interest>();
  private readonly listeners = new Set<() => void>();

  close(): void {
    this.interests.clear();
  }

  /** Calls `listener` after each epoll_ctl on this instance (a new interest may be ready at once). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  interestsChanged(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function instanceAt(ctx: SyscallContext, fd: number): EpollInstance | undefined {
  const object = ctx.process.fds.get(fd)?.object;
  return object instanceof EpollInstance ? object : undefined;
}

function epollCreate(ctx: SyscallContext, flags: number): Outcome {
  const fds = ctx.process.fds;
  return native((fd) => {
    if (fd >= 0) fds.install(fd, new OpenFile(new EpollInstance(), false), (flags & EPOLL_CLOEXEC) !== 0);
  });
}

/** The only events EPOLLEXCLUSIVE may come with (EPOLLEXCLUSIVE_OK_BITS). */
const EXCLUSIVE_OK = POLLIN | POLLOUT | POLLERR | POLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/**
 * epoll_ctl in Linux's order: the event is copied in first (EFAULT, for
 * every operation but EPOLL_CTL_DEL, even one it does not know), then the
 * target descriptor (EBADF), the instance itself as a target and
 * EPOLLEXCLUSIVE where it may not be (EINVAL), then the interest list
 * (EEXIST, ENOENT) and last an unknown operation (EINVAL).
 */
function epollCtl(ctx: SyscallContext): Outcome {
  const [epfdArg, operationArg, fdArg, event] = ctx.args as [number, number, number, number];
  const instance = instanceAt(ctx, asInt(epfdArg));
  if (instance === undefined) return NATIVE;
  const fd = asInt(fdArg);
  const operation = asInt(operationArg);
  const given = operation === EPOLL_CTL_DEL ? undefined : readEpollEvent(ctx.memory, event);
  const file = ctx.process.fds.get(fd);
  if (file === undefined && ctx.services.kernelFds.inspect(ctx.process, fd) === null) return fail(Errno.EBADF);
  if (file?.object === instance) return fail(Errno.EINVAL);
  if (given !== undefined && (given.events & EPOLLEXCLUSIVE) !== 0) {
    if (operation === EPOLL_CTL_MOD) return fail(Errno.EINVAL);
    if (operation === EPOLL_CTL_ADD && (file?.object instanceof EpollInstance || (given.events & ~EXCLUSIVE_OK) !== 0)) return fail(Errno.EINVAL);
  }
  const registered = instance.interests.get(fd);
  // Linux keys an interest by its open file and number: one whose file is no longer at that number (closed, the number reused) is not this descriptor's.
  const existing = registered?.file === file ? registered : undefined;
  if (operation === EPOLL_CTL_DEL) {
    if (existing === undefined) return fail(Errno.ENOENT);
    instance.interests.delete(fd);
    instance.interestsChanged();
    return done(0);
  }
  if (operation === EPOLL_CTL_ADD) {
    if (existing !== undefined) return fail(Errno.EEXIST);
  } else if (operation === EPOLL_CTL_MOD) {
    if (existing === undefined) return fail(Errno.ENOENT);
    // An exclusive interest cannot be modified.
    if ((existing.events & EPOLLEXCLUSIVE) !== 0) return fail(Errno.EINVAL);
  } else {
    return fail(Errno.EINVAL);
  }
  const { events, data } = given!;
  const edges = file === undefined ? undefined : edgesOf(file);
  instance.interests.set(fd, { fd, file, events, data, due: true, edges, seen: 0, raised: { in: 0, out: 0 }, disabled: false });
  instance.interestsChanged();
  return done(0);
}

/** Events that hold now for one interest (EPOLLERR and EPOLLHUP always count), and for a kernel descriptor its raised counts. */
function eventsNow(ctx: SyscallContext, interest: Interest): { now: number; raised?: Interest['raised'] } | undefined {
  const file = ctx.process.fds.get(interest.fd);
  if (file !== interest.file) return undefined; // closed, or the number reused for something else
  const wanted = (interest.events & (POLLIN | POLLOUT | POLLPRI | EPOLLRDHUP)) | POLLERR | POLLHUP;
  if (file !== undefined) return { now: readinessEvents(file, wanted) };
  const info = ctx.services.kernelFds.inspect(ctx.process, interest.fd);
  if (info === null) return undefined;
  const edges = ctx.services.kernelEdges;
  return { now: readyEvents(info, wanted), raised: { in: edges.count(info, POLLIN), out: edges.count(info, POLLOUT) } };
}

/** Collects ready events, in interest order, up to `max`; updates edge and one-shot state when `consume`. */
function collect(ctx: SyscallContext, instance: EpollInstance, max: number, consume: boolean): EpollEvent[] {
  const ready: EpollEvent[] = [];
  for (const interest of [...instance.interests.values()]) {
    // Past `max`, interests stay as they are, their edges unspent, for the next wait.
    if (ready.length >= max) break;
    if (interest.disabled) continue;
    const found = eventsNow(ctx, interest);
    if (found === undefined) {
      if (consume) instance.interests.delete(interest.fd);
      continue;
    }
    const { now, raised } = found;
    const report = (interest.events & EPOLLET) === 0 ? now : edgeReport(interest, now, consume, raised);
    if (report === 0) continue;
    ready.push({ events: report, data: interest.data });
    if (consume && (interest.events & EPOLLONESHOT) !== 0) interest.disabled = true;
  }
  return ready;
}

/**
 * What an edge-triggered interest reports: every event that holds, as in
 * Linux, when it has an edge; nothing otherwise. When `consume`, the edge is
 * spent, reported or not.
 */
function edgeReport(interest: Interest, now: number, consume: boolean, raised: Interest['raised'] | undefined): number {
  const file = interest.file;
  let due: boolean;
  if (file === undefined) {
    // An event raised again since the previous wait holds as if it had not held then.
    const again = raised === undefined ? 0 : (raised.in > interest.raised.in ? POLLIN : 0) | (raised.out > interest.raised.out ? POLLOUT : 0);
    due = (now & ~(interest.seen & ~withBands(again, { normal: true, writeBand: true }))) !== 0;
    if (consume) {
      interest.seen = now;
      if (raised !== undefined) interest.raised = raised;
    }
  } else {
    const edges = edgesOf(file);
    const raised = edges === undefined || interest.edges === undefined ? 0 : raisedSince(file, interest.edges, edges);
    due = interest.due || (raised & (interest.events | POLLERR | POLLHUP)) !== 0;
    if (consume) {
      interest.due = false;
      interest.edges = edges;
    }
  }
  return due ? now : 0;
}

/** The most events one epoll_wait returns (INT_MAX / sizeof(struct epoll_event)). */
const EP_MAX_EVENTS = Math.floor(0x7fff_ffff / EPOLL_EVENT_SIZE);

function epollWaitCommon(ctx: SyscallContext, timeout: number | undefined, mask: bigint | undefined): Outcome {
  const [epfdArg, events, maxArg] = ctx.args as [number, number, number];
  // Linux's order (6.x): the descriptor (EBADF), the count, the array in user space, then the descriptor's kind.
  const instance = instanceAt(ctx, asInt(epfdArg));
  if (instance === undefined && ctx.services.kernelFds.inspect(ctx.process, asInt(epfdArg)) === null) return fail(Errno.EBADF);
  const max = asInt(maxArg);
  if (max <= 0 || max > EP_MAX_EVENTS) return fail(Errno.EINVAL);
  if (!inUserSpace(events, max * EPOLL_EVENT_SIZE)) return fail(Errno.EFAULT);
  if (instance === undefined) return fail(Errno.EINVAL);
  const ready = collect(ctx, instance, max, true);
  if (ready.length > 0 || timeout === 0) {
    writeEpollEvents(ctx.memory, events, ready);
    return done(ready.length);
  }
  // The placeholder epoll descriptor watches nothing: the kernel's call just takes the signal under its mask.
  const pending = mask === undefined ? undefined : ctx.services.signals.deliverable(ctx.thread, mask);
  if (pending !== undefined) return pending.blockedNow ? NATIVE : fail(Errno.EINTR);
  const kernelFds = (): Interest[] => [...instance.interests.values()].filter((interest) => interest.file === undefined);
  return blocked({
    kind: 'io',
    reason: `epoll ${asInt(epfdArg)} to report an event in ${ctx.thread.label}`,
    isReady: () => collect(ctx, instance, 1, false).length > 0,
    watch: kernelFds().map((interest) => ({ process: ctx.process, fd: interest.fd, events: interest.events & (POLLIN | POLLOUT) })),
    // Only virtual sockets: news comes from their changes of readiness, or from epoll_ctl (kernel descriptors must be probed).
    sources: () => (kernelFds().length === 0 ? [instance, ...virtualSockets(ctx, instance.interests.keys())] : undefined),
    deadline: timeout === undefined ? undefined : ctx.services.time.after(timeout, ctx.process.host),
    onTimeout: () => done(0),
    onSignal: 'eintr',
    mask,
  });
}

const milliseconds = (value: number): number | undefined => (asInt(value) < 0 ? undefined : asInt(value) / 1000);

function epollWait(ctx: SyscallContext): Outcome {
  return epollWaitCommon(ctx, milliseconds(ctx.args[3]!), undefined);
}

function epollPwait(ctx: SyscallContext): Outcome {
  return epollWaitCommon(ctx, milliseconds(ctx.args[3]!), readSigset(ctx.memory, ctx.args[4]!));
}

function epollPwait2(ctx: SyscallContext): Outcome {
  const timeout = ctx.args[3] === 0 ? undefined : timespecSeconds(readTimespec(ctx.memory, ctx.args[3]!));
  return epollWaitCommon(ctx, timeout, readSigset(ctx.memory, ctx.args[4]!));
}

const NOTE = 'emulated: an instance may watch virtual sockets and kernel descriptors; waits in virtual time';

export const epollSyscalls: FamilyTable = {
  epoll_create: { level: 'mediated', handler: (ctx) => epollCreate(ctx, 0), note: NOTE },
  epoll_create1: { level: 'mediated', handler: (ctx) => epollCreate(ctx, asInt(ctx.args[0]!)), note: NOTE },
  epoll_ctl: { level: 'emulated', handler: epollCtl, note: `${NOTE}; EPOLLEXCLUSIVE and EPOLLWAKEUP are accepted and ignored` },
  epoll_wait: { blocks: true, level: 'emulated', handler: epollWait, note: NOTE },
  epoll_pwait: { blocks: true, level: 'emulated', handler: epollPwait, note: NOTE },
  epoll_pwait2: { blocks: true, level: 'emulated', handler: epollPwait2, note: NOTE },
};
