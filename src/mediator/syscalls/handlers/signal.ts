import { Errno } from '../../abi/errno.js';
import { MAX_SIGNAL, SIGKILL, SIGSTOP, readSigaction, readSigset } from '../../abi/signal.js';
import { asInt } from '../../abi/tracee-memory.js';
import type { Process } from '../../tracees/tracees.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, instead, type Outcome } from '../outcome.js';
import { groupMembers, realGroupOf, realProcessId, realThreadId } from '../pid-arguments.js';

/** Signals: dispositions are recorded, sending is native, and waiting for one is emulated. */

function rtSigaction(ctx: SyscallContext): Outcome {
  const signal = asInt(ctx.args[0]!);
  const action = ctx.args[1]!;
  if (action !== 0 && signal > 0 && signal <= MAX_SIGNAL && signal !== SIGKILL && signal !== SIGSTOP) {
    const { handler, flags } = readSigaction(ctx.memory, action);
    ctx.process.signalActions.set(signal, handler, flags);
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
    return instead(ctx.sysno, args, () => ctx.services.signals.mayBePending());
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
  if (signal < 0 || signal > MAX_SIGNAL) return fail(Errno.EINVAL);
  let members: Process[];
  if (target === -1) {
    members = groupMembers(ctx, 'all');
  } else {
    const group = target === 0 ? realGroupOf(ctx.process.pid) : ctx.services.tracees.pids.toReal(ctx.process.host, -target);
    if (group === undefined) return fail(Errno.ESRCH);
    members = groupMembers(ctx, group);
  }
  if (members.length === 0) return fail(Errno.ESRCH);
  if (signal !== 0) for (const member of members) ctx.services.signals.toProcess(member, signal, ctx.process.vpid);
  return done(0);
}

/**
 * With a signal already deliverable the kernel returns at once (after the
 * handler ran, under the call's own mask): let it. Otherwise wait for one.
 */
function pause({ thread, services }: SyscallContext): Outcome {
  if (services.signals.deliverable(thread) !== undefined) return NATIVE;
  return blocked({ kind: 'signal', reason: `a signal (pause) in ${thread.label}`, onSignal: 'eintr' });
}

function rtSigsuspend(ctx: SyscallContext): Outcome {
  const mask = readSigset(ctx.memory, ctx.args[0]!) ?? 0n;
  if (ctx.services.signals.deliverable(ctx.thread, mask) !== undefined) return NATIVE;
  return blocked({ kind: 'signal', reason: `a signal (sigsuspend) in ${ctx.thread.label}`, onSignal: 'eintr', mask });
}

const SENT = 'sent by the kernel to the real ids behind the virtual ones; emulated waits of the target end as Linux would';

export const signalSyscalls: FamilyTable = {
  rt_sigaction: { level: 'mediated', handler: rtSigaction, note: 'recorded: handlers and SA_RESTART decide how waits end' },
  kill: {
    level: 'mediated',
    handler: kill,
    note: 'to a virtual pid: sent by the kernel to the real one; to a group or everyone: sent by simterpose to the tracees of the host',
  },
  tkill: { level: 'mediated', handler: sendSignal([], 0), note: SENT },
  tgkill: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  rt_sigqueueinfo: { level: 'mediated', handler: sendSignal([0]), note: SENT },
  rt_tgsigqueueinfo: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  pause: { blocks: true, level: 'emulated', handler: pause, note: 'waits in virtual time until a signal' },
  rt_sigsuspend: { blocks: true, level: 'emulated', handler: rtSigsuspend, note: 'waits in virtual time until a signal' },
  rt_sigtimedwait: { level: 'unsupported', note: 'would block inside the kernel' },
};
