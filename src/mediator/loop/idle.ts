import { RunFailedError } from '../../errors.js';
import { ptrace } from '../native.js';
import { POLLIN } from '../abi/poll.js';
import { signalName } from '../abi/signal.js';
import type { Scheduler } from './scheduler.js';
import type { TraceeTable } from '../tracees/tracees.js';

/** Every tracee waits and nothing can ever wake one: the run cannot go on. */
export class DeadlockError extends RunFailedError {
  constructor(readonly waits: string[]) {
    super('deadlock', `deadlock: every process waits and nothing can wake them:\n${waits.map((w) => `  ${w}`).join('\n')}`);
    this.name = 'DeadlockError';
  }
}

/** How long one wall-time wait for outside input lasts at most before descriptors are probed again. */
const OUTSIDE_INPUT_POLL_MS = 50;

/**
 * Nothing is runnable. In order: descriptors that became ready (pipes written
 * by tracees that have since blocked), then the next virtual event (activity
 * completions, timers) — threads that yielded by spinning run again after
 * it, or at once when nothing else can happen —, then, if
 * only input from outside (a user's pipe or terminal) can help, a wait for
 * it in wall time. With none of these, it is a deadlock. Before waiting
 * in wall time or declaring a deadlock, `collectDeaths` looks for waiting
 * tracees killed from outside (a kill -9 of their real pid): their deaths
 * may be what the others wait for.
 */
export function idleStep(scheduler: Scheduler, tracees: TraceeTable, collectDeaths: () => boolean): void {
  if (scheduler.probeIo() > 0) return;
  if (scheduler.advance()) {
    scheduler.requeueYielded();
    return;
  }
  if (scheduler.requeueYielded()) return;
  // Only kernel descriptors can change from outside; virtual sockets change with tracees and SimGrid.
  if (collectDeaths()) return;
  const watched = scheduler.watchedKernelFds();
  if (watched.length > 0) {
    const reads = watched.filter((w) => (w.events & POLLIN) !== 0);
    // Never for long: a write waits for an outside reader to drain a pipe, which no input event marks, and
    // the loop must get back to Node's event loop, where an interruption or the wall-clock limit stops the run.
    ptrace.waitForTraceeInput(
      reads.map(({ process, fd }) => ({ pid: process.liveTid, fd })),
      OUTSIDE_INPUT_POLL_MS,
    );
    return;
  }
  const waits = [...scheduler.blocked, ...[...scheduler.held].filter((t) => t.state !== 'exited')]
    .sort((a, b) => a.serial - b.serial)
    .map((t) =>
      t.process.jobStop !== undefined
        ? `${t.label} on ${t.process.host} is stopped by ${signalName(t.process.jobStop)} and waits for SIGCONT`
        : `${t.label} on ${t.process.host} waits for ${t.wait?.reason ?? 'nothing'}`,
    );
  if (waits.length === 0) waits.push(`${tracees.liveThreadCount} thread(s) alive but none runnable or blocked`);
  throw new DeadlockError(waits);
}
