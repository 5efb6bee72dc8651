import { logger } from '../../log.js';
import { sleepSync } from '../../sleep.js';
import { AT_RANDOM_BYTES, readExecStack } from '../abi/exec-stack.js';
import { VDSO_HEADER_OFFSET } from '../abi/vdso-page.js';
import { CLONE_FILES, CLONE_PARENT, CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM } from '../abi/process.js';
import { SIGCHLD, SIGKILL, SI_TIMER, siginfo } from '../abi/signal.js';
import { syscallNumbers } from '../abi/syscall-numbers.js';
import { TraceeFault, writeI32, type TraceeMemory } from '../abi/tracee-memory.js';
import { kernelVdso, prepareExecImage } from '../tracees/exec-image.js';
import { futexKey } from '../tracees/futex-key.js';
import { killsByDefault, stopsByDefault } from '../tracees/pending-signals.js';
import { virtualizeSender } from '../tracees/signal-senders.js';
import type { ProcessExit, StopCause } from '../../exit-status.js';
import type { Process, Thread, TraceeTable } from '../tracees/tracees.js';
import type { Scheduler } from './scheduler.js';
import type { Stop, Tracer } from './tracer.js';

const log = logger('lifecycle');

const [EXECVE, EXECVEAT] = syscallNumbers('execve', 'execveat');
/** How long to sleep between polls of the threads an exec is killing. */
const EXEC_POLL_MS = 1;

/** What the rest of the mediator wants to hear about. */
export interface LifecycleHooks {
  signalsMayBePending(): void;
  threadStarted(thread: Thread): void;
  threadEnded(thread: Thread): void;
  /** The thread ran a whole quantum without a stop: account its work and let others run. */
  preempted(thread: Thread): void;
  /** A syscall the kernel ran returned `result` (at its exit stop, or an exec that went through); returns the result the thread gets. */
  syscallReturned(thread: Thread, result: number): number;
  /** The process's next bytes from the seeded generator. */
  randomBytes(process: Process, length: number): Buffer;
  /** A POSIX timer's signal (siginfo `info`, which may be rewritten) is being delivered: whether it still is. */
  timerSignalDelivered(process: Process, info: Buffer): boolean;
  /** A stopping signal's default action stops the process (job control). */
  jobStopped(process: Process, signal: number): void;
  processStarted(process: Process): void;
  /** Its exit status is set; `seen` is false when the kernel's was lost (reaped elsewhere) and SIGKILL stands for it. */
  processExited(process: Process, seen: boolean): void;
}

/**
 * Waits for the stops of the thread that just ran, and keeps the tracee
 * table true to the kernel: new threads and processes, execs, exits, signal
 * deliveries. Syscall stops are only recorded here; the dispatcher decides them.
 */
export class Lifecycle {
  constructor(
    private readonly tracees: TraceeTable,
    private readonly scheduler: Scheduler,
    private readonly tracer: Tracer,
    private readonly hooks: LifecycleHooks,
    /** Each exec gets simterpose's vDSO (see host/time-page.ts) rather than none. */
    private readonly ownVdso = false,
  ) {}

  /** The next stop of `thread`, the thread that just ran. */
  awaitStop(thread: Thread): Stop {
    return this.execKillsOthers(thread) ? this.awaitThroughExec(thread) : this.tracer.next(thread);
  }

  /** Takes a stop of `thread` into account; afterwards the thread is runnable, blocked or gone. */
  handle(thread: Thread, stop: Stop): void {
    switch (stop.kind) {
      case 'syscall':
        thread.notified = stop.notified;
        thread.syscall = { sysno: stop.sysno, args: stop.args };
        thread.next = { kind: 'dispatch' };
        this.scheduler.makeRunnable(thread);
        return;
      case 'syscall-exit': {
        const result = this.hooks.syscallReturned(thread, stop.result);
        thread.next = { kind: 'finish', result: result === stop.result ? undefined : result };
        this.scheduler.makeRunnable(thread);
        return;
      }
      case 'child':
        this.childCreated(thread, stop.event, stop.child);
        return;
      case 'exec': {
        const execed = stop.tid === thread.tid ? thread : this.takeOverLeader(thread, stop.tid);
        this.execDone(execed);
        this.scheduler.makeRunnable(execed);
        return;
      }
      case 'exiting':
        this.exiting(thread);
        return;
      case 'signal':
        if (stop.returned !== undefined) this.returnedBeforeSignal(thread, stop.returned);
        this.signalArrived(thread, stop.signal);
        return;
      case 'ended':
        this.threadGone(thread, stop.status);
        return;
      case 'gone':
        // Reaped elsewhere (its whole group was collected already).
        this.threadGone(thread, undefined);
        return;
      case 'preempted':
        thread.next = { kind: 'resume', signal: 0 };
        thread.preemptions++;
        this.hooks.preempted(thread);
        return;
      case 'other':
        // Group stops and interrupt stops: the thread simply goes on.
        thread.next = { kind: 'resume', signal: 0 };
        this.scheduler.makeRunnable(thread);
    }
  }

