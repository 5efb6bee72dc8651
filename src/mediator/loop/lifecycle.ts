import { logger } from '../../log.js';
import { AT_RANDOM_BYTES, prepareExecImage } from '../tracees/exec-image.js';
import { futexKey } from '../syscalls/handlers/futex.js';
import { memory } from '../tracees/memory.js';
import { ptrace, StopKind } from '../native.js';
import type { Scheduler } from './scheduler.js';
import { killsByDefault } from '../tracees/pending-signals.js';
import type { Process, Thread, TraceeTable } from '../tracees/tracees.js';

const log = logger('lifecycle');

const CLONE_VM = 0x100;
const CLONE_FILES = 0x400;
const CLONE_SIGHAND = 0x800;
const CLONE_VFORK = 0x4000;
const CLONE_PARENT = 0x8000;
const CLONE_THREAD = 0x10000;
const SIGCHLD = 17;
/** siginfo_t: si_signo, si_errno, si_code, a hole, then si_pid and si_uid for the codes that carry a sender. */
const SI_CODE_OFFSET = 8;
const SI_PID_OFFSET = 16;
const SI_UID_OFFSET = 20;
const SI_USER = 0;
const SI_KERNEL = 0x80;
const SI_QUEUE = -1;
const SI_TKILL = -6;
const EXECVE = 59;
const EXECVEAT = 322;
/** How long to sleep between polls of the threads an exec is killing. */
const EXEC_POLL_MS = 1;
const pollPause = new Int32Array(new SharedArrayBuffer(4));
/** pollStop's answer for a tid the kernel no longer knows. */
const GONE = -1;

/**
 * Classifies the stops of the thread that just ran and keeps the tracee
 * table true to the kernel: new threads and processes, execs, exits, signal
 * deliveries. Syscall stops are only recorded here; the dispatcher decides them.
 */
/** What the rest of the mediator wants to hear about. */
export interface LifecycleHooks {
  signalsMayBePending(): void;
  threadStarted(thread: Thread): void;
  threadEnded(thread: Thread): void;
  /** The thread that ran reported its next stop (or its end), or, `notified`, made a notified call. */
  stopped(thread: Thread, notified: boolean): void;
  /** The thread ran a whole quantum without a stop: account its work and let others run. */
  preempted(thread: Thread): void;
  /** The process's next bytes from the seeded generator. */
  randomBytes(process: Process, length: number): Buffer;
  processStarted(process: Process): void;
  processExited(process: Process): void;
}

export class Lifecycle {
  constructor(
    private readonly tracees: TraceeTable,
    private readonly scheduler: Scheduler,
    private readonly stop: Float64Array,
    private readonly hooks: LifecycleHooks,
  ) {}

