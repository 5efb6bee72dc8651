import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../errno.js';
import { asInt } from '../memory.js';
import { memory } from '../memory.js';
import { NATIVE, blocked, fail, native, type Outcome } from '../outcome.js';
import type { Process } from '../tracees.js';

/** Process lifecycle: clone family (flags recorded for the event that follows), wait4, waitid. */

const CLONE_VM = 0x100;
const CLONE_VFORK = 0x4000;
const CLONE_CHILD_CLEARTID = 0x200000;
const SIGCHLD = 17;

const WNOHANG = 1;
const WNOWAIT = 0x01000000;
const P_ALL = 0;
const P_PID = 1;

function clone({ thread, args }: SyscallContext): Outcome {
  const flags = args[0]!;
  thread.pendingClone = { flags, clearChildTid: (flags & CLONE_CHILD_CLEARTID) !== 0 ? args[3]! : 0 };
  return NATIVE;
}

function clone3({ thread, process, args }: SyscallContext): Outcome {
  // struct clone_args: flags @0, pidfd @8, child_tid @16, ...
  const cloneArgs = memory.read(process.pid, args[0]!, 24);
  const flags = Number(cloneArgs.readBigUInt64LE(0));
  const childTid = Number(cloneArgs.readBigUInt64LE(16));
  thread.pendingClone = { flags, clearChildTid: (flags & CLONE_CHILD_CLEARTID) !== 0 ? childTid : 0 };
  return NATIVE;
}

function fork({ thread }: SyscallContext): Outcome {
  thread.pendingClone = { flags: SIGCHLD, clearChildTid: 0 };
  return NATIVE;
}

function vfork({ thread }: SyscallContext): Outcome {
  thread.pendingClone = { flags: CLONE_VM | CLONE_VFORK | SIGCHLD, clearChildTid: 0 };
  return NATIVE;
}

function setTidAddress({ thread, args }: SyscallContext): Outcome {
  thread.clearChildTid = args[0]!;
  return NATIVE;
}

function exitGroup({ process }: SyscallContext): Outcome {
  process.groupExiting = true;
  return NATIVE;
}

/** Children of `parent` that a wait for `selector` may collect (-1 or 0 or -pgid: any, approximated by any). */
function matching(set: ReadonlySet<Process>, selector: number): Process[] {
  return [...set].filter((child) => selector <= 0 || child.pid === selector);
}

/**
 * A wait that would block is emulated; one that will not (a zombie is there,
 * WNOHANG, or no child at all) runs in the kernel, which reaps for real.
 */
function waitForChild(ctx: SyscallContext, selector: number, options: number, reaps: boolean): Outcome {
  const { process } = ctx;
  const zombies = matching(process.zombies, selector);
  if (zombies.length > 0) {
    return native((_thread, result) => {
      if (reaps && result > 0) {
        const reaped = process.zombies.values();
        for (const zombie of reaped) if (zombie.pid === result) process.zombies.delete(zombie);
      }
    });
  }
  if ((options & WNOHANG) !== 0 || matching(process.children, selector).length === 0) return NATIVE;
  return blocked({ kind: 'child', parent: process.pid, reason: `a child of ${process.command}[${process.pid}] to exit`, onSignal: 'restartable' });
}

function wait4(ctx: SyscallContext): Outcome {
  return waitForChild(ctx, asInt(ctx.args[0]!), asInt(ctx.args[2]!), true);
}

function waitid(ctx: SyscallContext): Outcome {
  const [idtype, id, , options] = ctx.args;
  let selector: number;
  if (idtype === P_ALL) selector = -1;
  else if (idtype === P_PID) selector = asInt(id!);
  else if (idtype === 2 /* P_PGID */) selector = -1;
  else return fail(Errno.EINVAL);
  return waitForChild(ctx, selector, asInt(options!), (asInt(options!) & WNOWAIT) === 0);
}

export const processSyscalls: FamilyTable = {
  clone: { level: 'mediated', handler: clone, note: 'runs in the kernel; the new thread or process is attached and scheduled' },
  clone3: { level: 'mediated', handler: clone3, note: 'runs in the kernel; the new thread or process is attached and scheduled' },
  fork: { level: 'mediated', handler: fork, note: 'runs in the kernel; the child is attached and scheduled' },
  vfork: { level: 'mediated', handler: vfork, note: 'the parent is held until the child execs or exits' },
  set_tid_address: { level: 'mediated', handler: setTidAddress, note: 'recorded so thread exits wake emulated futex waiters' },
  exit_group: { level: 'mediated', handler: exitGroup, note: 'runs in the kernel' },
  wait4: { level: 'mediated', handler: wait4, note: 'emulated while it would block; reaping happens in the kernel' },
  waitid: { level: 'mediated', handler: waitid, note: 'emulated while it would block; reaping happens in the kernel' },
  execve: { level: 'native', note: 'the vDSO is disabled in the new image' },
  execveat: { level: 'native', note: 'the vDSO is disabled in the new image' },
};
