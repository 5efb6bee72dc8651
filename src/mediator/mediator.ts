import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { logger } from '../log.js';
import type { Services } from './syscalls/context.js';
import { Dispatcher } from './syscalls/dispatcher.js';
import { Lifecycle } from './loop/lifecycle.js';
import { ptrace, StopKind } from './native.js';
import { Scheduler } from './loop/scheduler.js';
import { deliverableSignal } from './tracees/pending-signals.js';
import { SignalActions } from './tracees/signal-actions.js';
import type { StraceSink } from './strace/formatter.js';
import type { MediatorObserver } from './observer.js';
import { notifiedNumbers, trappedNumbers } from './syscalls/table.js';
import { TraceeTable, type Process, type Thread } from './tracees/tracees.js';
import { Errno } from './abi/errno.js';
import { idleStep } from './loop/idle.js';
import { limitError, spawnLimitError } from './limits.js';
import { CpuModel, type CpuModelOptions } from './host/cpu-model.js';
import { measureStopOverheadNs } from './host/stop-overhead.js';
import { TimerfdTable } from './syscalls/handlers/timerfd.js';
import { VirtualTime } from './host/virtual-time.js';
import { RandomStreams } from './host/random.js';
import { CpuFiles } from './host/cpu-files.js';
import { NameFiles } from './host/name-files.js';
import type { Simulation } from '../sim/index.js';
import { VirtualNetwork, type NetworkMode } from '../net/index.js';
import { SimTransport } from './sockets/sim-transport.js';

const log = logger('mediator');

