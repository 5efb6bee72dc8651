import { FifoOpens } from './syscalls/fifo-opens.js';
import { readFileSync } from 'node:fs';
import { RunFailedError } from '../errors.js';
import { EXIT_STATUS, type StopCause } from '../exit-status.js';
import { logger } from '../log.js';
import type { Simulation } from '../sim/index.js';
import { VirtualNetwork, type NetworkMode } from '../net/index.js';
import { CpuFiles } from './host/cpu-files.js';
import { CpuModel, type CpuModelOptions } from './host/cpu-model.js';
import { NameFiles } from './host/name-files.js';
import { ProcFiles } from './host/proc-files.js';
import { RandomStreams } from './host/random.js';
import { measureStopOverheadNs } from './host/stop-overhead.js';
import { timerSignalDelivered } from './host/posix-timers.js';
import { TimePage } from './host/time-page.js';
import { TimerfdTable } from './host/timerfds.js';
import { VirtualTime, type ClockSkew } from './host/virtual-time.js';
import { FaultInjector, type FaultHooks } from '../faults/injector.js';
import { FaultyTransport } from '../faults/faulty-transport.js';
import { NetworkState } from '../faults/network-state.js';
import type { Fault } from '../faults/spec.js';
import type { StateProfile } from '../faults/state-profiles.js';
import { Migrator, type MigrationHooks } from '../migration/migrator.js';
import type { MigrationPolicy, PlacementState } from '../migration/policy.js';
import type { Migration } from '../migration/spec.js';
import { PageSnapshot } from '../migration/page-snapshot.js';
import { anonymousBytes, fixedStateBytes, migrationBytes } from '../migration/state-size.js';
import { limitError, spawnLimitError } from './limits.js';
import { Computation } from './loop/computation.js';
import { Lifecycle } from './loop/lifecycle.js';
import { TracerLoop } from './loop/loop.js';
import { Scheduler } from './loop/scheduler.js';
import { Tracer } from './loop/tracer.js';
import { ptrace, type SpawnOptions } from './native.js';
import { JobControl } from './loop/job-control.js';
import type { MediatorObserver } from './observer.js';
import { DATA_PATHS } from './sockets/data-paths.js';
import { SocketFile } from './sockets/socket-file.js';
import { SimTransport } from './sockets/sim-transport.js';
import type { StraceSink } from './strace/formatter.js';
import type { OutputPipe, Services } from './syscalls/context.js';
import { Dispatcher } from './syscalls/dispatcher.js';
import { notifiedNumbers, notifiedStops, stopGates, trappedNumbers } from './syscalls/table.js';
import { CORE_DUMPING_SIGNALS, SIGKILL } from './abi/signal.js';
import { CredentialPassing } from './tracees/credential-passing.js';
import { kernelFds } from './tracees/kernel-fds.js';
import { KernelEdges } from './tracees/kernel-edges.js';
import { kernelIpc } from './tracees/kernel-ipc.js';
import { SignalActions } from './tracees/signal-actions.js';
import { traceeSignals } from './tracees/signals.js';
import { TraceeTable, type Process, type Thread } from './tracees/tracees.js';

const log = logger('mediator');

/** A program could not be started (missing, not executable, bad format): the user's to fix. */
export class SpawnError extends Error {
  constructor(
    readonly program: string,
    /** The executable's path. */
    readonly path: string,
    message: string,
    /** The errno name the exec failed with, when it did. */
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SpawnError';
  }

  /**
   * Why exec refused the program, in the words a shell would use: ENOENT
   * for a file that exists means its #! interpreter is missing.
   */
  get reason(): string {
    if (this.code === 'ENOENT') {
      const interpreter = /^#!\s*(\S+)/.exec(firstLine(this.path) ?? '')?.[1];
      if (interpreter !== undefined) return `bad interpreter ${interpreter}: no such file`;
    }
    if (this.code === 'ENOEXEC') return 'not a program Linux can run (no #! line, or a file of another format)';
    return this.message;
  }
}

