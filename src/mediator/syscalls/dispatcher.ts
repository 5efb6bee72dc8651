import { Errno } from '../abi/errno.js';
import { TraceeFault, type TraceeMemory } from '../abi/tracee-memory.js';
import type { Resumption } from '../loop/tracer.js';
import type { StraceSink } from '../strace/formatter.js';
import type { Process, Thread } from '../tracees/tracees.js';
import type { Services, SyscallContext, SyscallState } from './context.js';
import { NATIVE, type ExitHook, type Outcome } from './outcome.js';
import { SYSCALLS, syscallName } from './table.js';
import { UnsupportedSyscallError } from './unsupported.js';

/** The System V ABI lets leaf functions use 128 bytes below rsp: scratch arguments go below that. */
const RED_ZONE = 128;

/** The outcome of a call whose memory access faulted: Linux's EFAULT. */
const EFAULT: Outcome = { kind: 'errno', errno: Errno.EFAULT };
/**
 * A number that is no x86_64 syscall (negative, past the table, an x32
 * one with bit 30 set, which simterpose does not run): Linux's ENOSYS,
 * which programs probe for with syscall(-1).
 */
const ENOSYS: Outcome = { kind: 'errno', errno: Errno.ENOSYS };

/**
 * Sends each trapped syscall through the table to its handler, and is the
 * only place that turns an outcome into what the tracer does with the
 * thread. Every piece of handler code runs here, under one rule: a fault
 * reading or writing the tracee's memory is that call's EFAULT.
 */
export class Dispatcher {
  constructor(
    private readonly services: Services,
    /** The thread's stack pointer at its current stop. */
    private readonly stackPointer: (thread: Thread) => number,
    private readonly strace: StraceSink | undefined,
  ) {}

  /** The handler's decision on the thread's syscall. */
  dispatch(thread: Thread): Outcome {
    const sysno = thread.syscall.sysno;
    const entry = SYSCALLS.get(sysno);
    if (entry === undefined) return ENOSYS;
    if (entry.level === 'unsupported') throw new UnsupportedSyscallError(`${syscallName(sysno)} (${sysno})`, thread, entry.note);
    if (entry.handler === undefined) return NATIVE;
    try {
      return entry.handler(new HandlerContext(thread, this.services, this.stackPointer));
    } catch (error) {
      if (error instanceof TraceeFault) return EFAULT;
      throw error;
    }
  }

  /** Runs a piece of a handler's decision (a timeout's, an interruption's): a memory fault is EFAULT. */
  decide(decision: () => Outcome | undefined): Outcome | undefined {
    try {
      return decision();
    } catch (error) {
      if (error instanceof TraceeFault) return EFAULT;
      throw error;
    }
  }

  /**
   * What the tracer does with a thread whose syscall is decided for good:
   * it returns a value or an errno, or the kernel runs it (perhaps
   * rewritten). The call is over for the handlers: its state is forgotten.
   */
  complete(thread: Thread, outcome: Outcome): Resumption {
    forgetState(thread);
    switch (outcome.kind) {
      case 'done':
        this.strace?.finished(thread, outcome.value);
        return { kind: 'return', value: outcome.value };
      case 'errno':
        this.strace?.finished(thread, -outcome.errno);
        return { kind: 'return', value: -outcome.errno };
      case 'native':
        if (outcome.restore !== undefined && thread.notified) {
          // No exit stop for a notified call: undone at the thread's next stop, before anything else runs.
          thread.restoreAfterCall = outcome.restore;
          return { kind: 'run', toExit: false };
        }
        return this.run(thread, undefined, undefined, outcome.afterExit ?? restoring(outcome.restore));
      case 'instead':
        return this.run(thread, outcome.sysno, outcome.args, outcome.afterExit);
      case 'open-instead': {
        const { path, flags, mode, afterOpen } = outcome;
        const strace = this.strace;
        const opened = (result: number | undefined): void => {
          afterOpen?.();
          if (result !== undefined) strace?.finished(thread, result);
        };
        return { kind: 'open', path, flags, mode, opened };
      }
      case 'blocked':
        throw new Error('a blocked outcome cannot complete a syscall');
    }
  }

  private run(thread: Thread, sysno: number | undefined, args: readonly number[] | undefined, afterExit: ExitHook | undefined): Resumption {
    const strace = this.strace;
    // Calls that never return (exit) are logged as they start.
    if (strace?.entering(thread) === true) strace.finished(thread, undefined);
    else if (strace !== undefined) {
      thread.afterExit = (result) => {
        const replaced = afterExit?.(result);
        strace.finished(thread, typeof replaced === 'number' ? replaced : result);
        return replaced;
      };
      return { kind: 'run', sysno, args, toExit: true };
    }
    thread.afterExit = afterExit;
    return { kind: 'run', sysno, args, toExit: afterExit !== undefined };
  }

  /** A call the kernel ran has returned `result`: its exit hook may replace it. Returns the result the thread gets. */
  returned(thread: Thread, result: number): number {
    const hook = thread.afterExit;
    thread.afterExit = undefined;
    if (hook === undefined) return result;
    try {
      const replaced = hook(result);
      return typeof replaced === 'number' ? replaced : result;
    } catch (error) {
      if (error instanceof TraceeFault) return -Errno.EFAULT;
      throw error;
    }
  }

  /** A notified call let through has returned (the thread stopped again): undo what it needed. */
  stopped(thread: Thread): void {
    const restore = thread.restoreAfterCall;
    thread.restoreAfterCall = undefined;
    restore?.();
  }
}

/** A context per dispatch: a class, so that its method is shared rather than a closure made per call. */
class HandlerContext implements SyscallContext {
  readonly process: Process;
  readonly sysno: number;
  readonly args: readonly number[];
  readonly memory: TraceeMemory;
  readonly state: SyscallState;

  constructor(
    readonly thread: Thread,
    readonly services: Services,
    private readonly stackPointer: (thread: Thread) => number,
  ) {
    this.process = thread.process;
    this.sysno = thread.syscall.sysno;
    this.args = thread.syscall.args;
    this.memory = thread.process.memory;
    this.state = thread.syscallState;
  }

  scratchBelowStack(bytes: number): number {
    const below = this.stackPointer(this.thread) - RED_ZONE - bytes;
    return below - (below % 16);
  }
}

/** The call is over: what it remembered goes (most calls remember nothing: their empty state is kept). */
function forgetState(thread: Thread): void {
  for (const _ in thread.syscallState) {
    thread.syscallState = {};
    return;
  }
}

const restoring = (restore: (() => void) | undefined): ExitHook | undefined => (restore === undefined ? undefined : () => restore());
