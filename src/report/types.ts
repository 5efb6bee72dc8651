import type { ProcessExit, RunEnd, StopCause } from '../exit-status.js';

export type { RunEnd, StopCause };

/**
 * What `--report FILE.json` writes and `runExperiment` returns as `report`.
 * Only what the simulation decides is in it (no wall time, no real pids once
 * those are virtual), so the same experiment gives the same bytes. Keys are
 * written in the order declared here. Times are virtual seconds since the
 * experiment started; byte counts are what programs passed to and got from
 * their sockets' send and receive calls.
 */
export interface RunReport {
  /** Changes when the shape does (2: the run's `end` and each process's `stopped`). */
  version: 2;
  /** How the run ended. */
  end: RunEnd;
  /** Virtual time when the last process ended. */
  virtualTime: number;
  /** The status a shell would report for the run (see ExperimentResult.exitCode). */
  exitCode: number;
  /** Every process, including those programs forked, in the order they started. */
  processes: ProcessReport[];
  /** The scripted faults that happened (--fault), in date order. */
  faults: FaultReport[];
}

/** A fault as it happened, and the processes it ended or started. */
export interface FaultReport {
  date: number;
  /** What happened: `host beta off`. */
  fault: string;
  /** Processes it killed (SIGKILL). */
  killed: ProcessRef[];
  /** Processes it started again (actors with on_failure RESTART, their host back on). */
  restarted: ProcessRef[];
  /** Why it did nothing (no such process then), or null. */
  missed: string | null;
}

export interface ProcessRef {
  host: string;
  pid: number;
  command: string;
}

export interface ProcessReport {
  host: string;
  pid: number;
  /** The pid of the process that started it, or null for a program of the command line or deployment. */
  parent: number | null;
  /** The program it ran last (argv[0] of its last exec). */
  command: string;
  /** Its exit code, or the signal that killed it. */
  exit: ProcessExit;
  /** The status a shell would report: the exit code, or 128+N for signal N. */
  status: number;
  /**
   * Why simterpose killed it (SIGKILL), or null: its actor's `kill-time`,
   * the `stop-time`, or the end of a run cut short (`wall-limit`,
   * `interrupted`, `deadlock`...: the report's `end`). Stopped at a
   * kill_time or the stop time, it is no failure: the run's status leaves it out.
   */
  stopped: StopCause | null;
  start: number;
  end: number;
  /** Virtual CPU time: the work the CPU model charged, at its host's speed. */
  cpuTime: number;
  bytesSent: number;
  bytesReceived: number;
}
