import type { ProcessExit, StopCause } from '../../exit-status.js';
import type { Wait } from '../loop/waits.js';
import type { SyscallState } from '../syscalls/context.js';
import type { ExitHook, Outcome } from '../syscalls/outcome.js';
import { traceeMemory } from './memory.js';
import type { TraceeMemory } from '../abi/tracee-memory.js';
import type { SignalActions } from './signal-actions.js';
import { FdTable } from './fd-table.js';
import { PosixTimers } from '../host/posix-timers.js';
import { VirtualPids } from './virtual-pids.js';

/**
 * What a stopped thread does when it next gets the CPU:
 * - dispatch: it sits at a syscall whose outcome still has to be decided;
 * - conclude: it sits at a syscall whose wait ended: `decide` gives the outcome;
 * - restart: it sits at a syscall that must run again after a signal handler (SA_RESTART);
 * - resume: it is at some other stop: continue it, injecting `signal` (0 for none);
 * - finish: it sits at a syscall-exit stop; the call returns `result` instead of its own, if given.
 * A thread whose syscall came as a seccomp user notification (`notified`)
 * waits in the kernel instead of at a seccomp stop; the steps are the same.
 */
export type NextStep =
  | { kind: 'dispatch' }
  | { kind: 'conclude'; decide: () => Outcome }
  | { kind: 'restart' }
  | { kind: 'resume'; signal: number }
  | { kind: 'finish'; result?: number };

export type ThreadState = 'runnable' | 'blocked' | 'exited';

export class Thread {
  state: ThreadState = 'runnable';
  next: NextStep = { kind: 'resume', signal: 0 };
  /** The syscall it stopped at (seccomp stop), kept while it waits. */
  syscall: { sysno: number; args: number[] } = { sysno: -1, args: [] };
  wait: Wait | undefined;
  /** What its current syscall remembers across retries; the dispatcher forgets it when the syscall ends. */
  syscallState: SyscallState = {};
  /** Set while a native syscall runs whose exit stop we asked for. */
  afterExit: ExitHook | undefined;
  /** Its syscall came as a seccomp user notification, not yet answered. */
  notified = false;
  /**
   * A notified call was let through to its return (Tracer.answer): the
   * thread stops as it returns, or at a signal's delivery just before.
   */
  returnStopDue = false;
  /** After a notified call let through: what to undo at its next stop (there is no exit stop). */
  restoreAfterCall: (() => void) | undefined;
  /** Where the kernel clears the tid and wakes a futex when the thread exits (CLONE_CHILD_CLEARTID, set_tid_address). */
  clearChildTid = 0;
  /**
   * The kernel does not know `clearChildTid`: set_tid_address was answered
   * without running (see the handler), so the mediator clears the tid at
   * the thread's exit as the kernel would have.
   */
  clearsTidHere = false;
  /**
   * The clone/fork it is making, read at the syscall and used at the event
   * that reports the child: flags, and where the kernel writes the child's
   * tid (0: nowhere), to be made virtual.
   */
  pendingClone: { flags: number; clearChildTid: number; parentSetTid: number; childSetTid: number } | undefined;
  /** Virtual CPU time it used: the work the CPU model charged, at its host's speed. */
  cpuTime = 0;
  /** Syscalls made at one virtual date without blocking (see the mediator's throttling of polling loops). */
  readonly spin = { date: -1, syscalls: 0 };
  /** How often it was preempted: among threads ready at the same date, the least preempted go first. */
  preemptions = 0;
  /** Virtual time at which it became runnable: the scheduler's first key. */
  readyAt = 0;

  constructor(
    readonly tid: number,
    public process: Process,
    /** Creation order: the scheduler's stable tie-breaker, the same on every run. */
    readonly serial: number,
    /** The id the program sees (gettid), in its host's namespace. */
    readonly vtid: number,
  ) {}

  get label(): string {
    return `${this.process.command}[${this.vtid}]`;
  }
}

/** A child's change of state that wait4/waitid report: stopped by `signal`, or resumed; `uid` is the real uid it runs as (si_uid). */
export type ChildReport = ({ kind: 'stopped'; signal: number } | { kind: 'continued' }) & { uid: number };

