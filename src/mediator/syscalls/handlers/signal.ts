import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { asInt, memory } from '../../tracees/memory.js';
import { ptrace } from '../../native.js';
import { NATIVE, blocked, done, fail, nativeWith, type Outcome } from '../outcome.js';
import { deliverableSignal } from '../../tracees/pending-signals.js';
import { groupMembers, realGroupOf, realProcessId, realThreadId } from '../pid-arguments.js';

/** Signals: dispositions are recorded, sending is native, and waiting for one is emulated. */

const SIGKILL = 9;
const SIGSTOP = 19;

function rtSigaction({ process, args }: SyscallContext): Outcome {
  const signal = asInt(args[0]!);
  const action = args[1]!;
  if (action !== 0 && signal > 0 && signal <= 64 && signal !== SIGKILL && signal !== SIGSTOP) {
    const struct = memory.read(process.pid, action, 16);
    process.signalActions.set(signal, Number(struct.readBigUInt64LE(0)), Number(struct.readBigUInt64LE(8)));
  }
  return NATIVE;
}

/** The kernel sends it, to the real ids behind the virtual ones; blocked receivers are examined once the sender stops again. */
function sendSignal(processPositions: readonly number[], threadPosition?: number) {
  return (ctx: SyscallContext): Outcome => {
    const args = [...ctx.args];
    for (const position of processPositions) {
      const real = realProcessId(ctx, asInt(args[position]!));
      if (real === undefined || real === 0) return fail(Errno.ESRCH);
      args[position] = real;
    }
    if (threadPosition !== undefined) {
      const real = realThreadId(ctx, asInt(args[threadPosition]!));
      if (real === undefined) return fail(Errno.ESRCH);
      args[threadPosition] = real;
    }
    return nativeWith(args, () => ctx.services.signalsMayBePending());
  };
}

/**
 * kill: a pid is sent to by the kernel. A group (0, -pgid) or everyone (-1)
 * is sent to by simterpose, member by member, so that only tracees of the
 * caller's host get it: never simterpose itself, whose group the first
 * programs share.
 */
function kill(ctx: SyscallContext): Outcome {
  const target = asInt(ctx.args[0]!);
  if (target > 0) return sendSignal([0])(ctx);
  const signal = asInt(ctx.args[1]!);
  if (signal < 0 || signal > 64) return fail(Errno.EINVAL);
  let members;
  if (target === -1) {
    members = groupMembers(ctx, 'all');
  } else {
    const group = target === 0 ? realGroupOf(ctx.process.pid) : ctx.services.tracees.pids.toReal(ctx.process.host, -target);
    if (group === undefined) return fail(Errno.ESRCH);
    members = groupMembers(ctx, group);
  }
  if (members.length === 0) return fail(Errno.ESRCH);
  if (signal !== 0) {
    for (const member of members) {
      ctx.services.tracees.pids.noteSender(member.pid, signal, ctx.process.vpid);
      ptrace.signalProcess(member.pid, signal);
    }
    ctx.services.signalsMayBePending();
  }
  return done(0);
}

/**
 * With a signal already deliverable the kernel returns at once (after the
 * handler ran, under the call's own mask): let it. Otherwise wait for one.
 */
function pause({ thread }: SyscallContext): Outcome {
  if (deliverableSignal(thread) !== undefined) return NATIVE;
  return blocked({ kind: 'signal', reason: `a signal (pause) in ${thread.label}`, onSignal: 'eintr' });
}

function rtSigsuspend({ process, thread, args }: SyscallContext): Outcome {
  const mask = memory.signalMask(process.pid, args[0]!) ?? 0n;
  if (deliverableSignal(thread, mask) !== undefined) return NATIVE;
  return blocked({ kind: 'signal', reason: `a signal (sigsuspend) in ${thread.label}`, onSignal: 'eintr', mask });
}

const SENT = 'sent by the kernel to the real ids behind the virtual ones; emulated waits of the target end as Linux would';

export const signalSyscalls: FamilyTable = {
  rt_sigaction: { level: 'mediated', handler: rtSigaction, note: 'recorded: handlers and SA_RESTART decide how waits end' },
  kill: { level: 'mediated', handler: kill, note: 'to a virtual pid: sent by the kernel to the real one; to a group or everyone: sent by simterpose to the tracees of the host' },
  tkill: { level: 'mediated', handler: sendSignal([], 0), note: SENT },
  tgkill: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  rt_sigqueueinfo: { level: 'mediated', handler: sendSignal([0]), note: SENT },
  rt_tgsigqueueinfo: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  pause: { level: 'emulated', handler: pause, note: 'waits in virtual time until a signal' },
  rt_sigsuspend: { level: 'emulated', handler: rtSigsuspend, note: 'waits in virtual time until a signal' },
  rt_sigtimedwait: { level: 'unsupported', note: 'would block inside the kernel' },
};