function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').split('\n', 1)[0];
  } catch {
    return undefined;
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
  network: NetworkMode;
  /**
   * The calls of `notifiedNumbers` (socket data, ids, clocks) come as seccomp
   * user notifications, not ptrace stops (ignored under --strace, which
   * wants every call at a stop, and where the kernel cannot wait for both
   * at once). A notification costs less than a stop; every wait then
   * watches for both through io_uring, which costs each ptrace stop 1-2 µs more.
   */
  notifySyscalls: boolean;
  /**
   * Each exec gets simterpose's own vDSO, whose clock reads are answered in
   * the program from a page the mediator keeps, without a stop, where that
   * gives the same answers as a trapped read: under --cpu-model none, and
   * under cputime until the thread may have run --cpu-threshold of work
   * since its last stop. Off, or under the instructions model, the vDSO is
   * removed and every read traps.
   */
  vdso: boolean;
  /** Virtual date at which every process left is killed and the run ends (see `run`). */
  stopTime: number | undefined;
  /** Told, as it happens, of a process that crashed: killed by a signal that dumps core, or by a SIGKILL from outside the run. */
  onCrash?: (process: Process, signal: number) => void;
  /** Scripted faults (src/faults): hosts and links that go down and come back, processes killed or paused, clocks skewed. */
  faults?: readonly Fault[];
  /** Scripted migrations (src/migration): processes moved to another host at a date. */
  migrations?: readonly Migration[];
  /** A policy asked every so often which processes to move where (src/migration/policy.ts). */
  migrationPolicy?: MigrationPolicy;
  /** The platform's state profiles: hosts and links that turn off and on, as faults do. */
  stateProfiles?: readonly StateProfile[];
}

/** A program of the command line or deployment, as a restart starts it again. */
interface Actor {
  spec: LaunchSpec;
  times: LaunchTimes;
  onFailure: 'DIE' | 'RESTART';
  launched: (process: Process) => void;
}

/** When a program of the command line or deployment starts, and when it and its descendants are killed (an actor's kill_time). */
export interface LaunchTimes {
  start: number;
  kill?: number;
}

/** Why `run` stopped the processes left before they ended on their own. */
export type StopReason = 'stop-time' | 'wall-limit' | 'interrupted';

/** How `run` ended, and the processes it killed for it. */
export interface RunOutcome {
  end: 'completed' | StopReason;
  stopped: Process[];
}

/** Whether the kernel can wait for notifications next to stops; says why not if it cannot. */
function notificationsWork(): boolean {
  if (ptrace.notificationsAvailable()) return true;
  log.info('no io_uring with WAITID here (Linux 6.7 or later, not disabled): every trapped syscall is a ptrace stop');
  return false;
}

/**
 * Whether programs run without address-space randomization, as simterpose
 * starts them unless this machine refuses personality(ADDR_NO_RANDOMIZE)
 * (Docker's default seccomp profile does): they then keep the randomization
 * the container gives them, and the addresses they see vary from run to run.
 */
export function addressRandomizationDisabled(): boolean {
  return ptrace.addressRandomizationDisabled();
}

/** CPU time a tracee may use without any stop before it is preempted so that others can run. */
const PREEMPT_QUANTUM_MS = 20;

/**
 * Linux grows TCP buffers up to the maxima of tcp_wmem (4194304) and
 * tcp_rmem (6291456). The receiver's window is half of its buffer, the rest
 * being Linux's bookkeeping (as SO_RCVBUF's doubling says). Autotuning
 * (tcp_rcv_space_adjust) keeps the window ahead of a sender in slow start,
 * doubling it per round trip, so only its ceiling is modelled. A bulk
 * sender's buffer holds large packets whose bookkeeping is small: nearly
 * all of its ceiling is payload.
 */
const TCP_SEND_BUFFER = 4194304;
const TCP_RECEIVE_BUFFER = 6291456 / 2;

/**
 * The mediator of one run: it builds what the programs see of their hosts
 * (time, network, randomness, files), starts the programs under ptrace and
 * runs them to their end through the tracer loop.
 */
