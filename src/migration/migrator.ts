import type { Process } from '../mediator/tracees/tracees.js';
import type { PageSnapshot } from './page-snapshot.js';
import type { MigrationPolicy, PlacementState } from './policy.js';
import type { Migration } from './spec.js';

/**
 * A live migration stops copying while the process runs, and freezes it for
 * the last copy, once the pages written during a round fit in this many
 * bytes (16 pages)...
 */
export const STOP_AND_COPY_BYTES = 64 * 1024;
/** ...or after this many rounds, or once a round's pages are no fewer than the round before's (it writes as fast as they cross). */
export const MAX_PRECOPY_ROUNDS = 8;

/** A migration as it happened (or why it could not). */
export interface MigrationEvent {
  /** The process, as it was named when it began; undefined when none could be found. */
  process: Process | undefined;
  /** The pid it was asked by (its host's namespace), for a migration that found no process. */
  asked: string;
  from: string;
  to: string;
  /** Pre-copy rounds while it ran, then a stop-and-copy; a stop-and-copy only otherwise. */
  live: boolean;
  /** When it began: the process froze then (stop-and-copy), or its first pre-copy round began. */
  start: number;
  /** How long it was frozen: from the last copy's start to its resumption on `to`. */
  downtime: number;
  /** From `start` to its resumption on `to`. */
  duration: number;
  /** Copies made: the pre-copy rounds and the stop-and-copy (1 without pre-copy). */
  rounds: number;
  /** The state that crossed from `from` to `to`, every round's. */
  bytes: number;
  /** Why nothing moved (no such process then, one migrating already, one that ended meanwhile), or undefined. */
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
  /** The bytes its whole state amounts to (see state-size.ts). */
  stateBytes(process: Process): number;
  /** The bytes of its threads' and descriptors' state, beside its memory. */
  fixedBytes(process: Process): number;
  /** Its memory now, page by page (pre-copy). */
  memory(process: Process): PageSnapshot;
  /** Carries `bytes` from `from` to `to` as a SimGrid comm on the platform's route; `done` when it completes. */
  transfer(from: string, to: string, bytes: number, done: () => void): void;
  /** The process runs on `host` from now on, with its sockets, and is let go. */
  resume(process: Process, host: string): void;
  happened(event: MigrationEvent): void;
}

/**
 * Carries out migrations. Stop-and-copy: at its date the process is frozen,
 * its state (memory, threads, descriptors) crosses to the new host as one
 * comm, and it resumes there when the comm completes; what it was computing
 * when it froze is finished on the new host's CPU. Live (pre-copy): its
 * memory crosses while it runs, then, round after round, the pages it wrote
 * during the round before, until few enough are left; then it is frozen for
 * a stop-and-copy of those and of its threads' and descriptors' state.
 */
export class Migrator {
  /** Migrations under way, by process: what to report of them if the run ends first. */
  private readonly underWay = new Map<Process, MigrationEvent>();

  constructor(private readonly hooks: MigrationHooks) {}

  /** The run ended: a migration still under way is reported as not done. */
  runEnded(): void {
    for (const [process, event] of this.underWay) {
      const why = process.alive ? 'the run ended while its state crossed' : `process ${event.asked} ended while its state crossed`;
      this.hooks.happened({ ...event, missed: why });
    }
    this.underWay.clear();
  }

  /** Whether the process is migrating: copying while it runs, or frozen. */
  migrating(process: Process): boolean {
    return this.underWay.has(process);
  }

  /** Migrations of `--migrate` or `migrations`: the process is looked for on its host at the date. */
  scripted(migrations: readonly Migration[]): void {
    // In date order, ties in the order given: the same run every time.
    const order = migrations.map((migration, index) => ({ migration, index })).sort((a, b) => a.migration.at - b.migration.at || a.index - b.index);
    for (const { migration } of order) {
      const { host, pid, to, live } = migration;
      this.hooks.at(migration.at, () => this.start(this.hooks.processOn(host, pid), `${pid}@${host}`, to, live));
    }
  }

  /** A migration of a deployment's actor (`<migrate time="T" host="B"/>`): that very process, wherever it is by then. */
  ofProcess(process: Process, at: number, to: string, live: boolean): void {
    this.hooks.at(at, () => this.start(process, `${process.vpid}@${process.host}`, to, live));
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
        for (const move of policy.decide(observe()) ?? []) {
          this.start(this.hooks.processOn(move.host, move.pid), `${move.pid}@${move.host}`, move.to, move.live === true);
        }
        if (goesOn()) tick(n + 1);
      });
    };
    tick(1);
  }

  private start(process: Process | undefined, asked: string, to: string, live: boolean): void {
    const now = this.hooks.now();
    const event: MigrationEvent = { process, asked, from: '', to, live, start: now, downtime: 0, duration: 0, rounds: 0, bytes: 0 };
    const obstacle = this.obstacleTo(process, asked, to);
    if (obstacle !== undefined) {
      this.hooks.happened({ ...event, from: process?.alive === true ? process.host : '', missed: obstacle });
      return;
    }
    event.from = process!.host;
    this.underWay.set(process!, event);
    if (live) this.precopy(process!, event, this.hooks.memory(process!), undefined);
    else this.stopAndCopy(process!, event, this.hooks.stateBytes(process!));
  }

  /** Why the process cannot move to `to` now, if it cannot. */
  private obstacleTo(process: Process | undefined, asked: string, to: string): string | undefined {
    if (process === undefined || !process.alive) return `no process ${asked}`;
    if (this.underWay.has(process)) return `process ${asked} is migrating already`;
    if (process.host === to) return `process ${asked} is on ${to} already`;
    return undefined;
  }

  /**
   * One pre-copy round while the process runs: the pages of `memory` that
   * `previous` did not hold as they are (all of them in the first round)
   * cross; then the pages written meanwhile are looked at.
   */
  private precopy(process: Process, event: MigrationEvent, memory: PageSnapshot, previous: { snapshot: PageSnapshot; bytes: number } | undefined): void {
    const bytes = previous === undefined ? memory.bytes : memory.changedSince(previous.snapshot);
    const converged = previous !== undefined && (bytes <= STOP_AND_COPY_BYTES || bytes >= previous.bytes || event.rounds >= MAX_PRECOPY_ROUNDS);
    if (converged) {
      this.stopAndCopy(process, event, bytes + this.hooks.fixedBytes(process));
      return;
    }
    event.rounds++;
    event.bytes += bytes;
    this.hooks.transfer(event.from, event.to, bytes, () => {
      if (!this.stillThere(process, event)) return;
      this.precopy(process, event, this.hooks.memory(process), { snapshot: memory, bytes });
    });
  }

  /** The process is frozen while `bytes` cross, and resumes on the new host. */
  private stopAndCopy(process: Process, event: MigrationEvent, bytes: number): void {
    const frozen = this.hooks.now();
    this.hooks.freeze(process);
    event.rounds++;
    event.bytes += bytes;
    this.hooks.transfer(event.from, event.to, bytes, () => {
      if (!this.stillThere(process, event)) return;
      this.underWay.delete(process);
      this.hooks.resume(process, event.to);
      const now = this.hooks.now();
      this.hooks.happened({ ...event, downtime: now - frozen, duration: now - event.start });
    });
  }

  /** Whether the process outlived a copy; if not (killed by a fault, a kill_time), the migration is over, not done. */
  private stillThere(process: Process, event: MigrationEvent): boolean {
    if (process.alive) return true;
    this.underWay.delete(process);
    this.hooks.happened({ ...event, missed: `process ${event.asked} ended while its state crossed` });
    return false;
  }
}