  private execKillsOthers(thread: Thread): boolean {
    const sysno = thread.syscall.sysno;
    return (sysno === EXECVE || sysno === EXECVEAT) && thread.process.threads.size > 1;
  }

  /**
   * An exec in a multi-threaded process kills the other threads first, and
   * the kernel holds it until they are gone: each stops at its exit event and
   * waits for us. So the exec's stop cannot be awaited alone: poll the
   * execing thread and let the others die meanwhile. A non-leader that execs
   * takes over the leader's tid, so its exec stop is reported under the pid
   * (ptrace(2), "execve(2) under ptrace"), and the leader's own death is not.
   */
  private awaitThroughExec(thread: Thread): Stop {
    const process = thread.process;
    for (;;) {
      // Once the exec went through, the former tid is gone: its stop comes under the pid.
      const own = this.tracer.poll(thread.tid);
      if (own !== undefined && own.kind !== 'gone') return own;
      for (const other of [...process.threads.values()]) {
        if (other === thread) continue;
        const stop = this.tracer.poll(other.tid);
        if (stop === undefined) continue;
        if (stop.kind === 'exec' && stop.tid === process.pid) return stop;
        if (stop.kind === 'ended') this.threadGone(other, stop.status);
        else if (stop.kind === 'gone') this.threadGone(other, undefined);
        else this.tracer.release(other.tid);
      }
      sleepSync(EXEC_POLL_MS);
    }
  }

  /** After a non-leader's exec: the thread now has the leader's tid, and the process's virtual pid as its id. */
  private takeOverLeader(former: Thread, pid: number): Thread {
    const process = former.process;
    const leader = process.threads.get(pid) ?? process.lingeringLeader;
    process.lingeringLeader = undefined;
    if (leader !== undefined && leader.state !== 'exited') {
      this.hooks.threadEnded(leader);
      this.tracees.removeThread(leader);
      this.scheduler.blocked.delete(leader);
    }
    this.hooks.threadEnded(former);
    this.tracees.removeThread(former);
    const execed = this.tracees.addThread(pid, process);
    execed.afterExit = former.afterExit;
    this.hooks.threadStarted(execed);
    log.debug({ former: former.tid, pid }, 'a non-leader thread exec-ed and became the leader');
    return execed;
  }

  /** The exec stop: replace or disable the vDSO, seed AT_RANDOM, reset what exec resets, release a vfork parent. */
  execDone(thread: Thread): void {
    const process = thread.process;
    for (const other of [...process.threads.values()]) {
      if (other !== thread) this.reapQuietly(other);
    }
    const stack = readExecStack(process.memory, this.tracer.stackPointer(thread.tid));
    process.vdsoPage = this.ownVdso ? this.installVdso(thread, kernelVdso(stack)) : undefined;
    const vdsoHeader = process.vdsoPage === undefined ? undefined : process.vdsoPage + VDSO_HEADER_OFFSET;
    prepareExecImage(process.memory, stack, this.hooks.randomBytes(process, AT_RANDOM_BYTES), vdsoHeader);
    process.command = stack.argv[0] ?? process.command;
    process.signalActions.resetForExec();
    process.posixTimers.clear();
    process.fds = process.fds.exec();
    process.addressSpace = process.pid;
    thread.clearChildTid = 0;
    thread.clearsTidHere = false;
    // The exec succeeded: that is its result, even though its exit stop is not awaited.
    this.hooks.syscallReturned(thread, 0);
    thread.next = { kind: 'resume', signal: 0 };
    this.releaseVforkParent(process);
  }