export class Mediator {
  readonly tracees = new TraceeTable();
  readonly scheduler: Scheduler;
  readonly network: VirtualNetwork;
  /** Pipes given to programs as stdout and stderr, by "dev:ino": what is written there goes to the writer's output. */
  readonly outputs = new Map<string, OutputPipe>();
  /** Programs of a deployment whose start time has not come yet. */
  private pendingLaunches = 0;
  private readonly cpu: CpuModel;
  private readonly hostIndexes = new Map<string, number>();
  private readonly tracer = new Tracer();
  private readonly lifecycle: Lifecycle;
  private readonly loop: TracerLoop;
  private readonly cpuFiles: CpuFiles;
  private readonly nameFiles: NameFiles;
  private readonly procFiles = new ProcFiles();
  private readonly random: RandomStreams;
  private readonly trapList: number[];
  /** Syscalls that come as seccomp user notifications (see MediatorOptions.notifySyscalls). */
  private readonly notifyList: number[];
  /** What the seccomp filter reads of some calls' arguments: the same for every program, so worked out once. */
  private readonly argumentRules: Pick<SpawnOptions, 'stopNotifiedWhen' | 'stopOnlyWhen'>;
  /** The listeners of the programs launched, closed once the run is over. */
  private readonly listeners: number[] = [];
  private readonly observer: MediatorObserver | undefined;
  /** Set once the run is to end before its processes do: the loop stops at its next turn. */
  private stopReason: StopReason | undefined;
  /** The programs launched, by their process (each run of it, when restarted). */
  private readonly actors = new Map<Process, Actor>();
  private readonly faults: FaultInjector | undefined;
  private readonly migrator: Migrator;

  constructor(private readonly options: MediatorOptions) {
    this.trapList = trappedNumbers(options.untrapped);
    this.notifyList = options.notifySyscalls && !options.trapAll && notificationsWork() ? notifiedNumbers(options.untrapped) : [];
    this.argumentRules = { stopNotifiedWhen: notifiedStops(this.notifyList), stopOnlyWhen: stopGates(this.trapList) };
    this.observer = options.observer;
    const sim = options.sim;
    this.scheduler = new Scheduler(sim);
    for (const [index, host] of sim.hosts().entries()) this.hostIndexes.set(host.name, index);
    this.random = new RandomStreams(options.seed, [...this.hostIndexes.keys()]);
    this.cpuFiles = new CpuFiles(options.epoch);
    const faults = options.faults ?? [];
    const profiles = options.stateProfiles ?? [];
    const failing = faults.length > 0 || profiles.length > 0;
    const networkState = new NetworkState((source, destination) => sim.route(source, destination).links);
    const transport = new SimTransport(sim, this.scheduler, this.hostIndexes, this.observer);
    this.network = new VirtualNetwork(sim.hosts(), failing ? new FaultyTransport(transport, networkState) : transport, {
      now: () => this.scheduler.now,
      sendBufferSize: TCP_SEND_BUFFER,
      receiveBufferSize: TCP_RECEIVE_BUFFER,
      mode: options.network,
    });
    this.nameFiles = new NameFiles(this.network.addresses.entries, this.network.hostsFile());
    ptrace.setPreemptQuantum(PREEMPT_QUANTUM_MS);
    if (options.cpu !== undefined) ptrace.pinThisThread(options.cpu);
    // Once pinned: the stop overhead is measured with the run's pinning.
    if (options.cpuModel.model === 'cputime') {
      const stopNs = this.measureStopOverhead(false);
      this.cpu = new CpuModel(options.cpuModel, stopNs, this.notifyList.length > 0 ? this.measureStopOverhead(true) : stopNs);
    } else {
      this.cpu = new CpuModel(options.cpuModel);
    }
    const signals = traceeSignals(this.tracees.pids, () => this.loop.signalsMayBePending());
    const jobControl = new JobControl(this.tracees, this.scheduler, signals);
    const services: Services = {
      scheduler: this.scheduler,
      tracees: this.tracees,
      time: new VirtualTime(this.scheduler, options.epoch, this.tracees, clockSkews(faults)),
      timerfds: new TimerfdTable(),
      network: this.network,
      sockets: DATA_PATHS[options.network],
      random: this.random,
      cpuFiles: this.cpuFiles,
      nameFiles: this.nameFiles,
      procFiles: this.procFiles,
      kernelFds,
      credentialPassing: new CredentialPassing(kernelFds),
      kernelEdges: new KernelEdges(),
      fifoOpens: new FifoOpens(),
      kernelIpc,
      signals,
      coresOf: (host) => sim.hosts()[this.hostIndexes.get(host)!]!.cores,
      outputs: this.outputs,
    };
    const computation = new Computation(this.cpu, sim, this.scheduler, this.hostIndexes, this.observer);
    const dispatcher = new Dispatcher(services, (thread) => this.tracer.stackPointer(thread.tid), options.strace);
    // Under --strace every clock read is to be seen, at a stop. Under the
    // instructions model, wall time does not bound the work a read answered
    // without a stop would miss (see host/time-page.ts).
    const ownVdso = options.vdso && options.cpuModel.model !== 'instructions' && !options.trapAll;
    this.lifecycle = new Lifecycle(
      this.tracees,
      this.scheduler,
      this.tracer,
      {
        signalsMayBePending: () => this.loop.signalsMayBePending(),
        threadStarted: (thread) => this.cpu.attach(thread),
        threadEnded: (thread) => {
          computation.abandon(thread);
          this.cpu.detach(thread);
          thread.process.exitedThreadsCpuTime += thread.cpuTime;
          this.observer?.threadEnded(thread, this.scheduler.now);
        },
        processStarted: (process) => this.observer?.processStarted(process, this.scheduler.now),
        processExited: (process, seen) => {
          this.observer?.processExited(process, this.scheduler.now);
          const signal = seen ? crashSignal(process) : undefined;
          if (signal !== undefined) options.onCrash?.(process, signal);
        },
        preempted: (thread) => {
          if (!computation.charge(thread)) this.scheduler.yieldThread(thread);
        },
        syscallReturned: (thread, result) => dispatcher.returned(thread, result),
        randomBytes: (process, length) => this.random.of(process).take(length),
        timerSignalDelivered: (process, info) => timerSignalDelivered(process, info, services),
        jobStopped: (process, signal) => jobControl.stop(process, signal),
      },
      ownVdso,
    );
    this.loop = new TracerLoop({
      tracees: this.tracees,
      scheduler: this.scheduler,
      tracer: this.tracer,
      lifecycle: this.lifecycle,
      dispatcher,
      computation,
      cpu: this.cpu,
      jobControl,
      observer: this.observer,
      timePage: ownVdso ? new TimePage(services.time, computation, this.cpu) : undefined,
    });
    // Set before any launch: a host turning on at a date comes before the restarts and launches due then.
    this.faults = failing ? new FaultInjector(faults, this.faultHooks(networkState, services), profiles) : undefined;
    this.migrator = new Migrator(this.migrationHooks(sim, computation));
    this.migrator.scripted(options.migrations ?? []);
    if (options.migrationPolicy !== undefined)
      this.migrator.follow(
        options.migrationPolicy,
        () => this.placement(sim),
        () => this.stopReason === undefined && this.somethingCanHappen(sim),
      );
    // Set before any launch: a program due at the stop time does not start.
    const stopTime = options.stopTime;
    if (stopTime !== undefined)
      this.scheduler.at(
        stopTime,
        () => this.stopReason === undefined,
        () => this.stop('stop-time'),
      );
  }

