import type { Process } from '../mediator/tracees/tracees.js';
import type { MigrationPolicy, PlacementState } from './policy.js';
import type { Migration } from './spec.js';

/** A migration as it happened (or why it could not). */
export interface MigrationEvent {
  /** The process, as it was named when it froze; undefined when none could be found. */
  process: Process | undefined;
  /** The pid it was asked by (its host's namespace), for a migration that found no process. */
  asked: string;
  from: string;
  to: string;
  /** When it froze. */
  start: number;
  /** How long it was frozen: from `start` to its resumption on `to`. */
  downtime: number;
  /** The state that crossed from `from` to `to`. */
  bytes: number;
  /** Why nothing moved (no such process then, one exited or migrating already), or undefined. */
  missed?: string;
}

/** What migrations act on: the run's clock, its processes, SimGrid's comms. */
export interface MigrationHooks {
  now(): number;
  /** Runs `action` at virtual `date`, if the run still goes on. */
  at(date: number, action: () => void): void;
  /** The live process of `host` whose pid there is `pid`. */
  processOn(host: string, pid: number): Process | undefined;
  /** Takes the process off the CPU: its threads hold where they are, their computations suspended. */
  freeze(process: Process): void;
  /** The bytes its state amounts to (see state-size.ts). */
  stateBytes(process: Process): number;
  /** Carries `bytes` from `from` to `to` as a SimGrid comm on the platform's route; `done` when it completes. */
  transfer(from: string, to: string, bytes: number, done: () => void): void;
  /** The process runs on `host` from now on, with its sockets, and is let go. */
  resume(process: Process, host: string): void;
  happened(event: MigrationEvent): void;
}

/**
 * Carries out stop-and-copy migrations: at its date the process is frozen,
 * its state (memory, threads, descriptors) crosses to the new host as one
 * comm, and it resumes there when the comm completes. What it was computing
 * when it froze is finished on the new host's CPU.
 */
export class Migrator {
  /** Migrations whose state is crossing, by process: what to report of them if the run ends first. */
  private readonly crossing = new Map<Process, MigrationEvent>();

  constructor(private readonly hooks: MigrationHooks) {}

  /** The run ended: a migration still under way is reported as not done, its process having ended before it. */
  runEnded(): void {
    for (const [process, event] of this.crossing) {
      const why = process.alive ? 'the run ended while its state crossed' : `process ${event.asked} ended while its state crossed`;
      this.hooks.happened({ ...event, missed: why });
    }
    this.crossing.clear();
  }

  /** A migration of `--migrate` or `migrations`: the process is looked for on its host at the date. */
  scripted(migrations: readonly Migration[]): void {
    // In date order, ties in the order given: the same run every time.
    const order = migrations.map((migration, index) => ({ migration, index })).sort((a, b) => a.migration.at - b.migration.at || a.index - b.index);
    for (const { migration } of order) {
      this.hooks.at(migration.at, () => this.start(this.hooks.processOn(migration.host, migration.pid), `${migration.pid}@${migration.host}`, migration.to));
    }
  }

  /** A migration of a deployment's actor (`<migrate time="T" host="B"/>`): that very process, wherever it is by then. */
  ofProcess(process: Process, at: number, to: string): void {
    this.hooks.at(at, () => this.start(process, `${process.vpid}@${process.host}`, to));
  }

  /**
   * Asks `policy` every so often what to move, for as long as `goesOn`
   * says the run can still change (a policy's timer alone would keep a run
   * whose processes all wait forever from ever ending).
   */
  follow(policy: MigrationPolicy, observe: () => PlacementState, goesOn: () => boolean): void {
    const first = this.hooks.now();
    // The nth call at first + n × every, not at sums of `every`, whose rounding would drift.
    const tick = (n: number): void => {
      this.hooks.at(first + n * policy.every, () => {
        for (const move of policy.decide(observe()) ?? []) this.start(this.hooks.processOn(move.host, move.pid), `${move.pid}@${move.host}`, move.to);
        if (goesOn()) tick(n + 1);
      });
    };
    tick(1);
  }

  private start(process: Process | undefined, asked: string, to: string): void {
    const start = this.hooks.now();
    const missed = (why: string, from: string): void => this.hooks.happened({ process, asked, from, to, start, downtime: 0, bytes: 0, missed: why });
    const obstacle = obstacleTo(process, asked, to);
    if (obstacle !== undefined) {
      missed(obstacle, process?.alive === true ? process.host : '');
      return;
    }
    const from = process!.host;
    this.hooks.freeze(process!);
    const bytes = this.hooks.stateBytes(process!);
    this.crossing.set(process!, { process, asked, from, to, start, downtime: 0, bytes: 0 });
    this.hooks.transfer(from, to, bytes, () => {
      this.crossing.delete(process!);
      // Killed while it crossed (a fault, a kill_time): there is nothing to resume.
      if (!process!.alive) {
        missed(`process ${asked} ended while its state crossed`, from);
        return;
      }
      this.hooks.resume(process!, to);
      this.hooks.happened({ process, asked, from, to, start, downtime: this.hooks.now() - start, bytes });
    });
  }
}

/** Why the process cannot move to `to` now, if it cannot. */
function obstacleTo(process: Process | undefined, asked: string, to: string): string | undefined {
  if (process === undefined || !process.alive) return `no process ${asked}`;
  if (process.migrating) return `process ${asked} is migrating already`;
  if (process.host === to) return `process ${asked} is on ${to} already`;
  return undefined;
}