  /** Maps simterpose's vDSO into the new program; undefined (no vDSO, every clock read trapped) where that fails. */
  private installVdso(thread: Thread, kernelVdso: number | undefined): number | undefined {
    try {
      return this.tracer.installVdso(thread.tid, kernelVdso);
    } catch (error) {
      log.warn({ tid: thread.tid, error: (error as Error).message }, "simterpose's vDSO could not be mapped: every clock read of this program is trapped");
      return undefined;
    }
  }

  private childCreated(parent: Thread, event: 'fork' | 'vfork' | 'clone', childTid: number): void {
    const implied = event === 'vfork' ? CLONE_VM | CLONE_VFORK | SIGCHLD : event === 'fork' ? SIGCHLD : CLONE_THREAD | CLONE_VM | CLONE_SIGHAND;
    const clone = parent.pendingClone ?? { flags: implied, clearChildTid: 0, parentSetTid: 0, childSetTid: 0 };
    parent.pendingClone = undefined;
    let child: Thread;
    if ((clone.flags & CLONE_THREAD) !== 0) {
      child = this.tracees.addThread(childTid, parent.process);
    } else {
      const creator = parent.process;
      const realParent = (clone.flags & CLONE_PARENT) !== 0 ? creator.parent : creator;
      const actions = (clone.flags & CLONE_SIGHAND) !== 0 ? creator.signalActions : creator.signalActions.copy();
      const process = this.tracees.addProcess(childTid, realParent, creator.command, creator.host, actions, this.scheduler.now);
      process.origin = creator.origin;
      // Seccomp filters are inherited, and with them the listener.
      process.listener = creator.listener;
      // Its memory is a copy of its creator's, the vDSO's page with it.
      process.vdsoPage = creator.vdsoPage;
      this.hooks.processStarted(process);
      if ((clone.flags & CLONE_VM) !== 0) process.addressSpace = creator.addressSpace;
      process.fds = (clone.flags & CLONE_FILES) !== 0 ? creator.fds.share() : creator.fds.copy();
      child = this.tracees.addThread(childTid, process);
      if ((clone.flags & CLONE_VFORK) !== 0) process.vforkParent = parent;
    }
    child.clearChildTid = clone.clearChildTid;
    this.hooks.threadStarted(child);
    this.awaitFirstStop(child);
    // The kernel wrote the real tid (pthread's pd->tid, used by pthread_kill and pthread_join); neither thread has run since.
    if (clone.parentSetTid !== 0) writeTidAsLinux(parent.process.memory, clone.parentSetTid, child.vtid);
    if (clone.childSetTid !== 0 && child.state !== 'exited') writeTidAsLinux(child.process.memory, clone.childSetTid, child.vtid);

    // The syscall's exit is still to come: stop there if its result is to be rewritten.
    parent.next = { kind: 'resume', signal: 0 };
    if (child.process.vforkParent === parent && child.process.alive) {
      // The kernel holds a vfork parent until the child execs or exits: it must not run before.
      this.scheduler.block(parent, { kind: 'vfork', child: childTid, reason: `its vfork child ${child.vtid} to exec or exit`, onSignal: 'restartable' });
    } else {
      this.scheduler.makeRunnable(parent);
    }
    log.debug({ parent: parent.label, child: childTid, vtid: child.vtid, flags: clone.flags }, 'new tracee');
  }

  /** An auto-attached child reports a first stop before it runs anything. */
  private awaitFirstStop(child: Thread): void {
    const stop = this.tracer.next(child);
    if (stop.kind === 'other' || stop.kind === 'signal') {
      child.next = { kind: 'resume', signal: 0 };
      this.scheduler.makeRunnable(child);
      return;
    }
    if (stop.kind === 'ended') {
      this.threadGone(child, stop.status);
      return;
    }
    throw new Error(`unexpected first stop (${stop.kind}) of new tracee ${child.tid}`);
  }

  /**
   * A notified call let through to its return came back with a signal to
   * deliver first: its exit hook runs here, before the handler's frame is
   * built over its registers; the return stop after the delivery has
   * nothing left to do.
   */
  private returnedBeforeSignal(thread: Thread, result: number): void {
    const replaced = this.hooks.syscallReturned(thread, result);
    if (replaced !== result) this.tracer.setReturnValue(thread.tid, replaced);
  }

