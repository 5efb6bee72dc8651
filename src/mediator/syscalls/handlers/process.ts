import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { asInt } from '../../tracees/memory.js';
import { memory } from '../../tracees/memory.js';
import { NATIVE, blocked, fail, native, nativeWith, type Outcome } from '../outcome.js';
import { virtualId, virtualResult } from '../pid-arguments.js';
import type { Process } from '../../tracees/tracees.js';

/** Process lifecycle: clone family (flags recorded for the event that follows), wait4, waitid. */

const CLONE_VM = 0x100;
const CLONE_VFORK = 0x4000;
const CLONE_PARENT_SETTID = 0x100000;
const CLONE_CHILD_CLEARTID = 0x200000;
const CLONE_CHILD_SETTID = 0x1000000;
const SIGCHLD = 17;

const WNOHANG = 1;
const WNOWAIT = 0x01000000;
const P_ALL = 0;
const P_PID = 1;
const P_PGID = 2;

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
  // struct clone_args: flags @0, pidfd @8, child_tid @16, parent_tid @24, ...
  const cloneArgs = memory.read(ctx.process.pid, ctx.args[0]!, 32);
  return recordClone(ctx, Number(cloneArgs.readBigUInt64LE(0)), Number(cloneArgs.readBigUInt64LE(24)), Number(cloneArgs.readBigUInt64LE(16)));
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
    return nativeWith(kernelArgs, (_thread, kernelResult) => {
      const { result, reaped } = translate(kernelResult);
      if (reaps && reaped > 0) {
        for (const zombie of process.zombies) if (zombie.vpid === reaped) process.zombies.delete(zombie);
      }
      return result;
    });
  }
  if ((options & WNOHANG) !== 0 || matching(process.children, selector).length === 0) return nativeWith(kernelArgs);
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

/** siginfo_t: si_signo, si_errno, si_code (ints), padding, then si_pid. */
const SI_PID_OFFSET = 16;

function waitid(ctx: SyscallContext): Outcome {
  const [idtype, id, infop, optionsArg] = ctx.args;
  const options = asInt(optionsArg!);
  let selector = -1;
  let realId = id!;
  if (idtype === P_PID || idtype === P_PGID) {
    if (idtype === P_PID) selector = asInt(id!);
    if (asInt(id!) !== 0) {
      const real = ctx.services.tracees.pids.toReal(ctx.process.host, asInt(id!));
      if (real === undefined) return fail(Errno.ECHILD);
      realId = real;
    }
  } else if (idtype !== P_ALL) {
    return fail(Errno.EINVAL);
  }
  const pid = ctx.process.pid;
  return waitForChild(ctx, selector, options, (options & WNOWAIT) === 0, [idtype!, realId, ...ctx.args.slice(2)], (result) => {
    if (result !== 0 || infop === 0) return { result, reaped: 0 };
    const real = memory.i32(pid, infop! + SI_PID_OFFSET);
    if (real <= 0) return { result, reaped: 0 };
    const virtual = virtualId(ctx, real);
    memory.writeI32(pid, infop! + SI_PID_OFFSET, virtual);
    return { result, reaped: virtual };
  });
}

export const processSyscalls: FamilyTable = {
  clone: { level: 'mediated', handler: clone, note: 'runs in the kernel; the new thread or process is attached and scheduled, and gets the next virtual id of its host' },
  clone3: { level: 'mediated', handler: clone3, note: 'runs in the kernel; the new thread or process is attached and scheduled, and gets the next virtual id of its host' },
  fork: { level: 'mediated', handler: fork, note: 'runs in the kernel; the child is attached and scheduled' },
  vfork: { level: 'mediated', handler: vfork, note: 'the parent is held until the child execs or exits' },
  set_tid_address: { level: 'mediated', handler: setTidAddress, note: 'recorded so thread exits wake emulated futex waiters; returns the virtual tid' },
  exit_group: { level: 'mediated', handler: exitGroup, note: 'runs in the kernel' },
  wait4: { level: 'mediated', handler: wait4, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  waitid: { level: 'mediated', handler: waitid, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  execve: { level: 'mediated', handler: exec, note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image' },
  execveat: { level: 'mediated', handler: exec, note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image' },
};
