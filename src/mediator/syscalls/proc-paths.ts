import type { SyscallContext } from './context.js';
import { realProcessId, realThreadId, reachableRealId } from './pid-arguments.js';

/**
 * Paths a tracee opens, as far as /proc/PID is concerned. In them a pid is
 * a virtual one of the caller's host (/proc/1000/status is its host's
 * process 1000), and only its host's tracees can be reached: /proc/PID of
 * any other process, simterpose included, does not exist for it (ENOENT,
 * as under a /proc mounted with hidepid=invisible), wherever the path goes
 * through: /proc/self and /proc/thread-self, a descriptor or working
 * directory in /proc, symbolic links (a program's own, or /proc/mounts's),
 * the magic links of /proc/PID (cwd, root, fd/N). The kernel then gets the
 * path with real pids.
 *
 * Most opens never come near /proc: one stat, from the mediator, tells
 * that the path reaches a file on another file system, and the kernel
 * opens it as named. A proc file system mounted elsewhere (a bind mount of
 * part of /proc) is out of reach altogether. Only a path that names /proc, reaches it, or reaches
 * nothing (a symbolic link through /proc/self could, for the tracee, lead
 * where it leads nowhere for the mediator) is followed component by
 * component (a stat each, up to the first missing one).
 */

/** The file system as the mediator sees it: enough to follow a tracee's path. */
export interface PathView {
  /** What `path` leads to (following links); undefined when it leads nowhere. */
  look(path: string): PathLook | undefined;
  /** The target of the symbolic link `path`; undefined when it is none, 'missing' when nothing is there. */
  linkAt(path: string): string | undefined | 'missing';
}

/** A file as the walk saw it: whether it is in a proc file system, and its "dev:ino" when it is a FIFO. */
export interface PathLook {
  readonly inProc: boolean;
  readonly fifo: string | undefined;
}

/** Who is opening, and which ids under /proc it can reach. */
export interface ProcNames {
  /** The caller's real pid and tid: what /proc/self and /proc/thread-self lead to. */
  readonly pid: number;
  readonly tid: number;
  /** The real pid (or tid) behind a virtual one of the caller's host. */
  realProcess(virtual: number): number | undefined;
  /** The real tid behind a virtual one of the caller's host. */
  realThread(virtual: number): number | undefined;
  /** Whether a real pid or tid is one of the caller's host's tracees. */
  reachable(real: number): boolean;
}

/** The caller of a handler's syscall: one object per open, as every open asks (most without a question). */
class CallerNames implements ProcNames {
  readonly pid: number;
  readonly tid: number;

  constructor(private readonly ctx: SyscallContext) {
    this.pid = ctx.process.pid;
    this.tid = ctx.thread.tid;
  }

  realProcess(virtual: number): number | undefined {
    return realProcessId(this.ctx, virtual);
  }

  realThread(virtual: number): number | undefined {
    return realThreadId(this.ctx, virtual);
  }

  reachable(real: number): boolean {
    return reachableRealId(this.ctx, real);
  }
}

export function procNames(ctx: SyscallContext): ProcNames {
  return new CallerNames(ctx);
}

export type ProcOpen =
  /**
   * The path leads to no /proc/PID and names no pid: the kernel opens it as
   * named. `seen`: the walk looked at the file the program named, and
   * found this FIFO there (undefined: none, or nothing at all).
   */
  | { readonly kind: 'as-named'; readonly seen?: { readonly fifo: string | undefined } }
  /** It goes through /proc/PID of a process the caller cannot reach. */
  | { readonly kind: 'hidden' }
  /**
   * Followed to `path`, with real pids. `renamed`: the program's path named
   * virtual pids, so the kernel must get `path` instead. `process`: the
   * real pid or tid under /proc and, under its task/, the real tid, with
   * the file below (`status`, `fd/3`; '' for the directory itself).
   */
  | {
      readonly kind: 'followed';
      readonly path: string;
      readonly renamed: boolean;
      readonly process: { readonly id: number; readonly thread: number | undefined; readonly file: string } | undefined;
    };

const AS_NAMED: ProcOpen = { kind: 'as-named' };
/** What most opens get (a file outside /proc, no FIFO): made once. */
const AS_NAMED_NO_FIFO: ProcOpen = { kind: 'as-named', seen: { fifo: undefined } };
const HIDDEN: ProcOpen = { kind: 'hidden' };
/** Linux follows at most this many links in one lookup (ELOOP beyond): the kernel will say so. */
const MAX_LINKS = 40;
const NUMBER = /^\d+$/;

/** A path component still to follow; `virtual`: a pid in it is the program's, not the kernel's. */
interface Pending {
  name: string;
  virtual: boolean;
}

function pending(path: string, virtual: boolean): Pending[] {
  return path
    .split('/')
    .filter((name) => name !== '' && name !== '.')
    .reverse()
    .map((name) => ({ name, virtual }));
}

/**
 * What opening `path` (relative to descriptor `dirfd`, or the working
 * directory for AT_FDCWD) reaches for the caller; `followLast`: unless
 * O_NOFOLLOW.
 */