  private signalArrived(thread: Thread, signal: number): void {
    const info = this.tracer.signalInfo(thread.tid);
    if (siginfo.code(info) === SI_TIMER) {
      if (!this.hooks.timerSignalDelivered(thread.process, info)) {
        // Queued by a timer since re-armed or deleted: Linux drops it.
        thread.next = { kind: 'resume', signal: 0 };
        this.scheduler.makeRunnable(thread);
        return;
      }
      this.tracer.setSignalInfo(thread.tid, info);
    } else {
      this.virtualizeSender(thread, signal, info);
    }
    const actions = thread.process.signalActions;
    if (stopsByDefault(signal, actions)) {
      // Not injected: the kernel would stop the threads where simterpose holds them already.
      this.hooks.jobStopped(thread.process, signal);
      thread.next = { kind: 'resume', signal: 0 };
      this.scheduler.makeRunnable(thread);
      return;
    }
    if (!actions.handles(signal) && !actions.ignores(signal) && killsByDefault(signal)) thread.process.groupExiting = true;
    thread.next = { kind: 'resume', signal };
    this.scheduler.makeRunnable(thread);
  }

  /** The siginfo a handler gets names the sender as the kernel knows it: make it as the receiver sees it. */
  private virtualizeSender(thread: Thread, signal: number, info: Buffer): void {
    if (virtualizeSender(this.tracees.pids, thread.process, signal, info)) this.tracer.setSignalInfo(thread.tid, info);
  }

  /** PTRACE_EVENT_EXIT: the thread is leaving; collect it (and its whole group when the group is exiting). */
  private exiting(thread: Thread): void {
    const process = thread.process;
    this.clearTidAsKernel(thread);
    this.tracer.release(thread.tid);
    const others = [...process.threads.values()].filter((t) => t !== thread);
    if (process.groupExiting || others.length === 0) {
      // The kernel reports a leader's death only once the rest of its group is reaped: the leader goes last.
      for (const member of leaderLast([thread, ...others])) {
        if (member === thread) this.threadGone(thread, this.tracer.reap(thread.tid));
        else this.reapQuietly(member);
      }
      return;
    }
    if (thread.tid === process.pid) {
      // A leader that leaves alone stays a zombie until its last thread exits.
      this.hooks.threadEnded(thread);
      this.tracees.removeThread(thread);
      this.scheduler.blocked.delete(thread);
      process.lingeringLeader = thread;
      this.wakeJoiners(thread);
      return;
    }
    this.threadGone(thread, this.tracer.reap(thread.tid));
  }

  /**
   * A thread leaving while its memory stays in use (other threads, or a
   * parent or child sharing it: vfork) gets its tid word cleared by the
   * kernel, for pthread_join, unless the kernel never learnt the word's
   * address (`clearsTidHere`): then here, at its exit stop, while its
   * memory is still there. Its joiners are woken with the rest (wakeJoiners).
   */
  private clearTidAsKernel(thread: Thread): void {
    if (!thread.clearsTidHere || thread.clearChildTid === 0) return;
    const process = thread.process;
    const sharing = (other: Process | undefined): boolean => other?.alive === true && other.addressSpace === process.addressSpace;
    if (process.threads.size > 1 || sharing(process.parent) || [...process.children].some(sharing)) {
      writeTidAsLinux(process.memory, thread.clearChildTid, 0);
    }
  }

  private reapQuietly(thread: Thread): void {
    this.tracer.release(thread.tid);
    let status: ProcessExit | undefined;
    try {
      status = this.tracer.reap(thread.tid);
    } catch {
      status = undefined;
    }
    this.threadGone(thread, status);
  }

  private wakeJoiners(thread: Thread): void {
    // The kernel clears the tid word and wakes its futex; emulated waiters must be woken here.
    if (thread.clearChildTid !== 0) this.scheduler.wakeFutex(futexKey(thread.process.addressSpace, thread.clearChildTid), 1);
  }

  private threadGone(thread: Thread, status: ProcessExit | undefined): void {
    const process = thread.process;
    if (thread.state !== 'exited') this.hooks.threadEnded(thread);
    this.tracees.removeThread(thread);
    this.scheduler.blocked.delete(thread);
    this.wakeJoiners(thread);
    if (thread.tid === process.pid) process.leaderStatus = status;
    if (process.threads.size > 0) return;
    const leader = process.lingeringLeader;
    if (leader !== undefined) {
      process.lingeringLeader = undefined;
      this.reapQuietly(leader);
      return;
    }
    const seen = process.leaderStatus ?? status;
    this.processGone(process, seen ?? { signal: SIGKILL, core: false }, seen !== undefined);
  }

