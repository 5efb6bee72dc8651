import type { Services, SyscallContext } from './context.js';
import { ptrace } from '../native.js';
import type { ExitHook, Outcome } from './outcome.js';
import type { StraceSink } from '../strace/formatter.js';
import { SYSCALLS, syscallName } from './table.js';
import type { Thread } from '../tracees/tracees.js';
import { UnsupportedSyscallError } from './unsupported.js';

/** The kernel's internal errno for "run the call again after the signal" (include/linux/errno.h). */
const ERESTARTNOINTR = 513;

/**
 * Sends each trapped syscall through the table to its handler, and is the
 * only place that turns an outcome into register writes and a resume.
 */
export class Dispatcher {
  constructor(
    private readonly services: Services,
    private readonly strace: StraceSink | undefined,
  ) {}

  dispatch(thread: Thread): Outcome {
    const { sysno, args } = thread.syscall;
    const entry = SYSCALLS.get(sysno);
    if (entry === undefined || entry.level === 'unsupported') {
      throw new UnsupportedSyscallError(`${syscallName(sysno)} (${sysno})`, thread, entry?.note);
    }
    if (entry.handler === undefined) return { kind: 'native' };
    const context: SyscallContext = { thread, process: thread.process, sysno, args, services: this.services };
    return entry.handler(context);
  }

  /** Writes a decided outcome and lets the thread go on. */
  apply(thread: Thread, outcome: Outcome): void {
    if (thread.notified) {
      this.answer(thread, outcome);
      return;
    }
    switch (outcome.kind) {
      case 'done':
        this.strace?.finished(thread, outcome.value);
        ptrace.skipSyscallAndResume(thread.tid, outcome.value);
        return;
      case 'errno':
        this.strace?.finished(thread, -outcome.errno);
        ptrace.skipSyscallAndResume(thread.tid, -outcome.errno);
        return;
      case 'native': {
        if (outcome.args !== undefined) ptrace.setSyscall(thread.tid, thread.syscall.sysno, [...outcome.args]);
        const settle = outcome.settle;
        const afterExit: ExitHook | undefined = settle === undefined ? outcome.afterExit : () => settle();
        const strace = this.strace;
        if (strace === undefined) {
          thread.afterExit = afterExit;
          ptrace.resume(thread.tid, 0, afterExit !== undefined);
          return;
        }
        // Calls that never return (exit) are logged as they start.
        if (strace.entering(thread)) {
          strace.finished(thread, undefined);
          thread.afterExit = afterExit;
          ptrace.resume(thread.tid, 0, afterExit !== undefined);
          return;
        }
        thread.afterExit = (t, result) => {
          const replaced = afterExit?.(t, result);
          strace.finished(t, typeof replaced === 'number' ? replaced : result);
          return replaced;
        };
        ptrace.resume(thread.tid, 0, true);
        return;
      }
      case 'blocked':
        throw new Error('a blocked outcome reached apply');
    }
  }

  /**
   * The same outcomes for a syscall that came as a user notification: the
   * answer carries the result, or lets the kernel run the call unchanged.
   * (--strace traps every syscall, so no notified call is ever logged.)
   */
  private answer(thread: Thread, outcome: Outcome): void {
    thread.notified = false;
    switch (outcome.kind) {
      case 'done':
        ptrace.answerNotification(thread.tid, outcome.value);
        return;
      case 'errno':
        ptrace.answerNotification(thread.tid, -outcome.errno);
        return;
      case 'native':
        if (outcome.args !== undefined || outcome.afterExit !== undefined) {
          throw new Error(`${syscallName(thread.syscall.sysno)} came as a user notification: it cannot run with other arguments or stop at its exit`);
        }
        thread.settle = outcome.settle;
        ptrace.continueNotification(thread.tid);
        return;
      case 'blocked':
        throw new Error('a blocked outcome reached apply');
    }
  }

  /** Makes the thread's syscall run again once a signal handler has returned (SA_RESTART). */
  restart(thread: Thread): void {
    if (thread.notified) {
      // The kernel restarts a call that fails with ERESTARTNOINTR once its pending signal is handled.
      thread.notified = false;
      ptrace.answerNotification(thread.tid, -ERESTARTNOINTR);
      return;
    }
    ptrace.restartSyscall(thread.tid);
    ptrace.resume(thread.tid, 0, false);
  }
}
