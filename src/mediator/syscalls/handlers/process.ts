import { Errno } from '../../abi/errno.js';
import {
  CLONE_CHILD_CLEARTID,
  CLONE_CHILD_SETTID,
  CLONE_PARENT_SETTID,
  CLONE_VFORK,
  CLONE_VM,
  P_ALL,
  P_PGID,
  P_PID,
  WNOHANG,
  WNOWAIT,
  readCloneArgs,
} from '../../abi/process.js';
import { SIGCHLD, readSiginfoPid, writeSiginfoPid } from '../../abi/signal.js';
import { asInt } from '../../abi/tracee-memory.js';
import type { Process } from '../../tracees/tracees.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, fail, instead, native, type Outcome } from '../outcome.js';
import { virtualId, virtualResult } from '../pid-arguments.js';

/** Process lifecycle: clone family (flags recorded for the event that follows), wait4, waitid. */

/**
 * The clone family runs in the kernel; what it reports in real ids is
 * rewritten to virtual ones: the result in the parent here, and the tid
 * words of CLONE_PARENT_SETTID and CLONE_CHILD_SETTID when the new thread
 * is attached (lifecycle), before anyone reads them.
 */
function recordClone(ctx: SyscallContext, flags: number, parentTid: number, childTid: number): Outcome {
  ctx.thread.pendingClone = {
    flags,
    clearChildTid: (flags & CLONE_CHILD_CLEARTID) !== 0 ? childTid : 0,
    parentSetTid: (flags & CLONE_PARENT_SETTID) !== 0 ? parentTid : 0,
    childSetTid: (flags & CLONE_CHILD_SETTID) !== 0 ? childTid : 0,
  };
  return native(virtualResult(ctx));
}

function clone(ctx: SyscallContext): Outcome {
  // x86_64: clone(flags, stack, parent_tid, child_tid, tls).
  const [flags, , parentTid, childTid] = ctx.args;
  return recordClone(ctx, flags!, parentTid!, childTid!);
}

function clone3(ctx: SyscallContext): Outcome {
  const { flags, parentTid, childTid } = readCloneArgs(ctx.memory, ctx.args[0]!);
  return recordClone(ctx, flags, parentTid, childTid);
}

const fork = (ctx: SyscallContext): Outcome => recordClone(ctx, SIGCHLD, 0, 0);
const vfork = (ctx: SyscallContext): Outcome => recordClone(ctx, CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0);

/** glibc keeps the result as the thread's own tid (pthread_self()->tid): it must be the virtual one. */
function setTidAddress({ thread, args }: SyscallContext): Outcome {
  thread.clearChildTid = args[0]!;
  return native(() => thread.vtid);
}

/** Trapped only so that the mediator knows an exec is under way: in a multi-threaded process it kills the other threads (see Lifecycle). */
const exec = (): Outcome => NATIVE;

function exitGroup({ process }: SyscallContext): Outcome {
  process.groupExiting = true;
  return NATIVE;
}

/** Children of `parent` that a wait for `selector` may collect (-1 or 0 or -pgid: any, approximated by any); a pid selector is virtual. */
function matching(set: ReadonlySet<Process>, selector: number): Process[] {
  return [...set].filter((child) => selector <= 0 || child.vpid === selector);
}

/** A virtual pid or group selector of wait4/waitid made real for the kernel; undefined when it names no tracee. */
function realSelector(ctx: SyscallContext, selector: number): number | undefined {
  if (selector === 0 || selector === -1) return selector;
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, Math.abs(selector));
  return real === undefined ? undefined : Math.sign(selector) * real;
}

/** What a reaping wait returned, as the caller sees it: its result, and the virtual pid it collected (0: none). */
type Reaped = (result: number) => { result: number; reaped: number };

/**
 * A wait that would block is emulated; one that will not (a zombie is there,
 * WNOHANG, or no child at all) runs in the kernel, which reaps for real, with
 * the selector made real and the reaped pid (wait4's result, waitid's
 * si_pid) made virtual.
 */
function waitForChild(ctx: SyscallContext, selector: number, options: number, reaps: boolean, kernelArgs: readonly number[], translate: Reaped): Outcome {
  const { process } = ctx;
  const zombies = matching(process.zombies, selector);
  if (zombies.length > 0) {
    return instead(ctx.sysno, kernelArgs, (kernelResult) => {
      const { result, reaped } = translate(kernelResult);
      if (reaps && reaped > 0) {
        for (const zombie of process.zombies) if (zombie.vpid === reaped) process.zombies.delete(zombie);
      }
      return result;
    });
  }
  if ((options & WNOHANG) !== 0 || matching(process.children, selector).length === 0) return instead(ctx.sysno, kernelArgs);
  return blocked({ kind: 'child', parent: process.pid, reason: `a child of ${process.command}[${process.vpid}] to exit`, onSignal: 'restartable' });
}

function wait4(ctx: SyscallContext): Outcome {
  const selector = asInt(ctx.args[0]!);
  const real = realSelector(ctx, selector);
  if (real === undefined) return fail(Errno.ECHILD);
  return waitForChild(ctx, selector, asInt(ctx.args[2]!), true, [real, ...ctx.args.slice(1)], (result) => {
    const pid = result > 0 ? virtualId(ctx, result) : result;
    return { result: pid, reaped: Math.max(pid, 0) };
  });
}

function waitid(ctx: SyscallContext): Outcome {
  const [idtype, id, infop, optionsArg] = ctx.args as [number, number, number, number];
  const options = asInt(optionsArg);
  let selector = -1;
  let realId = id;
  if (idtype === P_PID || idtype === P_PGID) {
    if (idtype === P_PID) selector = asInt(id);
    if (asInt(id) !== 0) {
      const real = ctx.services.tracees.pids.toReal(ctx.process.host, asInt(id));
      if (real === undefined) return fail(Errno.ECHILD);
      realId = real;
    }
  } else if (idtype !== P_ALL) {
    return fail(Errno.EINVAL);
  }
  return waitForChild(ctx, selector, options, (options & WNOWAIT) === 0, [idtype, realId, ...ctx.args.slice(2)], (result) => {
    if (result !== 0 || infop === 0) return { result, reaped: 0 };
    const real = readSiginfoPid(ctx.memory, infop);
    if (real <= 0) return { result, reaped: 0 };
    const virtual = virtualId(ctx, real);
    writeSiginfoPid(ctx.memory, infop, virtual);
    return { result, reaped: virtual };
  });
}

export const processSyscalls: FamilyTable = {
  clone: {
    level: 'mediated',
    handler: clone,
    note: 'runs in the kernel; the new thread or process is attached and scheduled, and gets the next virtual id of its host',
  },
  clone3: {
    level: 'mediated',
    handler: clone3,
    note: 'runs in the kernel; the new thread or process is attached and scheduled, and gets the next virtual id of its host',
  },
  fork: { level: 'mediated', handler: fork, note: 'runs in the kernel; the child is attached and scheduled' },
  vfork: { level: 'mediated', handler: vfork, note: 'the parent is held until the child execs or exits' },
  set_tid_address: { level: 'mediated', handler: setTidAddress, note: 'recorded so thread exits wake emulated futex waiters; returns the virtual tid' },
  exit_group: { level: 'mediated', handler: exitGroup, note: 'runs in the kernel' },
  wait4: { blocks: true, level: 'mediated', handler: wait4, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  waitid: { blocks: true, level: 'mediated', handler: waitid, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  execve: {
    level: 'mediated',
    handler: exec,
    note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image',
  },
  execveat: {
    level: 'mediated',
    handler: exec,
    note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image',
  },
};
