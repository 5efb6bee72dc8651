import { Errno } from '../../abi/errno.js';
import { MAX_SIGNAL, SIGINFO_SIZE, SIGKILL, SIGSTOP, readSigaction, readSigset } from '../../abi/signal.js';
import { timerSignalTaken } from '../../host/posix-timers.js';
import { readFileSync } from 'node:fs';
import { asInt } from '../../abi/tracee-memory.js';
import { readTimespec, timespecSeconds, validTimespec } from '../../abi/time.js';
import type { Process } from '../../tracees/tracees.js';
import { virtualizeSender } from '../../tracees/signal-senders.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, instead, native, type Outcome } from '../outcome.js';
import { groupMembers, isRefused, kernelPid, kernelTid, realGroupOf, type Refused } from '../pid-arguments.js';
import { syscallNumbers } from '../../abi/syscall-numbers.js';

const [TGKILL, RT_TGSIGQUEUEINFO] = syscallNumbers('tgkill', 'rt_tgsigqueueinfo');

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

/**
 * The kernel sends it, to the real ids behind the virtual ones (see
 * pid-arguments.ts for what a tracee can name); blocked receivers are
 * examined once the sender stops again.
 */
function sendSignal(processPositions: readonly number[], threadPosition?: number) {
  return (ctx: SyscallContext): Outcome => {
    const args = [...ctx.args];
    // tkill and tgkill refuse an id below 1 (EINVAL) before looking anyone up: the kernel answers that itself.
    if (threadPosition !== undefined && [...processPositions, threadPosition].some((position) => asInt(args[position]!) <= 0)) return instead(ctx.sysno, args);
    const named: Array<[number, number | Refused]> = processPositions.map((position) => [position, kernelPid(ctx, asInt(args[position]!))]);
    if (threadPosition !== undefined) named.push([threadPosition, kernelTid(ctx, asInt(args[threadPosition]!))]);
    for (const [position, real] of named) {
      if (isRefused(real)) return refusedSend(ctx, real);
      args[position] = real;
    }
    if (asInt(args[signalPosition(ctx.sysno)]!) === SIGKILL) {
      const [position, real] = named[0]!;
      const receiver =
        position === threadPosition ? ctx.services.tracees.threads.get(real as number)?.process : ctx.services.tracees.processes.get(real as number);
      if (receiver) receiver.killedByTracee = true;
    }
    return instead(ctx.sysno, args, () => ctx.services.signals.mayBePending());
  };
}

/** Where the signal number is: after the pid and tid of tgkill and rt_tgsigqueueinfo, after the one id of the others. */
function signalPosition(sysno: number): number {
  return sysno === TGKILL || sysno === RT_TGSIGQUEUEINFO ? 2 : 1;
}

/** Linux checks the signal number before the permission to send it: an invalid one is EINVAL even towards a process out of reach. */
function refusedSend(ctx: SyscallContext, refused: Refused): Outcome {
  const signal = asInt(ctx.args[signalPosition(ctx.sysno)]!);
  if (refused.errno === Errno.EPERM && (signal < 0 || signal > MAX_SIGNAL)) return fail(Errno.EINVAL);
  return fail(refused.errno);
}

/** pidfd_send_signal: the pidfd can only be a tracee's of the caller's host (pidfd_open and /proc are mediated); the receivers may wake. */
function pidfdSendSignal(ctx: SyscallContext): Outcome {
  if (asInt(ctx.args[1]!) === SIGKILL) {
    const receiver = ctx.services.tracees.processes.get(pidfdTarget(ctx.thread.tid, asInt(ctx.args[0]!)) ?? 0);
    if (receiver) receiver.killedByTracee = true;
  }
  return native(() => ctx.services.signals.mayBePending());
}

