import { readFileSync } from 'node:fs';
import { CLD_CONTINUED, CLD_STOPPED, SIGCHLD, SIGCONT, childSiginfo } from '../abi/signal.js';
import type { Signals } from '../tracees/signals.js';
import { isPending } from '../tracees/pending-signals.js';
import type { ChildReport, Process, TraceeTable } from '../tracees/tracees.js';
import type { Scheduler } from './scheduler.js';

/**
 * Job control on virtual time. A stopping signal whose default action applies
 * (SIGSTOP always; SIGTSTP, SIGTTIN, SIGTTOU unless handled or ignored) stops
 * the whole process: the scheduler holds its threads until a SIGCONT. The
 * kernel never sees the stop (the signal is not injected), so simterpose
 * does what the kernel would have done around it: the parent's wait with
 * WUNTRACED or WCONTINUED reports it, and a SIGCHLD (CLD_STOPPED,
 * CLD_CONTINUED) tells the parent unless it asked for SA_NOCLDSTOP.
 * Left out: the orphaned process group rule (SIGTSTP, SIGTTIN and SIGTTOU
 * are discarded in a group with no parent outside it in the session).
 */
export class JobControl {
  constructor(
    private readonly tracees: TraceeTable,
    private readonly scheduler: Scheduler,
    private readonly signals: Signals,
  ) {}

  /** A stopping signal's default action was taken by `process`. */
  stop(process: Process, signal: number): void {
    if (process.jobStop !== undefined) return;
    process.jobStop = signal;
    this.tellParent(process, { kind: 'stopped', signal, uid: ownerUid(process) }, CLD_STOPPED, signal);
  }

  /** A signal was sent: stopped processes that have a SIGCONT pending go on. */
  continueSignalled(): void {
    for (const process of this.tracees.processes.values()) {
      if (process.jobStop === undefined || !process.alive) continue;
      if (![...process.threads.values()].some((thread) => isPending(thread, SIGCONT))) continue;
      process.jobStop = undefined;
      this.scheduler.release(process);
      this.tellParent(process, { kind: 'continued', uid: ownerUid(process) }, CLD_CONTINUED, SIGCONT);
    }
  }

  private tellParent(process: Process, report: ChildReport, code: number, status: number): void {
    process.childReport = report;
    const parent = process.parent;
    if (parent === undefined || !parent.alive) return;
    for (const waiter of [...this.scheduler.blocked]) {
      if (waiter.wait?.kind === 'child' && waiter.wait.parent === parent.pid) this.scheduler.wake(waiter);
    }
    if (parent.signalActions.ignoresChildStops()) return;
    // A standard signal already pending is not queued twice: the parent gets the first notice only, as from the kernel.
    parent.childNotice ??= childSiginfo(code, process.vpid, report.uid, status);
    this.signals.toProcess(parent, SIGCHLD);
  }
}

/** The real uid a process runs as (SIGCHLD's si_uid), from its status; 0 when it is gone. */
function ownerUid(process: Process): number {
  try {
    return Number(/^Uid:\s*(\d+)/m.exec(readFileSync(`/proc/${process.liveTid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}
