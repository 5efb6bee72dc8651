import { SIGKILL } from '../mediator/abi/signal.js';
import type { Process } from '../mediator/tracees/tracees.js';
import { describeFault, type DatedFault, type Fault } from './spec.js';
import type { NetworkState } from './network-state.js';
import { stateChanges, type StateProfile } from './state-profiles.js';

/** A fault as it happened: when, what, and the processes it ended or started. */
export interface FaultEvent {
  date: number;
  /** What happened, in words: `host beta off`. */
  fault: string;
  /** Processes it killed (SIGKILL). */
  killed: Process[];
  /** Processes it started again (actors with on_failure RESTART). */
  restarted: Process[];
  /** Why nothing happened, when nothing could (a process that was not there). */
  missed?: string;
}

/** What the faults act on: the run's processes, its network, its clock. */
export interface FaultHooks {
  now(): number;
  /** Runs `action` at virtual `date`, if the run still goes on. */
  at(date: number, action: () => void): void;
  network: NetworkState;
  /** The live processes of `host`. */
  processesOn(host: string): Process[];
  /** Kills these processes (SIGKILL), as a fault does. */
  kill(processes: Process[]): void;
  signal(process: Process, signal: number): void;
  /** Keeps the process off the CPU until `until`. */
  freeze(process: Process, until: number): void;
  /** Whether the process is an actor whose on_failure is RESTART. */
  restartable(process: Process): boolean;
  /** Starts the actor `process` was a run of again, afresh, now; `started` gets the new process. */
  restart(process: Process, started: (process: Process) => void): void;
  happened(event: FaultEvent): void;
}

/**
 * Carries out the dated faults of a run at their dates (clock skews are
 * the clocks' business, from the start). A host turning off loses its
 * network (see FaultyTransport) and then its processes, killed; its actors
 * with on_failure RESTART start again when it next turns on.
 */
export class FaultInjector {
  /** Restarts waiting for their host to turn on, by host. */
  private readonly restarts = new Map<string, FaultEvent[]>();

  constructor(
    private readonly faults: readonly Fault[],
    private readonly hooks: FaultHooks,
    private readonly profiles: readonly StateProfile[] = [],
  ) {
    // In date order, ties in the order given: the same run every time.
    const dated = faults.filter((fault): fault is DatedFault => fault.kind !== 'clock');
    const order = dated.map((fault, index) => ({ fault, index })).sort((a, b) => a.fault.at - b.fault.at || a.index - b.index);
    for (const { fault } of order) hooks.at(fault.at, () => this.apply(fault));
    for (const profile of profiles) this.follow(profile, stateChanges(profile));
  }

  /** Applies a state profile's changes one after the other (one timer at a time: a looping profile has no end). */
  private follow(profile: StateProfile, changes: Generator<{ date: number; on: boolean }>): void {
    const next = changes.next();
    if (next.done === true) return;
    const { date, on } = next.value;
    const fault: DatedFault = profile.kind === 'host' ? { kind: 'host', host: profile.name, on, at: date } : { kind: 'link', link: profile.name, on, at: date };
    this.hooks.at(date, () => {
      this.apply(fault);
      this.follow(profile, changes);
    });
  }

  /** Whether actors killed by a crash wait for their host, which a later fault turns on: the run is not over. */
  get restartsPending(): boolean {
    const now = this.hooks.now();
    for (const [host, waiting] of this.restarts) {
      if (waiting.length > 0 && (this.scriptedOn(host, now) || this.profiledOn(host, now))) return true;
    }
    return false;
  }

  private scriptedOn(host: string, now: number): boolean {
    return this.faults.some((fault) => fault.kind === 'host' && fault.on && fault.host === host && fault.at >= now);
  }

  private profiledOn(host: string, now: number): boolean {
    return this.profiles.some(
      (profile) =>
        profile.kind === 'host' && profile.name === host && profile.events.some((event) => event.on && (profile.period !== undefined || event.date >= now)),
    );
  }

  private apply(fault: DatedFault): void {
    const event: FaultEvent = { date: this.hooks.now(), fault: describeFault(fault), killed: [], restarted: [] };
    switch (fault.kind) {
      case 'host':
        // A host turned on that is on, or off that is off: nothing happens, nothing is told.
        if (!(fault.on ? this.turnOn(fault.host, event) : this.turnOff(fault.host, event))) return;
        break;
      case 'link':
        if (!this.hooks.network.setLink(fault.link, fault.on)) return;
        break;
      case 'signal':
      case 'pause': {
        const process = this.hooks.processesOn(fault.host).find((candidate) => candidate.vpid === fault.pid);
        if (process === undefined) {
          event.missed = `no process ${fault.pid} on ${fault.host}`;
        } else if (fault.kind === 'pause') {
          this.hooks.freeze(process, event.date + fault.duration);
        } else if (fault.signal === SIGKILL) {
          event.killed.push(process);
          this.hooks.kill([process]);
        } else {
          this.hooks.signal(process, fault.signal);
        }
        break;
      }
    }
    this.hooks.happened(event);
  }

  /** The host crashes: nothing more leaves or reaches it, then every process on it is killed. */
  private turnOff(host: string, event: FaultEvent): boolean {
    if (!this.hooks.network.setHost(host, false, event.date)) return false;
    const victims = this.hooks.processesOn(host);
    event.killed.push(...victims);
    const restartable = victims.filter((process) => this.hooks.restartable(process));
    this.hooks.kill(victims);
    if (restartable.length > 0) this.waitingRestarts(host).push({ ...event, killed: restartable });
    return true;
  }

  private turnOn(host: string, event: FaultEvent): boolean {
    if (!this.hooks.network.setHost(host, true, event.date)) return false;
    for (const crash of this.restarts.get(host)?.splice(0) ?? []) {
      for (const process of crash.killed) this.hooks.restart(process, (started) => event.restarted.push(started));
    }
    return true;
  }

  private waitingRestarts(host: string): FaultEvent[] {
    let waiting = this.restarts.get(host);
    if (waiting === undefined) {
      waiting = [];
      this.restarts.set(host, waiting);
    }
    return waiting;
  }
}
