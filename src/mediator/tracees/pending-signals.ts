import { readFileSync } from 'node:fs';
import { MAX_SIGNAL, SIGCHLD, SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGWINCH, signalBit } from '../abi/signal.js';
import type { Thread } from './tracees.js';

/**
 * Which signal, if any, the kernel is about to deliver to a thread that sits
 * at a syscall stop: pending (for the thread or its process), not blocked
 * (by its mask, or by the mask its syscall installs), and not ignored;
 * and whether the thread's own mask blocks it outside that syscall.
 */
export function deliverableSignal(thread: Thread, mask?: bigint): DeliverableSignal | undefined {
  const field = signalFields(thread);
  if (field === undefined) return undefined;
  const pending = field('SigPnd') | field('ShdPnd');
  if (pending === 0n) return undefined;
  const current = field('SigBlk');
  const blocked = mask ?? current;
  for (let signal = 1; signal <= MAX_SIGNAL; signal++) {
    const bit = signalBit(signal);
    if ((pending & bit) !== 0n && (blocked & bit) === 0n && !thread.process.signalActions.ignores(signal)) {
      // Blocked by the thread's own mask: only a call installing `mask` can take it.
      return { signal, blockedNow: (current & bit) !== 0n };
    }
  }
  return undefined;
}

/** Whether `signal` is pending for `thread`, or for its whole process (false when it is gone). */
export function isPending(thread: Thread, signal: number): boolean {
  const field = signalFields(thread);
  return field !== undefined && ((field('SigPnd') | field('ShdPnd')) & signalBit(signal)) !== 0n;
}

/** The signal mask of a thread that sits at a syscall stop (0 when it is gone). */
export function signalMask(thread: Thread): bigint {
  return signalFields(thread)?.('SigBlk') ?? 0n;
}

/** Reads the signal fields (SigPnd, ShdPnd, SigBlk) of a thread's /proc status; undefined when it is gone. */
function signalFields(thread: Thread): ((name: string) => bigint) | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${thread.process.pid}/task/${thread.tid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  return (name) => {
    const match = new RegExp(`^${name}:\\s*([0-9a-f]+)$`, 'm').exec(status);
    return match === null ? 0n : BigInt(`0x${match[1]}`);
  };
}

/** The default action of a stopping signal (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU) applies: the process stops. */
export function stopsByDefault(signal: number, actions: { handles(signal: number): boolean; ignores(signal: number): boolean }): boolean {
  return STOPPING.has(signal) && !actions.handles(signal) && !actions.ignores(signal);
}

/** Default action of a signal that is neither handled nor ignored: does it end the process? */
export function killsByDefault(signal: number): boolean {
  return !IGNORED_BY_DEFAULT.has(signal) && !STOPPING.has(signal);
}

/** Signals whose default action is to do nothing: they never interrupt a wait. */
export const IGNORED_BY_DEFAULT: ReadonlySet<number> = new Set([SIGCHLD, SIGCONT, SIGURG, SIGWINCH]);
const STOPPING: ReadonlySet<number> = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);

/** A signal deliverable to a thread at a syscall stop, and whether its own mask blocks it outside that syscall. */
export interface DeliverableSignal {
  signal: number;
  blockedNow: boolean;
}
