import type { ProcessExit, RunEnd, StopCause } from '../exit-status.js';

export type { RunEnd, StopCause };

/**
 * What `--report FILE.json` writes and `runExperiment` returns as `report`;
 * schema/report.schema.json describes it for scripts, and tests hold every
 * report simterpose writes to it. First what was run (`run`), then what came
 * of it. Only what the experiment decides is in it (no wall time, no real
 * pids once those are virtual), so the same experiment on the same machine
 * gives the same bytes. Keys are written in the order declared here. Times
 * are virtual seconds since the experiment started; `bytesSent` and
 * `bytesReceived` are what programs passed to and got from their sockets'
 * send and receive calls.
 */
export interface RunReport {
  /** Changes when the shape does (3: `run`, `hosts` and `links`; 4: `usage`; 5: `migrations`). */
  version: 5;
  /** What was run, and with what: enough to run it again and to tell two runs apart. */
  run: RunDescription;
  /** How the run ended. */
  end: RunEnd;
  /** Virtual time when the last process ended. */
  virtualTime: number;
  /** The status a shell would report for the run (see ExperimentResult.exitCode). */
  exitCode: number;
  /** Totals of each host where a process ran or which sent or received a transfer, in platform order. */
  hosts: HostReport[];
  /** Totals of each link a transfer crossed, in platform order. */
  links: LinkReport[];
  /** Every process, including those programs forked, in the order they started. */
  processes: ProcessReport[];
  /** The scripted faults that happened (--fault), in date order. */
  faults: FaultReport[];
  /** The migrations (--migrate, `migrations`, a deployment's `<migrate>`), in the order they ended. */
  migrations: MigrationReport[];
  /** How the hosts' CPUs and the links were used over time: what `simterpose plot` draws. */
  usage: UsageReport;
}

/**
 * Amounts per interval of virtual time, from date 0 to `virtualTime`: the
 * `i`th number covers [i × interval, (i + 1) × interval). The interval is a
 * millisecond times a power of two (a fraction of one for the shortest
 * runs), chosen so that there are at most 500 of them; each activity's
 * computation counts evenly over its duration, a transfer's bytes as SimGrid
 * carried them (looked at as the clock enters each interval).
 */
export interface UsageReport {
  /** Seconds. */
  interval: number;
  /** The hosts of `hosts`, in the same order. */
  hosts: HostUsage[];
  /** The links of `links`, in the same order. */
  links: LinkUsage[];
}

export interface HostUsage {
  name: string;
  /** Its cores, which can run that many seconds of CPU per second. */
  cores: number;
  /** Virtual CPU seconds its processes computed in each interval (they add up to about the host's `cpuTime`). */
  cpuTime: number[];
}

export interface LinkUsage {
  name: string;
  /** Bytes per second it can carry. */
  bandwidth: number;
  /** Payload bytes that crossed it in each interval (they add up to the link's `bytes`). */
  bytes: number[];
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

/** A process moved from one host to another: from `start`, resumed on `to` after `duration`, frozen for `downtime` of it. */
export interface MigrationReport {
  /** The process (its host: the one it left), or null when none was found. */
  process: ProcessRef | null;
  /** What was asked: PID@HOST. */
  asked: string;
  /** The host it left ('' when none was found). */
  from: string;
  to: string;
  /** Whether its memory crossed while it ran (pre-copy), before a stop-and-copy of what it wrote meanwhile. */
  live: boolean;
  /** When it began: when it froze, or when its pre-copy began. */
  start: number;
  /** How long it was frozen: its last copy crossing from `from` to `to` (0 when it did not move). */
  downtime: number;
  /** From `start` to its resumption on `to` (the downtime, without pre-copy). */
  duration: number;
  /** Copies made: the pre-copy rounds and the stop-and-copy. */
  rounds: number;
  /** Its state that crossed, all rounds together: resident anonymous memory (again, the pages written during a round), plus a fixed amount per thread and per descriptor. */
  bytes: number;
  /** Why it did not move (no such process, on that host already, ended while it crossed), or null. */
  missed: string | null;
}

export interface ProcessRef {
  host: string;
  pid: number;
  command: string;
}

export interface RunDescription {
  /** simterpose's version (package.json). */
  simterpose: string;
  /** The words after `simterpose` on the command line, or null for a run started through runExperiment. */
  commandLine: string[] | null;
  /** The run's options (RunOptions, with their defaults applied), as `runExperiment` takes them. */
  options: Record<string, unknown>;
  /** The program and its arguments, for a run of one program; null for a deployment. */
  command: string[] | null;
  seed: number;
  /** How computing cost virtual time. */
  cpuModel: { model: 'instructions' | 'cputime' | 'none'; flopsPerInstruction: number; referenceSpeed: number; threshold: number };
  /** Whether programs ran without address-space randomization (false where the machine refuses it: a container). */
  addressRandomizationDisabled: boolean;
  /** SimGrid's settings in force, with where each came from (simterpose's default, the platform, the run's cfg). */
  simgrid: SettingReport[];
  platform: InputFile;
  /** Null for a run of one program. */
  deployment: InputFile | null;
}

export interface SettingReport {
  name: string;
  value: string;
  origin: 'default' | 'platform' | 'cfg';
}

export interface InputFile {
  /** As given to the run. */
  path: string;
  /** sha256 of its bytes, in hex: the same digest tells the same file. */
  sha256: string;
}

export interface HostReport {
  name: string;
  /** Processes that ran there. */
  processes: number;
  /** Their virtual CPU time. */
  cpuTime: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface LinkReport {
  name: string;
  /** SimGrid comms that crossed it: TCP flights, acknowledgements and control segments, UDP datagrams. */
  transfers: number;
  /** Payload bytes those comms carried (without headers, acknowledgements or handshakes). */
  bytes: number;
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