  private processGone(process: Process, status: ProcessExit, seen: boolean): void {
    process.exitStatus = status;
    this.tracees.exited.push(process);
    this.hooks.processExited(process, seen);
    process.fds.leave();
    this.tracer.forgetProcess(process.pid);
    this.releaseVforkParent(process);
    const parent = process.parent;
    if (parent !== undefined) {
      parent.children.delete(process);
      if (parent.alive) {
        parent.zombies.add(process);
        for (const waiter of [...this.scheduler.blocked]) {
          if (waiter.wait?.kind === 'child' && waiter.wait.parent === parent.pid) this.scheduler.wake(waiter);
        }
        this.hooks.signalsMayBePending();
      }
    }
    for (const orphan of process.children) orphan.parent = undefined;
    process.children.clear();
    process.zombies.clear();
    log.debug({ pid: process.pid, status }, 'process exited');
  }

  private releaseVforkParent(process: Process): void {
    const parent = process.vforkParent;
    if (parent === undefined) return;
    process.vforkParent = undefined;
    this.scheduler.wake(parent);
  }

  /**
   * Threads that wait in the scheduler sit at a stop, or in the kernel for
   * a notification's answer, and cause no event of their own; but a SIGKILL
   * from outside (a kill -9 of a real pid) ends them there, and their deaths
   * wait in the kernel until someone looks. Collects those; returns whether
   * there were any. Costs a waitpid per waiting thread: for idle moments only.
   */
  collectOutsideDeaths(): boolean {
    let collected = false;
    for (let found = true; found; ) {
      found = false;
      // Threads of a stopped process are held at their stops as well: SIGKILL ends them there.
      for (const thread of [...this.scheduler.blocked, ...this.scheduler.held]) {
        if (thread.state === 'exited') continue;
        const stop = this.tracer.poll(thread.tid);
        if (stop === undefined) continue;
        log.debug({ thread: thread.label, stop: stop.kind }, 'a waiting thread died from outside');
        this.handle(thread, stop);
        found = true;
        collected = true;
      }
    }
    return collected;
  }

  /**
   * Kills these processes (SIGKILL) for `cause` and collects their deaths at
   * once, as if they had died on their own: their parents, their waiters
   * and their peers learn of it. Called between two steps of the loop, when
   * every tracee sits at a stop (or waits for a notification's answer).
   */
  kill(processes: readonly Process[], cause: StopCause): void {
    const living = processes.filter((process) => process.alive);
    for (const process of living) {
      process.stopped = cause;
      this.tracer.kill(process.pid);
    }
    for (const process of living) {
      for (const thread of leaderLast([...process.threads.values()])) if (thread.state !== 'exited') this.reapQuietly(thread);
    }
  }

  /**
   * Leaves nothing behind after a failure, whatever state the tracee table
   * is in: every tracee is killed and reaped, its process marked stopped
   * for `cause`, and no one else is told.
   */
  killAll(cause: StopCause): void {
    for (const process of this.tracees.processes.values()) if (process.alive) this.tracer.kill(process.pid);
    for (const thread of leaderLast([...this.tracees.threads.values()])) {
      try {
        this.tracer.reap(thread.tid);
      } catch {
        // Reaped with its group, or never ours.
      }
      this.hooks.threadEnded(thread);
      this.tracees.removeThread(thread);
    }
    for (const process of this.tracees.processes.values()) {
      if (!process.alive) continue;
      // The descriptors kept per process (its pidfd) go with it: a test suite runs many experiments in one process.
      this.tracer.forgetProcess(process.pid);
      process.stopped = cause;
      process.exitStatus = { signal: SIGKILL, core: false };
    }
  }
}

/** The kernel reports a leader's death only once its other threads are reaped: the leaders go last. */
function leaderLast(threads: Thread[]): Thread[] {
  return threads.sort((a, b) => Number(a.tid === a.process.pid) - Number(b.tid === b.process.pid));
}

/** Linux ignores a fault writing a new thread's id (CLONE_PARENT_SETTID, CLONE_CHILD_SETTID): the clone succeeds all the same. */
function writeTidAsLinux(memory: TraceeMemory, address: number, tid: number): void {
  try {
    writeI32(memory, address, tid);
  } catch (error) {
    if (!(error instanceof TraceeFault)) throw error;
  }
}
