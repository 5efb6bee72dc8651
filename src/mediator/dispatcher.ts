import type { Services, SyscallContext } from './context.js';
import { ptrace } from './native.js';
import type { Outcome } from './outcome.js';
import type { StraceSink } from './strace.js';
import { SYSCALLS, syscallName } from './syscall-table.js';
import type { Thread } from './tracees.js';
import { UnsupportedSyscallError } from './unsupported.js';

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
        const strace = this.strace;
        if (strace === undefined) {
          thread.afterExit = outcome.afterExit;
          ptrace.resume(thread.tid, 0, outcome.afterExit !== undefined);
          return;
        }
        // Calls that never return (exit) are logged as they start.
        if (strace.entering(thread)) {
          strace.finished(thread, undefined);
          thread.afterExit = outcome.afterExit;
          ptrace.resume(thread.tid, 0, outcome.afterExit !== undefined);
          return;
        }
        const hook = outcome.afterExit;
        thread.afterExit = (t, result) => {
          const replaced = hook?.(t, result);
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

  /** Makes the thread's syscall run again once a signal handler has returned (SA_RESTART). */
  restart(thread: Thread): void {
    ptrace.restartSyscall(thread.tid);
    ptrace.resume(thread.tid, 0, false);
  }
}