/** A program could not be started (missing, not executable, bad format): the user's to fix. */
export class SpawnError extends Error {
  constructor(
    readonly program: string,
    message: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

export interface LaunchSpec {
  /** Absolute path of the executable. */
  path: string;
  argv: string[];
  env: string[];
  cwd?: string;
  host: string;
  /** Descriptors of simterpose to give the program as stdout and stderr (default: simterpose's own). */
  stdout?: number;
  stderr?: number;
}

export interface MediatorOptions {
  /** Trap every syscall (for --strace), not only the mediated ones. */
  trapAll: boolean;
  /** Syscalls to leave untrapped and native (a developer's knob for benchmarks). */
  untrapped: ReadonlySet<string>;
  /** The CPU the tracer and every tracee share: one runs at a time anyway, and same-CPU stops are cheaper. */
  cpu: number | undefined;
  strace: StraceSink | undefined;
  /** The platform's engine: its clock is the virtual clock. */
  sim: Simulation;
  /** Seconds since 1970 that virtual time 0 corresponds to. */
  epoch: number;
  cpuModel: CpuModelOptions;
  /** Seeds every byte of randomness the tracees get. */
  seed: number;
  /** Told of processes, computations, waits and transfers (reports, traces, progress). */
  observer?: MediatorObserver;
  /** Where AF_INET traffic travels: copied by the mediator (full, the default) or through kernel loopback sockets (translate). */
  network?: NetworkMode;
  /**
   * The calls of `notifiedNumbers` (socket data, ids, clocks) come as seccomp
   * user notifications, not ptrace stops (default true; ignored under
   * --strace, which wants every call at a stop, and where the kernel cannot
   * wait for both at once). A notification costs less than a stop; every
   * wait then watches for both through io_uring, which costs each ptrace
   * stop 1-2 µs more.
   */
  notifySyscalls?: boolean;
}

/** Whether the kernel can wait for notifications next to stops; says why not if it cannot. */
function notificationsWork(): boolean {
  if (ptrace.notificationsAvailable()) return true;
  log.info('no io_uring with WAITID here (Linux 6.7 or later, not disabled): every trapped syscall is a ptrace stop');
  return false;
}

/** CPU time a tracee may use without any stop before it is preempted so that others can run. */
const PREEMPT_QUANTUM_MS = 20;

/**
 * How much polling a thread may do at one virtual date before it costs virtual
 * time, and how much: 10 polls (poll, select, epoll_wait, sched_yield) or
 * 10000 clock reads (a program's start-up reads the clock hundreds of times,
 * and must still see the epoch) cost 10 µs: about 1 µs a poll, what such a
 * syscall takes on a real machine, so that a program polling while it waits
 * makes as many polls as it would natively, not ten times more.
 */
const SPIN_BUDGET = 10_000;
const POLLING_WEIGHTS = new Map([
  ...[7, 23, 270, 271, 232, 281, 441, 24].map((sysno) => [sysno, 1000] as const),
  ...[96, 201, 228].map((sysno) => [sysno, 1] as const),
]);
const SPIN_PAUSE = 10e-6;

const TCP_SEND_BUFFER = 4 * 1024 * 1024;
const TCP_RECEIVE_BUFFER = 6 * 1024 * 1024;

/** How often the loop lets Node's event loop run (output streams, signals), in milliseconds. */
const YIELD_EVERY_MS = 50;
/**
 * Steps between two looks at the wall clock for that: a step takes 5 µs at
 * least, and reading the clock (performance.now) cost 2-3% of a bulk
 * transfer's time when done at every step. An idle turn, which may have
 * waited for outside input, always looks.
 */
const STEPS_BETWEEN_CLOCK_READS = 32;

/**
 * The tracer loop: picks the one thread to run, resumes it, waits for its
 * next stop and hands the stop to the lifecycle (fork, exec, exit, signals)
 * or the dispatcher (syscalls). It knows ptrace and waitpid, no syscall logic.
 */
export class Mediator implements Services {
  readonly tracees = new TraceeTable();
  readonly scheduler: Scheduler;
  readonly time: VirtualTime;
  readonly timerfds = new TimerfdTable();
  readonly network: VirtualNetwork;
  readonly random: RandomStreams;
  readonly cpuFiles: CpuFiles;
  readonly nameFiles: NameFiles;
  readonly outputs = new Map<string, (process: Process, bytes: Buffer) => void>();
  /** Programs of a deployment whose start time has not come yet. */
  private pendingLaunches = 0;
  /** Tracee stops handled so far, one per step of the loop: the unit of work benchmarks count as events. */
  stops = 0;
  private readonly cpu: CpuModel;
  private readonly hostIndexes = new Map<string, number>();
  private readonly stop = new Float64Array(8);
  private readonly dispatcher: Dispatcher;
  private readonly lifecycle: Lifecycle;
  private readonly trapList: number[];
  /** Syscalls that come as seccomp user notifications (see MediatorOptions.notifySyscalls). */
  private readonly notifyList: number[];
  /** The listeners of the programs launched, closed once the run is over. */
  private readonly listeners: number[] = [];
  private signalCheckDue = false;
  private readonly observer: MediatorObserver | undefined;

  constructor(private readonly options: MediatorOptions) {
    this.trapList = trappedNumbers(options.untrapped);
    this.notifyList = options.notifySyscalls !== false && !options.trapAll && notificationsWork() ? notifiedNumbers(options.untrapped) : [];
    this.observer = options.observer;
    this.scheduler = new Scheduler(options.sim);
    this.time = new VirtualTime(this.scheduler, options.epoch);
    options.sim.hosts().forEach((host, index) => this.hostIndexes.set(host.name, index));
    this.random = new RandomStreams(options.seed, [...this.hostIndexes.keys()]);
    this.cpuFiles = new CpuFiles(options.epoch);
    this.network = new VirtualNetwork(options.sim.hosts(), new SimTransport(options.sim, this.scheduler, this.hostIndexes, this.observer), {
      now: () => this.scheduler.now,
      // Linux grows TCP buffers up to these (tcp_wmem, tcp_rmem maxima): programs that send a lot before reading rely on it.
      sendBufferSize: TCP_SEND_BUFFER,
      receiveBufferSize: TCP_RECEIVE_BUFFER,
      mode: options.network ?? 'full',
    });
    this.nameFiles = new NameFiles(this.network.addresses.entries);
    this.dispatcher = new Dispatcher(this, options.strace);
    this.lifecycle = new Lifecycle(this.tracees, this.scheduler, this.stop, {
      signalsMayBePending: () => this.signalsMayBePending(),
      threadStarted: (thread) => this.cpu.attach(thread),
      stopped: (thread, notified) => this.cpu.stopped(thread, notified),
      threadEnded: (thread) => {
        this.cpu.detach(thread);
        thread.process.exitedThreadsCpuTime += thread.cpuTime;
        this.observer?.threadEnded(thread, this.scheduler.now);
      },
      processStarted: (process) => this.observer?.processStarted(process, this.scheduler.now),
      processExited: (process) => this.observer?.processExited(process, this.scheduler.now),
      preempted: (thread) => {
        if (!this.chargeWork(thread)) this.scheduler.yieldThread(thread);
      },
      randomBytes: (process, length) => this.random.of(process).take(length),
    });
    ptrace.setPreemptQuantum(PREEMPT_QUANTUM_MS);
    if (options.cpu !== undefined) ptrace.pinThisThread(options.cpu);
    // Once pinned: the stop overhead is measured with the run's pinning.
    if (options.cpuModel.model === 'cputime') {
      const stopNs = this.measureStopOverhead(false);
      this.cpu = new CpuModel(options.cpuModel, stopNs, this.notifyList.length > 0 ? this.measureStopOverhead(true) : stopNs);
    } else {
      this.cpu = new CpuModel(options.cpuModel);
    }
  }

  /** CPU time (ns) a ptrace stop costs a tracee, not charged as its work (cputime model; 0 otherwise). */
  get stopOverheadNs(): number {
    return this.cpu.stopOverheadNs;
  }

  /** The same for a user notification, when syscalls come as such (the stop's cost otherwise). */
  get notificationOverheadNs(): number {
    return this.notifyList.length > 0 ? this.cpu.notificationOverheadNs : this.cpu.stopOverheadNs;
  }

  /** What a ptrace stop (or, `notified`, a user notification) costs a tracee here, measured under the run's filter. */
  private measureStopOverhead(notified: boolean): number {
    const what = notified ? 'user notification' : 'ptrace stop';
    let overhead: number;
    try {
      overhead = measureStopOverheadNs({ trapSyscalls: this.trapList, trapAll: this.options.trapAll, cpu: this.options.cpu, notified });
    } catch (error) {
      // E.g. a kernel that refuses to execute memory files (vm.memfd_noexec): the run goes on, stops charged as work.
      log.warn({ error: (error as Error).message }, `cputime model: could not measure what a ${what} costs a tracee; it is charged as work`);
      return 0;
    }
    log.info({ overheadUs: Number((overhead / 1e3).toFixed(2)) }, `cputime model: the CPU time each ${what} costs a tracee is not charged`);
    return overhead;
  }

  signalsMayBePending(): void {
    this.signalCheckDue = true;
  }

  coresOf(host: string): number {
    return this.options.sim.hosts()[this.hostIndexes.get(host)!]!.cores;
  }

  /** Starts a program, stopped at its first instruction; it runs once `run` is called. */
  launch(spec: LaunchSpec): Process {
    let pid: number;
    try {
      pid = this.spawn(spec);
    } catch (error) {
      throw spawnLimitError(error, this.liveProcessCount()) ?? new SpawnError(spec.argv[0] ?? spec.path, error instanceof Error ? error.message : String(error));
    }
    const command = spec.argv[0] ?? spec.path;
    const process = this.tracees.addProcess(pid, undefined, command, spec.host, new SignalActions());
    process.listener = ptrace.takeListener(pid) ?? undefined;
    if (process.listener !== undefined) this.listeners.push(process.listener);
    const thread = this.tracees.addThread(pid, process);
    this.observer?.processStarted(process, this.scheduler.now);
    this.cpu.attach(thread);
    this.lifecycle.execDone(thread);
    this.scheduler.makeRunnable(thread);
    log.debug({ pid, argv: spec.argv, host: spec.host }, 'launched');
    return process;
  }

  private spawn(spec: LaunchSpec): number {
    return ptrace.spawn({
      path: spec.path,
      argv: spec.argv,
      env: spec.env,
      cwd: spec.cwd,
      trapSyscalls: this.trapList,
      notifySyscalls: this.notifyList,
      trapAll: this.options.trapAll,
      cpu: this.options.cpu,
      stdout: spec.stdout,
      stderr: spec.stderr,
    });
  }

  /** Starts a program when virtual time reaches `startTime` (a deployment's start_time). */
  launchAt(spec: LaunchSpec, startTime: number, launched: (process: Process) => void): void {
    if (startTime <= this.scheduler.now) {
      try {
        launched(this.launch(spec));
      } catch (error) {
        // Called before `run`, which would otherwise have killed those already started.
        this.killAll();
        throw error;
      }
      return;
    }
    this.pendingLaunches++;
    this.scheduler.at(startTime, () => true, () => {
      this.pendingLaunches--;
      launched(this.launch(spec));
    });
  }

  /** Runs every tracee to its end. Throws (after killing them all) on a deadlock or an unsupported syscall. */
  async run(): Promise<void> {
    let lastYield = performance.now();
    try {
      while (this.tracees.liveThreadCount > 0 || this.pendingLaunches > 0) {
        const thread = this.scheduler.next();
        if (thread === undefined) {
          this.observer?.idle();
          idleStep(this.scheduler, this.tracees);
        } else {
          this.observer?.running(thread, this.scheduler.now);
          this.step(thread);
        }
        if (this.signalCheckDue) this.interruptSignalledWaits();
        const clockDue = thread === undefined || this.stops % STEPS_BETWEEN_CLOCK_READS === 0;
        if (clockDue && performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
      }
    } catch (error) {
      const alive = this.liveProcessCount();
      this.killAll();
      throw limitError(error, alive) ?? error;
    } finally {
      this.cpuFiles.remove();
      this.nameFiles.remove();
      this.closeListeners();
    }
  }

  private liveProcessCount(): number {
    let alive = 0;
    for (const process of this.tracees.processes.values()) if (process.alive) alive++;
    return alive;
  }

  /** Gives `thread` the CPU until its next stop. */
  private step(thread: Thread): void {
    this.stops++;
    const next = thread.next;
    // From its resume to its next stop the thread may use the CPU; a dispatch resumes it once the handler is done.
    if (next.kind !== 'dispatch') this.cpu.resumed(thread);
    try {
      switch (next.kind) {
        case 'dispatch': {
          if (this.chargeWork(thread) || this.throttleSpinning(thread)) return;
          const outcome = this.dispatcher.dispatch(thread);
          if (outcome.kind === 'blocked') {
            this.scheduler.block(thread, outcome.wait);
            this.observer?.waitStarted(thread, outcome.wait, this.scheduler.now);
            return;
          }
          if (outcome.kind === 'done') this.observer?.syscallDone(thread, outcome.value, this.scheduler.now);
          this.cpu.resumed(thread);
          this.dispatcher.apply(thread, outcome);
          break;
        }
        case 'outcome':
          this.dispatcher.apply(thread, next.outcome);
          break;
        case 'restart':
          this.dispatcher.restart(thread);
          break;
        case 'resume':
          // After a fork event, the syscall's exit is still to come: stop there if its result is to be rewritten.
          ptrace.resume(thread.tid, next.signal, thread.afterExit !== undefined);
          break;
        case 'finish':
          ptrace.resume(thread.tid, 0, false);
          break;
      }
    } catch (error) {
      // A thread killed while stopped (SIGKILL from outside, or its group exiting) cannot be resumed; its death is collected below.
      if ((error as { code?: string }).code !== 'ESRCH') throw error;
    }
    this.lifecycle.awaitStop(thread);
  }

  /**
   * A thread polling in a loop (select returning at once, clock reads...)
   * makes syscalls without ever blocking, so virtual time would never move
   * for the events it polls for. Once it spent SPIN_BUDGET at one virtual
   * date, it pauses for SPIN_PAUSE of virtual time, as the calls themselves
   * would have taken a little time on a real machine.
   */
  private throttleSpinning(thread: Thread): boolean {
    const weight = POLLING_WEIGHTS.get(thread.syscall.sysno);
    if (weight === undefined) return false;
    const now = this.scheduler.now;
    if (thread.spin.date !== now) {
      thread.spin.date = now;
      thread.spin.syscalls = 0;
    }
    thread.spin.syscalls += weight;
    if (thread.spin.syscalls < SPIN_BUDGET) return false;
    thread.spin.syscalls = 0;
    // Like a computation, the pause comes before the syscall starts: it ends by re-dispatching it.
    this.scheduler.block(thread, { kind: 'compute', reason: 'its polling loop to go on', deadline: now + SPIN_PAUSE, onSignal: 'restartable' });
    return true;
  }

  /**
   * The work done since the thread's previous stop runs first, as an exec on
   * its host; the syscall waits for its completion. Returns true if it waits.
   */
  private chargeWork(thread: Thread): boolean {
    const flops = this.cpu.takeWork(thread);
    if (flops === 0) return false;
    const host = this.hostIndexes.get(thread.process.host)!;
    const sim = this.options.sim;
    const activity = sim.startExec(host, flops);
    thread.cpuTime += flops / sim.hosts()[host]!.speed;
    this.scheduler.block(thread, { kind: 'compute', reason: `its computation of ${flops.toPrecision(3)} flops to end`, onSignal: 'restartable' });
    const start = this.scheduler.now;
    // At a preemption the thread is not at a syscall: a plain resume, not a dispatch, follows the exec.
    this.scheduler.onActivityEnd(activity, () => {
      this.observer?.computed(thread, start, this.scheduler.now, flops);
      this.scheduler.wake(thread);
    });
    return true;
  }

  /**
   * Blocked threads sit at a syscall stop, where the kernel cannot deliver
   * their signals. When one is pending, end the wait as Linux would: the
   * syscall fails with EINTR, or restarts after the handler (SA_RESTART).
   */
  private interruptSignalledWaits(): void {
    this.signalCheckDue = false;
    // A vfork parent is not at a syscall stop, and a computing thread has not started its syscall yet.
    const candidates = [...this.scheduler.blocked].filter((t) => t.wait?.kind !== 'vfork' && t.wait?.kind !== 'compute').sort((a, b) => a.serial - b.serial);
    const interruptedProcesses = new Set<Process>();
    for (const thread of candidates) {
      const wait = thread.wait!;
      if (interruptedProcesses.has(thread.process)) continue;
      const pending = deliverableSignal(thread, wait.mask);
      if (pending === undefined) continue;
      const { signal, blockedNow } = pending;
      interruptedProcesses.add(thread.process);
      const actions = thread.process.signalActions;
      if (!actions.handles(signal) || blockedNow) {
        // Default action (end or stop the process), or a signal only the call's own mask lets through
        // (sigsuspend, ppoll...): run the call again, and the kernel delivers it under that mask.
        this.scheduler.restart(thread);
      } else if (wait.onSignal === 'restartable' && actions.restarts(signal)) {
        this.scheduler.restart(thread);
      } else {
        this.scheduler.wake(thread, wait.onInterrupt?.(thread) ?? { kind: 'errno', errno: Errno.EINTR });
      }
      log.debug({ thread: thread.label, signal }, 'wait interrupted by a signal');
    }
  }

  /** Leaves nothing behind: every tracee is killed and reaped. */
  killAll(): void {
    for (const process of this.tracees.processes.values()) {
      if (!process.alive) continue;
      try {
        ptrace.signalProcess(process.pid, 9);
      } catch {
        // Already gone.
      }
    }
    // A leader is reported only once its other threads are: reap them first.
    const threads = [...this.tracees.threads.values()].sort((a, b) => Number(a.tid === a.process.pid) - Number(b.tid === b.process.pid));
    for (const thread of threads) {
      try {
        while (true) {
          const kind = ptrace.waitStop(thread.tid, this.stop, false);
          if (kind === StopKind.exited || kind === StopKind.killed) break;
          ptrace.resume(thread.tid, 0, false);
        }
      } catch {
        // Reaped with its group, or never ours.
      }
      this.cpu.detach(thread);
      this.tracees.removeThread(thread);
    }
    // The descriptors kept per process (its pidfd) go with it: a test suite runs many experiments in one process.
    for (const process of this.tracees.processes.values()) if (process.alive) ptrace.forgetProcess(process.pid);
    this.closeListeners();
  }

  private closeListeners(): void {
    for (const listener of this.listeners.splice(0)) ptrace.closeListener(listener);
  }
}
