import { logger } from '../../log.js';
import { Errno } from '../abi/errno.js';
import type { Dispatcher } from '../syscalls/dispatcher.js';
import type { Outcome } from '../syscalls/outcome.js';
import { deliverableSignal } from '../tracees/pending-signals.js';
import type { Process } from '../tracees/tracees.js';
import type { Scheduler } from './scheduler.js';

const log = logger('interruptions');

const eintr = (): Outcome => ({ kind: 'errno', errno: Errno.EINTR });

/**
 * Blocked threads sit at a syscall stop, where the kernel cannot deliver
 * their signals. When one is pending, end the wait as Linux would: the
 * syscall fails with EINTR, or restarts after the handler (SA_RESTART),
 * unless it already did part of its work (a send that moved some bytes
 * returns their count).
 */
export function interruptSignalledWaits(scheduler: Scheduler, dispatcher: Dispatcher): void {
  // A vfork parent is not at a syscall stop, and a computing thread has not started its syscall yet.
  const candidates = [...scheduler.blocked].filter((t) => t.wait?.kind !== 'vfork' && t.wait?.kind !== 'compute').sort((a, b) => a.serial - b.serial);
  const interruptedProcesses = new Set<Process>();
  for (const thread of candidates) {
    const wait = thread.wait!;
    if (interruptedProcesses.has(thread.process)) continue;
    const pending = deliverableSignal(thread, wait.mask);
    if (pending === undefined) continue;
    const { signal, blockedNow } = pending;
    interruptedProcesses.add(thread.process);
    const actions = thread.process.signalActions;
    log.debug({ thread: thread.label, signal }, 'wait interrupted by a signal');
    if (!actions.handles(signal) || blockedNow) {
      // Default action (end or stop the process), or a signal only the call's own mask lets through
      // (sigsuspend, ppoll...): run the call again, and the kernel delivers it under that mask.
      scheduler.restart(thread);
      continue;
    }
    const instead = wait.onInterrupt === undefined ? undefined : dispatcher.decide(wait.onInterrupt);
    if (instead !== undefined) scheduler.wake(thread, () => instead);
    else if (wait.onSignal === 'restartable' && actions.restarts(signal)) scheduler.restart(thread);
    else scheduler.wake(thread, eintr);
  }
}