/** The real pid a tracee's pidfd refers to, as its fdinfo tells; undefined for anything else. */
function pidfdTarget(tid: number, fd: number): number | undefined {
  try {
    const pid = /^Pid:\s*(\d+)$/m.exec(readFileSync(`/proc/${tid}/fdinfo/${fd}`, 'utf8'))?.[1];
    return pid === undefined ? undefined : Number(pid);
  } catch {
    return undefined;
  }
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
  let members: Process[];
  if (target === -1) {
    members = groupMembers(ctx, 'all');
  } else {
    const group = target === 0 ? realGroupOf(ctx.process.pid) : ctx.services.tracees.pids.toReal(ctx.process.host, -target);
    if (group === undefined) return fail(Errno.ESRCH);
    members = groupMembers(ctx, group);
  }
  // Linux checks the signal against each process it finds: a group with none is ESRCH whatever the signal.
  if (members.length === 0) return fail(Errno.ESRCH);
  if (signal < 0 || signal > MAX_SIGNAL) return fail(Errno.EINVAL);
  for (const member of members) {
    if (signal === SIGKILL) member.killedByTracee = true;
    if (signal !== 0) ctx.services.signals.toProcess(member, signal, ctx.process.vpid);
  }
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

/** Every signal's bit: a mask that blocks all of them. */
const ALL_SIGNALS = (1n << BigInt(MAX_SIGNAL)) - 1n;

/**
 * rt_sigtimedwait (sigwaitinfo, sigtimedwait). With a signal of the set
 * pending, the kernel returns it at once: let it; likewise when another
 * signal would interrupt the call, or the timeout is zero. Otherwise wait in
 * virtual time for one of them, or the timeout (EAGAIN).
 */
function rtSigtimedwait(ctx: SyscallContext): Outcome {
  const [setAddress, infoAddress, timeoutAddress] = ctx.args as [number, number, number];
  const { thread, services, memory } = ctx;
  // A POSIX timer's signal taken here is delivered as far as the timer is concerned (its overruns, its next expiry).
  const run = native((signal) => {
    if (signal <= 0) return;
    const info = infoAddress === 0 ? undefined : memory.read(infoAddress, SIGINFO_SIZE);
    timerSignalTaken(ctx.process, signal, info, services);
    if (info === undefined) return;
    // Taken without a delivery, the signal's siginfo names its sender as the kernel knows it.
    virtualizeSender(services.tracees.pids, ctx.process, signal, info);
    memory.write(infoAddress, info);
  });
  const set = readSigset(memory, setAddress);
  if (set === undefined) return NATIVE;
  const timeout = timeoutAddress === 0 ? undefined : readTimespec(memory, timeoutAddress);
  if (timeout !== undefined && (!validTimespec(timeout) || timespecSeconds(timeout) === 0)) return run;
  // During the call the set is taken, not delivered: only the others interrupt it.
  const mask = services.signals.mask(thread) & ~set;
  if (services.signals.deliverable(thread, mask) !== undefined) return run;
  const setPending = (): boolean => services.signals.deliverable(thread, ALL_SIGNALS & ~set) !== undefined;
  return blocked({
    kind: 'signal',
    reason: `a signal (sigtimedwait) in ${thread.label}`,
    mask,
    onSignal: 'eintr',
    onInterrupt: () => (setPending() ? run : undefined),
    deadline: timeout === undefined ? undefined : services.time.after(timespecSeconds(timeout), ctx.process.host),
    onTimeout: () => fail(Errno.EAGAIN),
  });
}

const SENT = 'sent by the kernel to the real ids behind the virtual ones; emulated waits of the target end as Linux would';

export const signalSyscalls: FamilyTable = {
  rt_sigaction: {
    level: 'mediated',
    handler: rtSigaction,
    // A query (no new action: python3 asks about every signal as it starts) changes nothing to record.
    stopsOnlyWhen: { argument: 1 },
    note: 'recorded: handlers and SA_RESTART decide how waits end; a query (no new action) runs natively, without a stop',
  },
  kill: {
    level: 'mediated',
    handler: kill,
    note: 'to a virtual pid: sent by the kernel to the real one; to a group or everyone: sent by simterpose to the tracees of the host',
  },
  tkill: { level: 'mediated', handler: sendSignal([], 0), note: SENT },
  tgkill: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  rt_sigqueueinfo: { level: 'mediated', handler: sendSignal([0]), note: SENT },
  rt_tgsigqueueinfo: { level: 'mediated', handler: sendSignal([0], 1), note: SENT },
  pidfd_send_signal: {
    level: 'mediated',
    handler: pidfdSendSignal,
    note: "runs in the kernel (the pidfd names a tracee of the caller's host); emulated waits of the target end as Linux would",
  },
  pause: { blocks: true, level: 'emulated', handler: pause, note: 'waits in virtual time until a signal' },
  rt_sigsuspend: { blocks: true, level: 'emulated', handler: rtSigsuspend, note: 'waits in virtual time until a signal' },
  rt_sigtimedwait: {
    blocks: true,
    level: 'emulated',
    handler: rtSigtimedwait,
    note: 'waits in virtual time until a signal of the set (or another) is pending, or the timeout',
  },
};