  /** Waits for the next stop of `thread` and handles it; returns once the thread is runnable, blocked or gone. */
  awaitStop(thread: Thread): void {
    const stop = this.stop;
    let kind: number;
    try {
      kind = this.execKillsOthers(thread) ? this.awaitThroughExec(thread) : ptrace.waitStop(thread.tid, stop, false, thread.process.listener);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ECHILD') throw error;
      // Reaped elsewhere (its whole group was collected already).
      this.threadGone(thread, undefined);
      return;
    }
    this.hooks.stopped(thread, kind === StopKind.notified);
    const settle = thread.settle;
    thread.settle = undefined;
    settle?.();
    switch (kind) {
      case StopKind.notified:
      case StopKind.seccomp:
        // A notified thread waits in the kernel rather than at a stop; only the thread given the CPU can have made a call.
        if (kind === StopKind.notified && stop[0] !== thread.tid) throw new Error(`a user notification came from ${stop[0]} while only ${thread.label} ran`);
        thread.notified = kind === StopKind.notified;
        thread.syscall = { sysno: stop[1]!, args: [stop[2]!, stop[3]!, stop[4]!, stop[5]!, stop[6]!, stop[7]!] };
        thread.next = { kind: 'dispatch' };
        this.scheduler.makeRunnable(thread);
        return;
      case StopKind.syscallExit:
        this.syscallExited(thread, stop[1]!);
        return;
      case StopKind.fork:
      case StopKind.vfork:
      case StopKind.clone:
        this.childCreated(thread, kind, stop[1]!);
        return;
      case StopKind.exec: {
        const execed = stop[0] === thread.tid ? thread : this.takeOverLeader(thread, stop[0]!);
        this.execDone(execed);
        this.scheduler.makeRunnable(execed);
        return;
      }
      case StopKind.exitEvent:
        this.exiting(thread);
        return;
      case StopKind.signal:
        this.signalArrived(thread, stop[1]!);
        return;
      case StopKind.exited:
        this.threadGone(thread, { code: stop[1]! });
        return;
      case StopKind.killed:
        this.threadGone(thread, { signal: stop[1]!, core: stop[2] === 1 });
        return;
      case StopKind.preempted:
        thread.next = { kind: 'resume', signal: 0 };
        thread.preemptions++;
        this.hooks.preempted(thread);
        return;
      default:
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
   * Returns the execing thread's stop, its kind as awaitStop expects.
   */
  private awaitThroughExec(thread: Thread): number {
    const process = thread.process;
    const pid = process.pid;
    for (;;) {
      // Once the exec went through, the former tid is gone: its stop comes under the pid.
      const kind = this.pollStop(thread.tid);
      if (kind !== StopKind.none && kind !== GONE) return kind;
      for (const other of [...process.threads.values()]) {
        if (other === thread) continue;
        const otherKind = this.pollStop(other.tid);
        if (otherKind === StopKind.exec && this.stop[0] === pid) return otherKind;
        if (otherKind === StopKind.exited) this.threadGone(other, { code: this.stop[1]! });
        else if (otherKind === StopKind.killed) this.threadGone(other, { signal: this.stop[1]!, core: this.stop[2] === 1 });
        else if (otherKind === GONE) this.threadGone(other, undefined);
        else if (otherKind !== StopKind.none) ptrace.resume(other.tid, 0, false);
      }
      Atomics.wait(pollPause, 0, 0, EXEC_POLL_MS);
    }
  }

  /** A non-blocking wait for `tid`'s next stop; `gone` once the kernel no longer knows the tid. */
  private pollStop(tid: number): number {
    try {
      return ptrace.waitStop(tid, this.stop, true);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ECHILD') throw error;
      return GONE;
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

  private syscallExited(thread: Thread, result: number): void {
    const hook = thread.afterExit;
    thread.afterExit = undefined;
    const replaced = hook?.(thread, result);
    if (typeof replaced === 'number' && replaced !== result) ptrace.setReturnValue(thread.tid, replaced);
    thread.next = { kind: 'finish' };
    this.scheduler.makeRunnable(thread);
  }

  /** The exec stop: disable the vDSO, seed AT_RANDOM, reset what exec resets, release a vfork parent. */
  execDone(thread: Thread): void {
    const process = thread.process;
    for (const other of [...process.threads.values()]) {
      if (other !== thread) this.reapQuietly(other);
    }
    const image = prepareExecImage(thread.tid, this.hooks.randomBytes(process, AT_RANDOM_BYTES));
    process.command = image.argv[0] ?? process.command;
    process.signalActions.resetForExec();
    process.fds = process.fds.exec();
    process.addressSpace = process.pid;
    thread.clearChildTid = 0;
    // The exec succeeded: that is its result, even though its exit stop is not awaited.
    thread.afterExit?.(thread, 0);
    thread.afterExit = undefined;
    thread.next = { kind: 'resume', signal: 0 };
    this.releaseVforkParent(process);
  }

  private childCreated(parent: Thread, kind: number, childTid: number): void {
    const implied = kind === StopKind.vfork ? CLONE_VM | CLONE_VFORK | SIGCHLD : kind === StopKind.fork ? SIGCHLD : CLONE_THREAD | CLONE_VM | CLONE_SIGHAND;
    const clone = parent.pendingClone ?? { flags: implied, clearChildTid: 0, parentSetTid: 0, childSetTid: 0 };
    parent.pendingClone = undefined;
    let child: Thread;
    if ((clone.flags & CLONE_THREAD) !== 0) {
      child = this.tracees.addThread(childTid, parent.process);
    } else {
      const creator = parent.process;
      const realParent = (clone.flags & CLONE_PARENT) !== 0 ? creator.parent : creator;
      const actions = (clone.flags & CLONE_SIGHAND) !== 0 ? creator.signalActions : creator.signalActions.copy();
      const process = this.tracees.addProcess(childTid, realParent, creator.command, creator.host, actions);
      // Seccomp filters are inherited, and with them the listener.
      process.listener = creator.listener;
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
    if (clone.parentSetTid !== 0) memory.writeI32(parent.tid, clone.parentSetTid, child.vtid);
    if (clone.childSetTid !== 0 && child.state !== 'exited') memory.writeI32(child.tid, clone.childSetTid, child.vtid);

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
    const kind = ptrace.waitStop(child.tid, this.stop, false);
    if (kind === StopKind.eventStop || kind === StopKind.signal) {
      child.next = { kind: 'resume', signal: 0 };
      this.scheduler.makeRunnable(child);
      return;
    }
    if (kind === StopKind.exited || kind === StopKind.killed) {
      this.threadGone(child, kind === StopKind.exited ? { code: this.stop[1]! } : { signal: this.stop[1]!, core: false });
      return;
    }
    throw new Error(`unexpected first stop ${kind} of new tracee ${child.tid}`);
  }

  private signalArrived(thread: Thread, signal: number): void {
    this.virtualizeSender(thread, signal);
    const actions = thread.process.signalActions;
    if (!actions.handles(signal) && !actions.ignores(signal) && killsByDefault(signal)) thread.process.groupExiting = true;
    thread.next = { kind: 'resume', signal };
    this.scheduler.makeRunnable(thread);
  }

  /**
   * The siginfo a handler gets names the sender by its real pid (kill,
   * sigqueue, tgkill; the child of a SIGCHLD): make it virtual. A signal
   * simterpose sent itself is either a tracee's group kill (that tracee is
   * named) or stands for the kernel's own (a virtual timer: SI_KERNEL, no pid).
   */
  private virtualizeSender(thread: Thread, signal: number): void {
    const info = ptrace.getSignalInfo(thread.tid);
    const code = info.readInt32LE(SI_CODE_OFFSET);
    const carriesPid = code === SI_USER || code === SI_QUEUE || code === SI_TKILL || (signal === SIGCHLD && code > 0);
    if (!carriesPid) return;
    const real = info.readInt32LE(SI_PID_OFFSET);
    if (real === globalThis.process.pid) {
      const sender = this.tracees.pids.takeSender(thread.process.pid, signal);
      if (sender === undefined) {
        info.writeInt32LE(SI_KERNEL, SI_CODE_OFFSET);
        info.writeInt32LE(0, SI_PID_OFFSET);
        info.writeInt32LE(0, SI_UID_OFFSET);
      } else {
        info.writeInt32LE(sender, SI_PID_OFFSET);
      }
    } else {
      info.writeInt32LE(this.tracees.pids.toVirtual(real), SI_PID_OFFSET);
    }
    ptrace.setSignalInfo(thread.tid, info);
  }

  /** PTRACE_EVENT_EXIT: the thread is leaving; collect it (and its whole group when the group is exiting). */
  private exiting(thread: Thread): void {
    const process = thread.process;
    ptrace.resume(thread.tid, 0, false);
    const others = [...process.threads.values()].filter((t) => t !== thread);
    if (process.groupExiting || others.length === 0) {
      // The kernel reports a leader's death only once the rest of its group is reaped: the leader goes last.
      const leaderLast = [thread, ...others].sort((a, b) => Number(a.tid === process.pid) - Number(b.tid === process.pid));
      for (const member of leaderLast) {
        if (member === thread) this.reap(thread);
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
    this.reap(thread);
  }

  /** Waits for a thread's final exit, letting it through any stop on the way. */
  private reap(thread: Thread): void {
    for (;;) {
      const kind = ptrace.waitStop(thread.tid, this.stop, false);
      if (kind === StopKind.exited) return this.threadGone(thread, { code: this.stop[1]! });
      if (kind === StopKind.killed) return this.threadGone(thread, { signal: this.stop[1]!, core: this.stop[2] === 1 });
      ptrace.resume(thread.tid, 0, false);
    }
  }

  private reapQuietly(thread: Thread): void {
    try {
      ptrace.resume(thread.tid, 0, false);
    } catch {
      // Not stopped: it is already on its way out.
    }
    try {
      this.reap(thread);
    } catch {
      this.threadGone(thread, undefined);
    }
  }

  private wakeJoiners(thread: Thread): void {
    // The kernel clears the tid word and wakes its futex; emulated waiters must be woken here.
    if (thread.clearChildTid !== 0) this.scheduler.wakeFutex(futexKey(thread.process.addressSpace, thread.clearChildTid), 1);
  }

  private threadGone(thread: Thread, status: Process['exitStatus']): void {
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
    this.processGone(process, process.leaderStatus ?? status ?? { signal: 9, core: false });
  }

  private processGone(process: Process, status: NonNullable<Process['exitStatus']>): void {
    process.exitStatus = status;
    this.tracees.exited.push(process);
    this.hooks.processExited(process);
    process.fds.leave();
    ptrace.forgetProcess(process.pid);
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
}
