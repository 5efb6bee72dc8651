import { O_CLOEXEC } from '../abi/fd.js';
import { ptrace, StopKind } from '../native.js';
import { SIGKILL } from '../abi/signal.js';
import type { ProcessExit } from '../../exit-status.js';
import type { Thread } from '../tracees/tracees.js';

/** A thread's next event, decoded. */
export type Stop =
  /** At a syscall (seccomp stop), or, `notified`, waiting in the kernel for the answer to a user notification. */
  | { kind: 'syscall'; sysno: number; args: number[]; notified: boolean }
  /** At the exit of a syscall the kernel ran, with its result. */
  | { kind: 'syscall-exit'; result: number }
  /** It created `child` (a new thread or process, attached and stopped). */
  | { kind: 'child'; event: 'fork' | 'vfork' | 'clone'; child: number }
  /** Its exec went through; `tid` is the tid reporting it (the pid, when a non-leader thread exec-ed). */
  | { kind: 'exec'; tid: number }
  /** PTRACE_EVENT_EXIT: it is on its way out. */
  | { kind: 'exiting' }
  /**
   * A signal is about to be delivered to it. `returned`: it came on the way
   * back from a notified call let through to its return (its exit hook still
   * to run), whose result this is; the return stop follows the delivery.
   */
  | { kind: 'signal'; signal: number; returned?: number }
  /** It ran a whole quantum without a stop and was stopped. */
  | { kind: 'preempted' }
  /** A stop with nothing to do but go on (group stop, a new child's first stop). */
  | { kind: 'other' }
  | { kind: 'ended'; status: ProcessExit }
  /** The kernel no longer knows the tid: it was reaped with its group. */
  | { kind: 'gone' };

/** What to do with a stopped thread. */
export type Resumption =
  /** At a syscall: skip it; it returns `value` (a negative errno for a failure). */
  | { kind: 'return'; value: number }
  /** At a syscall: the kernel runs it, rewritten to `sysno` and `args` if given; `toExit` stops again at its exit. */
  | { kind: 'run'; sysno?: number; args?: readonly number[]; toExit: boolean }
  /** At a syscall: skip it now, and run the same call again when the thread returns to user code (SA_RESTART). */
  | { kind: 'restart' }
  /** At a notified open: the mediator opens `path` as the thread would, and the call returns that descriptor; `opened` sees the result (undefined: the thread was killed). */
  | { kind: 'open'; path: string; flags: number; mode: number; opened: (result: number | undefined) => void }
  /** At any other stop: go on, delivering `signal` (0: none); `toExit` stops at the exit of the syscall under way. */
  | { kind: 'continue'; signal: number; toExit: boolean }
  /** At a syscall-exit stop: go on, the call returning `result` if given (else its own result). */
  | { kind: 'finish'; result?: number };

/** The kernel's internal errno for "run the call again after the signal" (include/linux/errno.h). */
const ERESTARTNOINTR = 513;

const CHILD_EVENTS = { [StopKind.fork]: 'fork', [StopKind.vfork]: 'vfork', [StopKind.clone]: 'clone' } as const;

const errorCode = (error: unknown): string | undefined => (error as { code?: string } | null)?.code;

/**
 * The one place that waits for tracees' stops and resumes them, through the
 * addon. It knows ptrace, waitpid and seccomp user notifications; what a
 * stop means for the tracee table is the lifecycle's, and what a syscall
 * returns, the dispatcher's.
 */
export class Tracer {
  /** The addon writes each stop here: out[0] the tid, the rest per kind. */
  private readonly out = new Float64Array(8);

  /** Waits for `thread`'s next stop, or for a user notification from its process's filter. */
  next(thread: Thread): Stop {
    const stop = this.wait(thread.tid, false, thread.process.listener) ?? { kind: 'gone' };
    if (thread.returnStopDue) {
      if (stop.kind === 'signal' && thread.afterExit !== undefined) return { ...stop, returned: ptrace.returnValue(thread.tid) };
      if (stop.kind === 'syscall-exit' || stop.kind === 'exiting' || stop.kind === 'ended' || stop.kind === 'gone') thread.returnStopDue = false;
    }
    return stop;
  }

  /** The next stop of `tid` if one is there already (undefined otherwise); no notification. */
  poll(tid: number): Stop | undefined {
    return this.wait(tid, true, undefined);
  }

  /** The tid that reported the last stop. */
  get lastTid(): number {
    return this.out[0]!;
  }

  private wait(tid: number, nohang: boolean, listener: number | undefined): Stop | undefined {
    let kind: number;
    try {
      kind = ptrace.waitStop(tid, this.out, nohang, listener);
    } catch (error) {
      if (errorCode(error) === 'ECHILD') return { kind: 'gone' };
      throw error;
    }
    const out = this.out;
    switch (kind) {
      case StopKind.none:
        return undefined;
      case StopKind.seccomp:
      case StopKind.notified:
        // A notified thread waits in the kernel rather than at a stop; only the thread given the CPU can have made a call.
        if (kind === StopKind.notified && out[0] !== tid) throw new Error(`a user notification came from ${out[0]} while only ${tid} ran`);
        return { kind: 'syscall', sysno: out[1]!, args: [out[2]!, out[3]!, out[4]!, out[5]!, out[6]!, out[7]!], notified: kind === StopKind.notified };
      case StopKind.syscallExit:
      case StopKind.notifiedReturn:
        return { kind: 'syscall-exit', result: out[1]! };
      case StopKind.fork:
      case StopKind.vfork:
      case StopKind.clone:
        return { kind: 'child', event: CHILD_EVENTS[kind], child: out[1]! };
      case StopKind.exec:
        return { kind: 'exec', tid: out[0]! };
      case StopKind.exitEvent:
        return { kind: 'exiting' };
      case StopKind.signal:
        return { kind: 'signal', signal: out[1]! };
      case StopKind.preempted:
        return { kind: 'preempted' };
      case StopKind.exited:
        return { kind: 'ended', status: { code: out[1]! } };
      case StopKind.killed:
        return { kind: 'ended', status: { signal: out[1]!, core: out[2] === 1 } };
      default:
        return { kind: 'other' };
    }
  }

