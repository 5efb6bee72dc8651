import { readFileSync } from 'node:fs';
import type { SyscallContext } from './context.js';
import { Errno } from '../abi/errno.js';
import { asInt } from '../abi/tracee-memory.js';
import { fail, instead, type ExitHook, type Outcome } from './outcome.js';
import type { Process } from '../tracees/tracees.js';
import { OUTSIDE_PID } from '../tracees/virtual-pids.js';

/**
 * Pids crossing the boundary: a program names processes, threads and groups
 * by their virtual ids, in its host's namespace (see tracees/virtual-pids.ts);
 * the kernel needs the real ones. What a tracee can name, and what it gets
 * for what it cannot:
 * - a process or thread of its own host, running or a zombie its parent has
 *   not collected, by its virtual id: the kernel gets the real one;
 * - 0 and negative ids, where a call takes one process, keep Linux's
 *   meaning (0 the caller, a negative id no process): the kernel gets them
 *   as they are and answers with its own result or errno (kill's groups and
 *   F_SETOWN's have rules of their own);
 * - OUTSIDE_PID, which stands for every process outside the run (the parent,
 *   group or session a program inherited from its launcher): it exists, but
 *   the tracee has no power over it, as over another user's process: EPERM
 *   (getpgid and getsid answer it, sched_getaffinity gives the host's cores);
 * - any other id, including the kernel's pids of simterpose itself, of
 *   processes outside the run and of tracees of other hosts: no such
 *   process, ESRCH.
 * So no program ever reaches a process simterpose did not start, nor one
 * on another host.
 */

/** A pid argument the kernel must not see: the errno the call fails with instead. */
export interface Refused {
  readonly errno: number;
}

const NO_SUCH_PROCESS: Refused = { errno: Errno.ESRCH };
const OUT_OF_REACH: Refused = { errno: Errno.EPERM };

export const isRefused = (named: number | Refused): named is Refused => typeof named !== 'number';

/** A tracee process that can still be named: running, or a zombie its parent has not collected. */
function nameable(process: Process | undefined): process is Process {
  return process !== undefined && (process.alive || process.parent?.zombies.has(process) === true);
}

/** The real pid of the caller's host's process (or thread: kill accepts a tid) `virtual`; 0 stays 0 (the caller). */
export function realProcessId(ctx: SyscallContext, virtual: number): number | undefined {
  if (virtual === 0) return 0;
  const { tracees } = ctx.services;
  const real = tracees.pids.toReal(ctx.process.host, virtual);
  if (real === undefined) return undefined;
  if (tracees.threads.get(real)?.process.alive === true || nameable(tracees.processes.get(real))) return real;
  return undefined;
}

/** Whether the real pid or tid `real` is one of the caller's host's tracees, running or a zombie not yet collected. */
export function reachableRealId(ctx: SyscallContext, real: number): boolean {
  const { tracees } = ctx.services;
  const thread = tracees.threads.get(real);
  if (thread !== undefined) return thread.process.alive && thread.process.host === ctx.process.host;
  const process = tracees.processes.get(real);
  return nameable(process) && process.host === ctx.process.host;
}

/** The real tid of the caller's host's live thread `virtual`. */
export function realThreadId(ctx: SyscallContext, virtual: number): number | undefined {
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, virtual);
  return real !== undefined && ctx.services.tracees.threads.has(real) ? real : undefined;
}

/** A pid argument naming one process (or thread), as the kernel must get it: see the rules above. */
export function kernelPid(ctx: SyscallContext, pid: number): number | Refused {
  if (pid <= 0) return pid;
  if (pid === OUTSIDE_PID) return OUT_OF_REACH;
  return realProcessId(ctx, pid) ?? NO_SUCH_PROCESS;
}

/** A tid argument naming one thread, as the kernel must get it. */
export function kernelTid(ctx: SyscallContext, tid: number): number | Refused {
  if (tid <= 0) return tid;
  if (tid === OUTSIDE_PID) return OUT_OF_REACH;
  return realThreadId(ctx, tid) ?? NO_SUCH_PROCESS;
}

/**
 * A process group argument (a positive pgid), as the kernel must get it: a
 * group named by the virtual pid of its leader, which some live tracee of the
 * caller's host belongs to (the leader may have left it or exited).
 */
export function kernelGroup(ctx: SyscallContext, group: number): number | Refused {
  if (group <= 0) return group;
  if (group === OUTSIDE_PID) return OUT_OF_REACH;
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, group);
  return real !== undefined && groupMembers(ctx, real).length > 0 ? real : NO_SUCH_PROCESS;
}

/** A real pid, tid, process group or session as the caller sees it. */
export function virtualId(ctx: SyscallContext, real: number): number {
  return ctx.services.tracees.pids.toVirtual(real);
}

/** An exit hook: the syscall's result is a pid (or an error), given to the caller as its virtual id; 0 (a clone's child) stays 0. */
export function virtualResult(ctx: SyscallContext): ExitHook {
  return (result) => (result > 0 ? virtualId(ctx, result) : result);
}

/**
 * An exit hook for a process group or session id. The kernel answers 0 for
 * one whose leader lies outside the caller's pid namespace (simterpose run
 * inside a container): to the tracee it is outside simterpose, like any other.
 */
export function virtualGroupResult(ctx: SyscallContext): ExitHook {
  return (result) => (result >= 0 ? virtualId(ctx, result) : result);
}

/** Real process group of a tracee, from /proc (the kernel's own view; groups change with setpgid and setsid). */
export function realGroupOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so count from the last ')'.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/**
 * The caller's host's live processes in real process group `group` (or all
 * of them but the caller for kill(-1)): the members a group signal reaches.
 */
export function groupMembers(ctx: SyscallContext, group: number | 'all'): Process[] {
  return [...ctx.services.tracees.processes.values()].filter(
    (process) => process.alive && process.host === ctx.process.host && (group === 'all' ? process !== ctx.process : realGroupOf(process.pid) === group),
  );
}

/**
 * The kernel runs the call with the pids at `positions` as it must get them
 * (kernelPid); a pid it must not see fails the call with its errno.
 */
export function withRealPids(ctx: SyscallContext, positions: readonly number[], afterExit?: ExitHook): Outcome {
  const args = [...ctx.args];
  for (const position of positions) {
    const real = kernelPid(ctx, asInt(args[position]!));
    if (isRefused(real)) return fail(real.errno);
    args[position] = real;
  }
  return instead(ctx.sysno, args, afterExit);
}
