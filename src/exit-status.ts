/**
 * The exit statuses simterpose gives, besides the program's own (README,
 * "Exit status"): each declared here once.
 */
export const EXIT_STATUS = {
  /** `simterpose doctor`: this machine lacks a piece simterpose needs to run. */
  machineUnfit: 1,
  /** A usage mistake: a bad option, a missing file, an unknown host. */
  usage: 2,
  /** A bug in simterpose itself (EX_SOFTWARE). */
  internalError: 70,
  /** simterpose could not finish the run: a deadlock, an unsupported syscall, a system limit. */
  runFailed: 125,
  /** A program could not be executed, as shells report it. */
  cannotExecute: 127,
} as const;

/** How a process ended, as the kernel reports it. */
export type ProcessExit = { code: number } | { signal: number; core: boolean };

/** The status a shell reports for a process: its exit code, or 128+N if signal N killed it. */
export function shellStatus(exit: ProcessExit): number {
  return 'code' in exit ? exit.code : 128 + exit.signal;
}

/**
 * How a run ended (the report's `end`):
 * - completed: every process exited;
 * - stop-time: virtual time reached the stop time; the processes left were killed;
 * - wall-limit: the run took longer than its wall-clock limit; the processes left were killed;
 * - interrupted: simterpose got SIGINT or SIGTERM (runExperiment: its `signal` aborted); the processes left were killed;
 * - deadlock: every process waited and nothing could wake one;
 * - unsupported-syscall: a program made a syscall simterpose cannot mediate;
 * - no-route: hosts without a route between them exchanged data;
 * - system-limit: a limit of this machine (open files, processes, memory) was hit;
 * - cannot-execute: a program of the deployment could not be executed at its start time;
 * - internal-error: a bug of simterpose.
 * Past the first two, the run was cut short: a message says why, and the
 * run's status is the run-failed one (128+N for an interruption by signal N,
 * 127 for cannot-execute, 70 for a bug).
 */
export const RUN_ENDS = [
  'completed',
  'stop-time',
  'wall-limit',
  'interrupted',
  'deadlock',
  'unsupported-syscall',
  'no-route',
  'system-limit',
  'cannot-execute',
  'internal-error',
] as const;

export type RunEnd = (typeof RUN_ENDS)[number];

/** The ends of a run cut short. */
export type FailedRunEnd = Exclude<RunEnd, 'completed' | 'stop-time'>;

/**
 * Why simterpose killed a process: its actor's kill_time, a fault (its host
 * crashed, or a `process:...:kill` fault), the stop time, or the end of a
 * run cut short. At a kill_time, a fault or the stop time, that is the
 * experiment's plan, no failure.
 */
export type StopCause = 'kill-time' | 'fault' | Exclude<RunEnd, 'completed'>;

/** Whether a process simterpose killed for `cause` was meant to be stopped so: it counts as no failure. */
export function stoppedAsPlanned(cause: StopCause | undefined): boolean {
  return cause === 'kill-time' || cause === 'fault' || cause === 'stop-time';
}
