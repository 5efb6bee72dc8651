import { readFileSync } from 'node:fs';
import type { SyscallContext } from './context.js';
import { Errno } from '../abi/errno.js';
import { asInt } from '../abi/tracee-memory.js';
import { fail, instead, type ExitHook, type Outcome } from './outcome.js';
import type { Process } from '../tracees/tracees.js';

/**
 * Pids crossing the boundary: a program names processes, threads and groups
 * by their virtual ids, in its host's namespace (see tracees/virtual-pids.ts); the
 * kernel needs the real ones. Only tracees of the caller's host can be named:
 * a stale or foreign id is ESRCH, so no program ever reaches a process
 * simterpose did not start.
 */

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

/** The real tid of the caller's host's live thread `virtual`. */
export function realThreadId(ctx: SyscallContext, virtual: number): number | undefined {
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, virtual);
  return real !== undefined && ctx.services.tracees.threads.has(real) ? real : undefined;
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
 * The kernel runs the call with the virtual pids at `positions` made real
 * (0, the caller, stays 0); an id that names no tracee of the host is ESRCH.
 */
export function withRealPids(ctx: SyscallContext, positions: readonly number[], afterExit?: ExitHook): Outcome {
  const args = [...ctx.args];
  for (const position of positions) {
    const real = realProcessId(ctx, asInt(args[position]!));
    if (real === undefined) return fail(Errno.ESRCH);
    args[position] = real;
  }
  return instead(ctx.sysno, args, afterExit);
}