  /**
   * Lets `thread` go on from its stop. A thread killed while stopped (SIGKILL
   * from outside, or its group exiting) cannot be resumed: its death is
   * collected by the next wait.
   */
  resume(thread: Thread, resumption: Resumption): void {
    try {
      if (thread.notified) this.answer(thread, resumption);
      else this.resumeFromStop(thread.tid, resumption);
    } catch (error) {
      if (errorCode(error) !== 'ESRCH') throw error;
    }
  }

  private resumeFromStop(tid: number, resumption: Resumption): void {
    switch (resumption.kind) {
      case 'return':
        ptrace.skipSyscallAndResume(tid, resumption.value);
        return;
      case 'run':
        if (resumption.sysno !== undefined) ptrace.setSyscall(tid, resumption.sysno, [...(resumption.args ?? [])]);
        ptrace.resume(tid, 0, resumption.toExit);
        return;
      case 'restart':
        ptrace.restartSyscall(tid);
        ptrace.resume(tid, 0, false);
        return;
      case 'continue':
        ptrace.resume(tid, resumption.signal, resumption.toExit);
        return;
      case 'finish':
        if (resumption.result !== undefined) ptrace.setReturnValue(tid, resumption.result);
        ptrace.resume(tid, 0, false);
        return;
      case 'open':
        throw new Error(`only a notified open can be answered with a descriptor (${tid} is at a ptrace stop)`);
    }
  }

  /** The same for a syscall that came as a user notification: the answer carries the result, or lets the kernel run the call unchanged. */
  private answer(thread: Thread, resumption: Resumption): void {
    thread.notified = false;
    switch (resumption.kind) {
      case 'return':
        ptrace.answerNotification(thread.tid, resumption.value);
        return;
      case 'run':
        if (resumption.sysno !== undefined) throw new Error(`a notified syscall of ${thread.label} cannot run with other arguments`);
        if (!resumption.toExit) {
          ptrace.continueNotification(thread.tid);
          return;
        }
        // No exit stop follows a notified call: the addon stops the thread as the call returns instead.
        thread.returnStopDue = ptrace.continueNotificationToReturn(thread.tid);
        return;
      case 'open':
        resumption.opened(this.openFor(thread, resumption.path, resumption.flags, resumption.mode));
        return;
      case 'restart':
        // The kernel restarts a call that fails with ERESTARTNOINTR once its pending signal is handled.
        ptrace.answerNotification(thread.tid, -ERESTARTNOINTR);
        return;
      default:
        throw new Error(`a notified syscall of ${thread.label} got a ${resumption.kind} resumption`);
    }
  }

  /**
   * Opens `path` with the thread's credentials and hands the descriptor over
   * as its call's result (the lowest free descriptor, close-on-exec if
   * asked), or fails the call with the open's errno. Returns the result;
   * undefined if the thread was killed meanwhile.
   */
  private openFor(thread: Thread, path: string, flags: number, mode: number): number | undefined {
    const fd = ptrace.openAsThread(thread.tid, path, flags, mode);
    if (fd < 0) return ptrace.answerNotification(thread.tid, fd) ? fd : undefined;
    return ptrace.answerNotificationWithFd(thread.tid, fd, (flags & O_CLOEXEC) !== 0) ?? undefined;
  }

  /** Resumes `tid` from whatever stop it is at, if it is at one (a thread on its way out). */
  release(tid: number): void {
    try {
      ptrace.resume(tid, 0, false);
    } catch {
      // Not stopped: it is already on its way out.
    }
  }

  /** Waits for a thread's final exit, letting it through any stop on the way; undefined if it was reaped elsewhere. */
  reap(tid: number): ProcessExit | undefined {
    for (;;) {
      const stop = this.wait(tid, false, undefined)!;
      if (stop.kind === 'ended') return stop.status;
      if (stop.kind === 'gone') return undefined;
      this.release(tid);
    }
  }

  /** Sends SIGKILL to a whole process; nothing if it is gone already. */
  kill(pid: number): void {
    try {
      ptrace.signalProcess(pid, SIGKILL);
    } catch {
      // Already gone.
    }
  }

  /** At a signal-delivery stop: the siginfo_t the handler will get, and its replacement. */
  signalInfo(tid: number): Buffer {
    return ptrace.getSignalInfo(tid);
  }

  setSignalInfo(tid: number, info: Buffer): void {
    ptrace.setSignalInfo(tid, info);
  }

  /** At the first stop after a syscall returned: the thread sees `value` as its result. */
  setReturnValue(tid: number, value: number): void {
    ptrace.setReturnValue(tid, value);
  }

  /** The thread's stack pointer at its current stop (at the exec stop: &argc). */
  stackPointer(tid: number): number {
    return ptrace.stackPointer(tid);
  }

  /** At an exec stop: maps simterpose's vDSO into the new program in place of the kernel's (at `kernelVdso`, if it has one); returns the address of the page it reads. */
  installVdso(tid: number, kernelVdso: number | undefined): number {
    return ptrace.installVdso(tid, kernelVdso);
  }

  /** Drops what the addon keeps for a process that is gone (its pidfd). */
  forgetProcess(pid: number): void {
    ptrace.forgetProcess(pid);
  }
}
