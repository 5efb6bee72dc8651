import { UserError } from '../errors.js';

/** A host as a migration policy sees it. */
export interface HostLoad {
  name: string;
  cores: number;
  /** Flops per second of one core. */
  speed: number;
  /** Threads of its processes computing or ready to, per core (1: every core busy; above: they queue), as a load average counts them. */
  load: number;
}

/** A process as a migration policy sees it. */
export interface ProcessLoad {
  host: string;
  /** Its pid on `host`, as a move names it. */
  pid: number;
  command: string;
  /** Virtual CPU seconds it was charged so far. */
  cpuTime: number;
  /** Resident anonymous memory, in bytes: what moving it would carry (plus its threads' and descriptors' fixed costs). */
  memory: number;
  /** Migrating (copying while it runs, or frozen): a move of it now does nothing. */
  migrating: boolean;
}

export interface PlacementState {
  /** Virtual seconds since the start of the run. */
  now: number;
  /** Every host of the platform, in platform order. */
  hosts: HostLoad[];
  /** Every live process, in the order they started. */
  processes: ProcessLoad[];
}

/** A move a policy asks for: the process `pid` of `host` goes to `to`, now (by pre-copy if `live`). */
export interface Move {
  pid: number;
  host: string;
  to: string;
  live?: boolean;
}

/**
 * runExperiment's `migrationPolicy`: `decide` is called every `every`
 * virtual seconds (the first time at `every`) with the hosts' loads and
 * the processes' CPU time and memory, and returns the moves to make then,
 * each a stop-and-copy migration as `--migrate` makes.
 */
export interface MigrationPolicy {
  every: number;
  decide(state: PlacementState): readonly Move[] | undefined;
}

/** Checks a policy given to runExperiment (which may be given anything). */
export function checkPolicy(policy: MigrationPolicy): MigrationPolicy {
  if (typeof policy.decide !== 'function') throw new UserError('migrationPolicy.decide must be a function returning the moves to make');
  if (typeof policy.every !== 'number' || !Number.isFinite(policy.every) || policy.every <= 0)
    throw new UserError(`migrationPolicy.every must be a positive number of virtual seconds, not ${String(policy.every)}`);
  return policy;
}
