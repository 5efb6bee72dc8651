import type { FamilyTable, SyscallContext } from '../context.js';
import { asInt, memory } from '../memory.js';
import { NATIVE, blocked, native, type Outcome } from '../outcome.js';
import { deliverableSignal } from '../signals.js';

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

/** The kernel sends it; blocked receivers are examined once the sender stops again. */
function sendSignal({ services }: SyscallContext): Outcome {
  return native(() => services.signalsMayBePending());
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

export const signalSyscalls: FamilyTable = {
  rt_sigaction: { level: 'mediated', handler: rtSigaction, note: 'recorded: handlers and SA_RESTART decide how waits end' },
  kill: { level: 'mediated', handler: sendSignal, note: 'sent by the kernel; emulated waits of the target end as Linux would' },
  tkill: { level: 'mediated', handler: sendSignal, note: 'sent by the kernel; emulated waits of the target end as Linux would' },
  tgkill: { level: 'mediated', handler: sendSignal, note: 'sent by the kernel; emulated waits of the target end as Linux would' },
  rt_sigqueueinfo: { level: 'mediated', handler: sendSignal, note: 'sent by the kernel' },
  rt_tgsigqueueinfo: { level: 'mediated', handler: sendSignal, note: 'sent by the kernel' },
  pause: { level: 'emulated', handler: pause, note: 'waits in virtual time until a signal' },
  rt_sigsuspend: { level: 'emulated', handler: rtSigsuspend, note: 'waits in virtual time until a signal' },
  rt_sigtimedwait: { level: 'unsupported', note: 'would block inside the kernel' },
};