export function procOpen(names: ProcNames, view: PathView, dirfd: number | 'cwd', path: string, followLast: boolean): ProcOpen {
  if (path === '') return AS_NAMED;
  const absolute = path.startsWith('/');
  if (absolute && !namesProc(path)) {
    const outside = reachesOutsideProc(view, path);
    if (outside !== undefined) return outside;
  }
  let resolved: string[] = [];
  if (!absolute) {
    const base = `/proc/${names.tid}/${dirfd === 'cwd' ? 'cwd' : `fd/${dirfd}`}`;
    const outside = reachesOutsideProc(view, `${base}/${path}`);
    if (outside !== undefined) return outside;
    const directory = view.linkAt(base);
    // Not a directory, or no descriptor: the kernel says which.
    if (directory === undefined || directory === 'missing' || !directory.startsWith('/')) return AS_NAMED;
    resolved = directory.split('/').filter((name) => name !== '');
  }
  const todo = pending(path, true);
  let renamed = false;
  let links = 0;
  while (todo.length > 0) {
    const { name, virtual } = todo.pop()!;
    if (name === '..') {
      resolved.pop();
      continue;
    }
    resolved.push(name);
    const underProc = resolved[0] === 'proc';
    if (underProc && resolved.length === 2) {
      if (name === 'self') resolved[1] = String(names.pid);
      else if (name === 'thread-self') resolved.splice(1, 1, String(names.pid), 'task', String(names.tid));
      else if (virtual && NUMBER.test(name)) {
        const real = names.realProcess(Number(name));
        if (real === undefined) return HIDDEN;
        resolved[1] = String(real);
        renamed = true;
      }
    } else if (underProc && resolved.length === 4 && resolved[2] === 'task' && virtual && NUMBER.test(name)) {
      const real = names.realThread(Number(name));
      if (real === undefined) return HIDDEN;
      resolved[3] = String(real);
      renamed = true;
    }
    if (underProc && resolved.length >= 2 && NUMBER.test(resolved[1]!) && !names.reachable(Number(resolved[1]))) return HIDDEN;
    if (todo.length === 0 && !followLast) break;
    if (!mayBeLink(resolved)) continue;
    const link = view.linkAt(`/${resolved.join('/')}`);
    if (link === 'missing') {
      // Nothing further can be a link: the rest is as named.
      for (let next = todo.pop(); next !== undefined; next = todo.pop()) {
        if (next.name === '..') resolved.pop();
        else resolved.push(next.name);
      }
      break;
    }
    if (link === undefined) continue;
    if (++links > MAX_LINKS) return AS_NAMED;
    // The links in /proc/PID/ are the kernel's (cwd, root, exe, fd/N): their targets name real pids.
    const kernels = underProc && NUMBER.test(resolved[1] ?? '');
    // One to a socket, a pipe, an anonymous inode: nothing more to follow.
    if (kernels && !link.startsWith('/')) break;
    // The last, to a file outside /proc: the kernel follows it to the file itself, which its text may not name (a file deleted since, a memfd).
    if (kernels && todo.length === 0 && !namesProc(link)) break;
    resolved.pop();
    if (link.startsWith('/')) resolved = [];
    todo.push(...pending(link, !kernels));
  }
  const followedPath = `/${resolved.join('/')}`;
  // A proc file system elsewhere than /proc (a bind mount of part of it): its pids are the kernel's, out of the host's reach.
  if (resolved[0] !== 'proc' && view.look(followedPath)?.inProc === true) return HIDDEN;
  const process =
    resolved[0] === 'proc' && NUMBER.test(resolved[1] ?? '')
      ? resolved[2] === 'task' && NUMBER.test(resolved[3] ?? '')
        ? { id: Number(resolved[1]), thread: Number(resolved[3]), file: resolved.slice(4).join('/') }
        : { id: Number(resolved[1]), thread: undefined, file: resolved.slice(2).join('/') }
      : undefined;
  return { kind: 'followed', path: followedPath, renamed, process };
}

/**
 * Whether `path` leads, for the mediator, to a file outside /proc; or, when
 * it leads nowhere, whether its deepest existing directory is outside
 * /proc (what is missing below it would be created there, or not found).
 * A link that leads nowhere for the mediator may lead somewhere for the
 * caller: that is for the walk to follow. When outside, the open is as
 * named, with the FIFO found at `path` (none when it is something else, or
 * missing); undefined otherwise.
 */
function reachesOutsideProc(view: PathView, path: string): ProcOpen | undefined {
  for (let at = path; at.length > 1; at = at.slice(0, Math.max(at.lastIndexOf('/'), 1))) {
    const look = view.look(at);
    if (look === undefined) {
      if (view.linkAt(at) !== 'missing') return undefined;
      continue;
    }
    if (look.inProc) return undefined;
    return at === path && look.fifo !== undefined ? { kind: 'as-named', seen: { fifo: look.fifo } } : AS_NAMED_NO_FIFO;
  }
  return undefined;
}

/** The links procfs has: /proc/mounts and net, and in /proc/PID (or its task/TID) cwd, root, exe and what fd/, map_files/ and ns/ hold. */
const PROC_LINKS = new Set(['mounts', 'net']);
const PROCESS_LINKS = new Set(['cwd', 'root', 'exe']);
const PROCESS_LINK_FOLDERS = new Set(['fd', 'map_files', 'ns']);

/** Whether the path so far may end in a symbolic link: anything outside /proc may, and only the links procfs has inside. */
function mayBeLink(resolved: readonly string[]): boolean {
  if (resolved[0] !== 'proc') return true;
  if (resolved.length === 2) return PROC_LINKS.has(resolved[1]!);
  if (!NUMBER.test(resolved[1] ?? '')) return true;
  const below = resolved[2] === 'task' && resolved.length > 4 ? resolved.slice(4) : resolved.slice(2);
  if (below.length === 1) return PROCESS_LINKS.has(below[0]!);
  return below.length === 2 && PROCESS_LINK_FOLDERS.has(below[0]!);
}

/** An absolute path's first component other than "" and ".", when it is "proc" or "..". */
const FIRST_NAMES_PROC = /^(?:\.?\/)*(?:proc|\.\.)(?:\/|$)/;

/** Whether an absolute path, taken literally, is under /proc. (Most opens ask: no array of its components is made.) */
function namesProc(path: string): boolean {
  return FIRST_NAMES_PROC.test(path);
}