export class Process {
  readonly threads = new Map<number, Thread>();
  readonly children = new Set<Process>();
  /** Children that exited and that the kernel will let this process reap without blocking. */
  readonly zombies = new Set<Process>();
  exitStatus: ProcessExit | undefined;
  /** A vfork child holds its parent in the kernel until it execs or exits. */
  vforkParent: Thread | undefined;
  /** exit_group was called or a fatal signal is being delivered: every thread is about to exit. */
  groupExiting = false;
  /** A leader that exited before its other threads: reaped when the last one leaves. */
  lingeringLeader: Thread | undefined;
  /** The leader's own exit status: the process's, once every thread is gone. */
  leaderStatus: ProcessExit | undefined;
  /** CPU time of its threads that already exited. */
  exitedThreadsCpuTime = 0;
  /** ITIMER_REAL (setitimer, alarm) on the virtual clock; `armed` tells a live arming from a replaced one. */
  /** ITIMER_REAL: the virtual date of its next expiry, its interval on the host's clocks. */
  realTimer: { deadline: number; interval: number; armed: object } | undefined;
  /** timer_create's timers, on the virtual clock; a forked child starts with none. */
  readonly posixTimers = new PosixTimers();
  /** Descriptors of virtual objects (sockets, epoll), shared with CLONE_FILES children. */
  fds = new FdTable();
  /** Identifies the address space, shared with CLONE_VM children: futex keys are per address space. */
  addressSpace: number;
  /** Where the page simterpose's vDSO reads lies in its memory, when its program has that vDSO (see host/time-page.ts). */
  vdsoPage: number | undefined;
  /** Its seccomp filter's listener, inherited by its children, when it has one (see notifiedNumbers). */
  listener: number | undefined;
  /** Its memory, as syscall handlers and the lifecycle read and write it. */
  readonly memory: TraceeMemory;
  /** The program of the command line or deployment it descends from (itself for those): an actor's kill_time ends them all. */
  origin: Process = this;
  /** Why simterpose killed it (at its kill_time, at the stop time, or as a run cut short ended), if it did. */
  stopped: StopCause | undefined;
  /** A program of the run sent it SIGKILL: an ending the run asked for, not a crash. */
  killedByTracee = false;
  /** A `pause` fault keeps its threads off the CPU until this virtual date. */
  frozenUntil = 0;
  /** Frozen while its state crosses to another host (src/migration): none of its threads runs until it resumes there. */
  migrating = false;
  /** The stopping signal (SIGSTOP, SIGTSTP...) that stopped it, until a SIGCONT: none of its threads runs meanwhile. */
  jobStop: number | undefined;
  /** A stop or resumption its parent's wait has not collected yet (WUNTRACED, WCONTINUED). */
  childReport: ChildReport | undefined;
  /** The siginfo of the SIGCHLD simterpose sent it for a child's stop or resumption, until delivered. */
  childNotice: Buffer | undefined;
  /**
   * The siginfo of F_SETSIG signals simterpose sent it for virtual sockets
   * (sockets/async-signals.ts), by signal, in the order sent: each one
   * taken gives the next its fields.
   */
  readonly pollNotices = new Map<number, Buffer[]>();

  constructor(
    readonly pid: number,
    /** The pid the program sees (getpid), in its host's namespace. */
    readonly vpid: number,
    public parent: Process | undefined,
    public command: string,
    /** The simulated host it runs on; changed only by a remote launch (see remote-launch.ts) or a migration (src/migration). */
    public host: string,
    public signalActions: SignalActions,
    /** The virtual date it was created at (its start time in /proc/PID/stat). */
    readonly startedAt: number,
  ) {
    this.addressSpace = pid;
    this.memory = traceeMemory(() => this.liveTid);
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /**
   * A live thread through which the kernel shows the process's memory and
   * descriptors: the leader, until it leaves before the others
   * (pthread_exit in main), whose zombie has neither.
   */
  get liveTid(): number {
    if (this.threads.has(this.pid)) return this.pid;
    for (const tid of this.threads.keys()) return tid;
    return this.pid;
  }
}

/** All processes and threads under simterpose, by tid and pid. */
export class TraceeTable {
  readonly processes = new Map<number, Process>();
  /** Processes in the order they exited. */
  readonly exited: Process[] = [];
  readonly threads = new Map<number, Thread>();
  readonly pids = new VirtualPids();
  private serials = 0;

  addProcess(pid: number, parent: Process | undefined, command: string, host: string, actions: SignalActions, startedAt: number): Process {
    const process = new Process(pid, this.pids.allocate(host, pid), parent, command, host, actions, startedAt);
    this.processes.set(pid, process);
    parent?.children.add(process);
    return process;
  }

  addThread(tid: number, process: Process): Thread {
    // A process's first thread is its leader: its tid is the pid.
    const vtid = tid === process.pid ? process.vpid : this.pids.allocate(process.host, tid);
    const thread = new Thread(tid, process, this.serials++, vtid);
    process.threads.set(tid, thread);
    this.threads.set(tid, thread);
    return thread;
  }

  /**
   * `process` runs on `host` from now on. It keeps its pid, which names it
   * on its former host too (its parent there waits for it by that pid); on
   * `host` the pid names it as well, unless a process there holds it; so
   * do its threads' ids.
   */
  moveProcess(process: Process, host: string): void {
    process.host = host;
    this.pids.alias(host, process.vpid, process.pid);
    for (const thread of process.threads.values()) this.pids.alias(host, thread.vtid, thread.tid);
  }

  removeThread(thread: Thread): void {
    thread.state = 'exited';
    thread.process.threads.delete(thread.tid);
    if (this.threads.get(thread.tid) === thread) this.threads.delete(thread.tid);
  }

  get liveThreadCount(): number {
    return this.threads.size;
  }
}
