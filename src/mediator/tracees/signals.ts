import { ptrace } from '../native.js';
import { deliverableSignal, signalMask, type DeliverableSignal } from './pending-signals.js';
import type { Process, Thread } from './tracees.js';
import type { VirtualPids } from './virtual-pids.js';

/** Signals as handlers deal with them: which one a thread would take now, and those simterpose sends. */
export interface Signals {
  /** The signal the kernel would deliver now to `thread`, held at a syscall, under `mask` (default: its own mask). */
  deliverable(thread: Thread, mask?: bigint): DeliverableSignal | undefined;
  /** The signal mask of a thread held at a syscall. */
  mask(thread: Thread): bigint;
  /** Sends `signal` to one thread (SIGPIPE of a failed send). */
  toThread(thread: Thread, signal: number): void;
  /**
   * Sends `signal` to a process: from the tracee `senderVpid` (a group
   * kill simterpose delivers member by member), or, without one, on the
   * kernel's behalf (a virtual timer's SIGALRM).
   */
  toProcess(process: Process, signal: number, senderVpid?: number): void;
  /** Queues `signal` with the siginfo `info` to a process, or to one of its threads (a POSIX timer's expiry). */
  queue(process: Process, thread: Thread | undefined, signal: number, info: Buffer): void;
  /** Threads blocked in emulated waits may have a signal to take now: the loop looks once the running thread stops. */
  mayBePending(): void;
}

/** The tracees' signals, through the addon; `mayBePending` tells the loop. */
export function traceeSignals(pids: VirtualPids, mayBePending: () => void): Signals {
  return {
    deliverable: deliverableSignal,
    mask: signalMask,
    toThread(thread, signal) {
      ptrace.signalThread(thread.process.pid, thread.tid, signal);
      mayBePending();
    },
    toProcess(process, signal, senderVpid) {
      if (senderVpid !== undefined) pids.noteSender(process.pid, signal, senderVpid);
      ptrace.signalProcess(process.pid, signal);
      mayBePending();
    },
    queue(process, thread, signal, info) {
      ptrace.queueSignal(process.pid, thread?.tid, signal, info);
      mayBePending();
    },
    mayBePending,
  };
}