  /** Tracee stops handled so far: the unit of work benchmarks count as events. */
  get stops(): number {
    return this.loop.steps;
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

  /** Starts a program, stopped at its first instruction; it runs once `run` is called. */
  launch(spec: LaunchSpec): Process {
    let pid: number;
    try {
      pid = this.spawn(spec);
    } catch (error) {
      throw (
        spawnLimitError(error, this.liveProcessCount()) ??
        new SpawnError(spec.argv[0] ?? spec.path, spec.path, error instanceof Error ? error.message : String(error), (error as { code?: string }).code)
      );
    }
    const command = spec.argv[0] ?? spec.path;
    const process = this.tracees.addProcess(pid, undefined, command, spec.host, new SignalActions(), this.scheduler.now);
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
      ...this.argumentRules,
      trapAll: this.options.trapAll,
      cpu: this.options.cpu,
      stdout: spec.stdout,
      stderr: spec.stderr,
    });
  }

  /**
   * Starts a program when virtual time reaches `times.start` (a deployment's
   * start_time); at `times.kill` (its kill_time), it and every process it
   * started are killed, and the run goes on without them.
   */
  launchAt(spec: LaunchSpec, times: LaunchTimes, launched: (process: Process) => void, onFailure: Actor['onFailure'] = 'DIE'): void {
    const actor: Actor = { spec, times, onFailure, launched };
    const started = (process: Process): void => this.actorStarted(actor, process);
    if (times.start <= this.scheduler.now) {
      try {
        started(this.launch(spec));
      } catch (error) {
        // Called before `run`, which would otherwise have killed those already started.
        this.killAll('cannot-execute');
        throw error;
      }
      return;
    }
    this.pendingLaunches++;
    this.scheduler.at(
      times.start,
      () => this.stopReason === undefined,
      () => {
        this.pendingLaunches--;
        started(this.launchDuringRun(spec));
      },
    );
  }

  /** A run of an actor began: it is told, and its kill_time, if to come, is set. */
  private actorStarted(actor: Actor, process: Process): void {
    this.actors.set(process, actor);
    actor.launched(process);
    const kill = actor.times.kill;
    if (kill !== undefined && kill > this.scheduler.now)
      this.scheduler.at(
        kill,
        () => this.stopReason === undefined,
        () => this.killDescendants(process),
      );
  }

  /** What the faults act on. */
  private faultHooks(network: NetworkState, services: Services): FaultHooks {
    return {
      now: () => this.scheduler.now,
      at: (date, action) => this.scheduler.at(date, () => this.stopReason === undefined, action),
      network,
      processesOn: (host) => [...this.tracees.processes.values()].filter((process) => process.alive && process.host === host),
      kill: (processes) => this.lifecycle.kill(processes, 'fault'),
      signal: (process, signal) => services.signals.toProcess(process, signal),
      freeze: (process, until) => {
        process.frozenUntil = Math.max(process.frozenUntil, until);
      },
      restartable: (process) => this.actors.get(process)?.onFailure === 'RESTART',
      restart: (process, started) => {
        const actor = this.actors.get(process)!;
        const restarted = this.launchDuringRun(actor.spec);
        this.actorStarted(actor, restarted);
        started(restarted);
      },
      happened: (event) => {
        this.observer?.faultHappened?.(event);
        this.options.strace?.faultHappened(event);
      },
    };
  }

  /** An actor's `<migrate time="T" host="B"/>`: its process moves to `host` at `at` (by pre-copy if `live`). */
  migrateAt(process: Process, at: number, host: string, live: boolean): void {
    this.migrator.ofProcess(process, at, host, live);
  }

  /** The hosts' loads and the live processes, for a migration policy. */
  private placement(sim: Simulation): PlacementState {
    const live = [...this.tracees.processes.values()].filter((process) => process.alive);
    const busy = (thread: Thread): boolean => thread.state === 'runnable' || (thread.state === 'blocked' && thread.wait?.kind === 'compute');
    return {
      now: this.scheduler.now,
      hosts: sim.hosts().map(({ name, cores, speed }) => ({
        name,
        cores,
        speed,
        load:
          live
            .filter((process) => process.host === name && !process.migrating)
            .reduce((sum, process) => sum + [...process.threads.values()].filter(busy).length, 0) / cores,
      })),
      processes: live.map((process) => ({
        host: process.host,
        pid: process.vpid,
        command: process.command,
        cpuTime: process.exitedThreadsCpuTime + [...process.threads.values()].reduce((sum, thread) => sum + thread.cpuTime, 0),
        memory: anonymousBytes(process.liveTid),
        migrating: this.migrator.migrating(process),
      })),
    };
  }

  /** Whether anything can still happen: a thread not waiting, an activity under way, a timer. */
  private somethingCanHappen(sim: Simulation): boolean {
    if (sim.pending() > 0 || this.scheduler.nextDeadline() !== undefined || this.pendingLaunches > 0) return true;
    for (const thread of this.tracees.threads.values()) if (thread.state === 'runnable') return true;
    return false;
  }

  /** What migrations act on. */
  private migrationHooks(sim: Simulation, computation: Computation): MigrationHooks {
    return {
      now: () => this.scheduler.now,
      at: (date, action) => this.scheduler.at(date, () => this.stopReason === undefined, action),
      processOn: (host, pid) => [...this.tracees.processes.values()].find((process) => process.alive && process.host === host && process.vpid === pid),
      freeze: (process) => {
        process.migrating = true;
        for (const thread of process.threads.values()) computation.suspend(thread);
      },
      stateBytes: (process) => migrationBytes(process.liveTid, process.threads.size),
      fixedBytes: (process) => fixedStateBytes(process.liveTid, process.threads.size),
      memory: (process) => PageSnapshot.take(process.liveTid),
      transfer: (from, to, bytes, done) => {
        const comm = sim.startComm(this.hostIndexes.get(from)!, this.hostIndexes.get(to)!, bytes);
        this.scheduler.onActivityEnd(comm, done);
      },
      resume: (process, host) => {
        this.tracees.moveProcess(process, host);
        for (const object of process.fds.objects()) if (object instanceof SocketFile) object.socket.migrate(host);
        process.migrating = false;
        this.scheduler.release(process);
        for (const thread of process.threads.values()) computation.resume(thread);
      },
      happened: (event) => this.observer?.migrated?.(event),
    };
  }

  /** A program of the deployment that cannot start at its date ends the run: what follows would not be the experiment described. */
  private launchDuringRun(spec: LaunchSpec): Process {
    try {
      return this.launch(spec);
    } catch (error) {
      if (!(error instanceof SpawnError)) throw error;
      throw new RunFailedError('cannot-execute', `cannot execute '${error.program}': ${error.reason}`, undefined, EXIT_STATUS.cannotExecute);
    }
  }

  /** An actor's kill_time: the process and all it started, wherever they are now. */
  private killDescendants(origin: Process): void {
    const family = [...this.tracees.processes.values()].filter((process) => process.alive && process.origin === origin);
    log.debug({ pid: origin.pid, processes: family.length }, 'kill_time');
    this.lifecycle.kill(family, 'kill-time');
  }

  /**
   * Ends the run at the loop's next turn, before its processes end on their
   * own: `run` kills those left. The stop time calls it as virtual time
   * reaches it; a wall-clock limit or an interruption, from outside.
   */
  stop(reason: StopReason): void {
    this.stopReason ??= reason;
  }

  /**
   * Runs every tracee to its end, or until `stop`, which kills those left.
   * Throws (after killing them all) on a deadlock, an unsupported syscall
   * or another failure.
   */
  async run(): Promise<RunOutcome> {
    try {
      const finished = (): boolean => this.tracees.liveThreadCount === 0 && this.pendingLaunches === 0 && this.faults?.restartsPending !== true;
      await this.loop.run(() => this.stopReason !== undefined || finished());
      if (this.stopReason === undefined || finished()) return { end: 'completed', stopped: [] };
      const left = [...this.tracees.processes.values()].filter((process) => process.alive);
      this.lifecycle.kill(left, this.stopReason);
      return { end: this.stopReason, stopped: left };
    } catch (error) {
      const alive = this.liveProcessCount();
      const failure = limitError(error, alive) ?? error;
      this.killAll(failure instanceof RunFailedError ? failure.end : 'internal-error');
      throw failure;
    } finally {
      this.migrator.runEnded();
      this.cpuFiles.remove();
      this.nameFiles.remove();
      this.procFiles.remove();
      this.closeListeners();
    }
  }

  private liveProcessCount(): number {
    let alive = 0;
    for (const process of this.tracees.processes.values()) if (process.alive) alive++;
    return alive;
  }

  /** Leaves nothing behind: every tracee is killed and reaped, and counts as stopped for `cause`. */
  killAll(cause: StopCause): void {
    this.lifecycle.killAll(cause);
    this.closeListeners();
  }

  private closeListeners(): void {
    for (const listener of this.listeners.splice(0)) ptrace.closeListener(listener);
  }
}

/** The clocks the faults skew, by host. */
function clockSkews(faults: readonly Fault[]): Map<string, ClockSkew> {
  const skews = new Map<string, ClockSkew>();
  for (const fault of faults) if (fault.kind === 'clock') skews.set(fault.host, { offset: fault.offset, drift: fault.drift });
  return skews;
}

/** The signal of a crash: one whose default action dumps core, or a SIGKILL from outside the run (neither simterpose nor a program of the run sent it). */
function crashSignal(process: Process): number | undefined {
  const exit = process.exitStatus;
  if (exit === undefined || !('signal' in exit) || process.stopped !== undefined) return undefined;
  if (exit.signal === SIGKILL) return process.killedByTracee ? undefined : SIGKILL;
  return CORE_DUMPING_SIGNALS.has(exit.signal) ? exit.signal : undefined;
}
