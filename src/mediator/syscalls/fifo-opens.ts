import { closeSync, constants, lstatSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { ReadinessSource, Wait } from '../loop/waits.js';
import type { Process, Thread } from '../tracees/tracees.js';
import type { SyscallContext } from './context.js';
import { blocked, nativeThen, type Outcome } from './outcome.js';

/**
 * A blocking open of one end of a named FIFO waits, on Linux, until the
 * other end is open too: a reader for a writer, a writer for a reader.
 * Letting it wait in the kernel would stop the whole run, since the
 * mediator serves one tracee at a time and would never let the partner's
 * open go. So the opener waits in virtual time instead: when a tracee
 * already holds the other end, its open goes ahead at once (the kernel
 * returns without waiting); otherwise it waits here until a tracee opens
 * the other end, and both opens return at that date, as Linux's do. For
 * that meeting the mediator holds the FIFO open at both ends itself (a
 * stand-in, O_RDWR never waits) until each of the openers it woke has
 * opened it, so that no open of theirs waits in the kernel, whatever the
 * partner did meanwhile. O_RDWR and O_NONBLOCK opens never wait: the
 * kernel runs them as they are.
 */

const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_NONBLOCK = 0o4000;
const O_PATH = 0o10000000;

type End = 'reader' | 'writer';

/** A thread waiting for the other end of a FIFO. */
interface Waiter {
  readonly thread: Thread;
  readonly end: End;
  listeners: Array<() => void>;
  /** The wait it blocked with: once the thread no longer has it (a signal, its exit), it is no partner. */
  wait?: Wait;
}

/** The FIFO's stand-in descriptor and the woken openers that have yet to open it. */
interface Meeting {
  readonly standIn: number;
  readonly toOpen: Set<Thread>;
}

export class FifoOpens {
  /** By FIFO (device and inode): the threads waiting for its other end. */
  private readonly waiting = new Map<string, Set<Waiter>>();
  private readonly meetings = new Map<string, Meeting>();

  /**
   * What a blocking open of `path` (the file the kernel would open, as the
   * mediator can name it) with `flags` needs first; undefined when it can
   * go on as any open: it is no FIFO, would not wait, or its partner is
   * there. `go` is what the open does then. `seen`: the FIFO the open
   * handler's walk found at `path` following links, if it looked there
   * (one stat for both).
   */
  open(ctx: SyscallContext, path: string, follow: boolean, flags: number, go: () => Outcome, seen?: { fifo: string | undefined }): Outcome | undefined {
    const access = flags & O_ACCMODE;
    if ((flags & (O_NONBLOCK | O_PATH)) !== 0 || (access !== O_RDONLY && access !== O_WRONLY)) return undefined;
    // O_NOFOLLOW looks at a last link itself, which the walk's look went through.
    const key = follow && seen !== undefined ? seen.fifo : fifoKey(path, follow);
    if (key === undefined) return undefined;
    const end: End = access === O_RDONLY ? 'reader' : 'writer';
    const meeting = this.settled(key);
    if (meeting?.toOpen.has(ctx.thread)) return this.openAtMeeting(key, meeting, ctx.thread, go());
    const partner: End = end === 'reader' ? 'writer' : 'reader';
    // Opening an end wakes every opener waiting for it, as Linux's wake_up_partner does.
    const partners = [...(this.waiting.get(key) ?? [])].filter((waiter) => waiter.end === partner && stillWaiting(waiter));
    if (partners.length > 0) this.meet(key, path, partners);
    if (partners.length > 0 || heldByTracee(ctx, key, partner)) return undefined;
    return this.wait(ctx, key, end, path);
  }

  /** The meeting at FIFO `key`, without the woken openers that exited before opening it (closed once none is left). */
  private settled(key: string): Meeting | undefined {
    const meeting = this.meetings.get(key);
    if (meeting === undefined) return undefined;
    for (const thread of meeting.toOpen) if (thread.state === 'exited') meeting.toOpen.delete(thread);
    if (meeting.toOpen.size > 0) return meeting;
    closeSync(meeting.standIn);
    this.meetings.delete(key);
    return undefined;
  }

  private openAtMeeting(key: string, meeting: Meeting, thread: Thread, outcome: Outcome): Outcome {
    const opened = (): void => {
      meeting.toOpen.delete(thread);
      if (meeting.toOpen.size > 0) return;
      closeSync(meeting.standIn);
      this.meetings.delete(key);
    };
    if (outcome.kind === 'native') return nativeThen(opened);
    if (outcome.kind === 'open-instead') {
      const after = outcome.afterOpen;
      return {
        ...outcome,
        afterOpen: () => {
          after?.();
          opened();
        },
      };
    }
    opened();
    return outcome;
  }

  /** Wakes `partners`, holding the FIFO open at both ends until each has opened it. */
  private meet(key: string, path: string, partners: readonly Waiter[]): void {
    let meeting = this.meetings.get(key);
    if (meeting === undefined) {
      meeting = { standIn: openSync(path, constants.O_RDWR | constants.O_NONBLOCK), toOpen: new Set() };
      this.meetings.set(key, meeting);
    }
    const waiters = this.waiting.get(key)!;
    for (const partner of partners) {
      waiters.delete(partner);
      meeting.toOpen.add(partner.thread);
      for (const listener of partner.listeners) listener();
    }
    if (waiters.size === 0) this.waiting.delete(key);
  }

  private wait(ctx: SyscallContext, key: string, end: End, path: string): Outcome {
    const waiter: Waiter = { thread: ctx.thread, end, listeners: [] };
    const waiters = this.waiting.get(key) ?? new Set<Waiter>();
    this.waiting.set(key, waiters);
    for (const earlier of waiters) if (earlier.thread === ctx.thread) waiters.delete(earlier);
    waiters.add(waiter);
    const source: ReadinessSource = {
      onChange: (listener) => {
        waiter.listeners.push(listener);
        return () => {
          waiter.listeners = waiter.listeners.filter((other) => other !== listener);
        };
      },
    };
    waiter.wait = {
      kind: 'io',
      reason: `a ${end === 'reader' ? 'writer' : 'reader'} to open FIFO ${path} in ${ctx.thread.label}`,
      isReady: () => this.meetings.get(key)?.toOpen.has(ctx.thread) === true,
      watch: [],
      sources: () => [source],
      onSignal: 'restartable',
    };
    return blocked(waiter.wait);
  }
}

function stillWaiting(waiter: Waiter): boolean {
  return waiter.thread.state === 'blocked' && waiter.thread.wait === waiter.wait;
}

/** The FIFO's device and inode, or undefined when `path` is no FIFO (or cannot be looked at: the kernel will say why). */
function fifoKey(path: string, follow: boolean): string | undefined {
  try {
    const stat = follow ? statSync(path, { bigint: true }) : lstatSync(path, { bigint: true });
    return stat.isFIFO() ? `${stat.dev}:${stat.ino}` : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a tracee holds the FIFO `key` open as an `end` (O_RDWR holds both). */
function heldByTracee(ctx: SyscallContext, key: string, end: End): boolean {
  for (const process of ctx.services.tracees.processes.values()) if (holds(process, key, end)) return true;
  return false;
}

function holds(process: Process, key: string, end: End): boolean {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${process.pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const stat = statSync(`/proc/${process.pid}/fd/${fd}`, { bigint: true });
      if (!stat.isFIFO() || `${stat.dev}:${stat.ino}` !== key) continue;
      const flags = /^flags:\s*([0-7]+)/m.exec(readFileSync(`/proc/${process.pid}/fdinfo/${fd}`, 'latin1'));
      const access = flags === null ? -1 : Number.parseInt(flags[1]!, 8) & O_ACCMODE;
      if (access === O_RDWR || access === (end === 'reader' ? O_RDONLY : O_WRONLY)) return true;
    } catch {}
  }
  return false;
}
