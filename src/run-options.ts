import { UserError } from './errors.js';
import { EXIT_STATUS } from './exit-status.js';
import { parseFault } from './faults/spec.js';
import { parseMigration } from './migration/spec.js';
import type { CpuModelName } from './mediator/host/cpu-model.js';
import type { NetworkMode } from './net/index.js';
import { parseSetting } from './sim/settings.js';

/**
 * The options of a run, declared once: `RunOptions` is what `runExperiment`
 * takes, `RUN_OPTIONS` gives each its command-line flag, help and default,
 * and `resolveRunOptions` (resolve-run-options.ts) checks them all, for the
 * CLI and the library alike. This file declares them only: every command's
 * help needs it, without the syscall table and the addon that checking a
 * run's options loads.
 */
export interface RunOptions {
  /** Host the program runs on (default: the platform's first host). */
  host?: string;
  /** How AF_INET traffic travels: full mediation (the default) or address translation over kernel loopback sockets. */
  network?: NetworkMode;
  /** Socket data, id and clock syscalls come as seccomp user notifications rather than ptrace stops (default true). */
  notifySyscalls?: boolean;
  /** Programs get simterpose's vDSO, which answers clock reads without a stop under --cpu-model none or cputime (default true). */
  vdso?: boolean;
  /** Log every trapped syscall: true for stderr (or each process's file with `outputDir`), or a file path. */
  strace?: boolean | string;
  /** Syscall names to leave untrapped and native (a developer's knob for benchmarks). */
  untrap?: string[];
  /**
   * CPU shared by simterpose's main thread and its tracees; the process's other threads move to its
   * other CPUs. 'auto' (the default) takes the allowed CPU running the fewest other runs, the least
   * busy of those; 'none' leaves scheduling to Linux.
   */
  cpu?: number | 'auto' | 'none';
  /** Date (ISO 8601) or 'now' that virtual time 0 corresponds to (default 2000-01-01T00:00:00Z). */
  epoch?: string;
  /** Seeds getrandom, /dev/urandom, /dev/random and AT_RANDOM: same seed, same bytes (default 0). */
  seed?: number;
  /** How computation costs virtual time (default: instructions where a hardware counter exists, else cputime). */
  cpuModel?: CpuModelName;
  /** Flops one retired instruction counts for (instructions model). */
  flopsPerInstruction?: number;
  /** Flops per CPU second of this machine, for the cputime model. */
  referenceSpeed?: number;
  /** Work below this many flops is carried over rather than simulated at once. */
  cpuThreshold?: number;
  /** Write the run's report (a RunReport) to this JSON file. */
  report?: string;
  /** Write each process's row of the report (host, pid, status, virtual dates, CPU time, bytes) to this CSV file. */
  reportCsv?: string;
  /** Write a Chrome trace-event JSON file (for Perfetto or chrome://tracing) of the run's virtual timeline. */
  trace?: string;
  /** Each process's stdout, stderr (and strace with `strace: true`) in its own file: DIR/HOST/NAME.PID.stdout... */
  outputDir?: string;
  /**
   * Virtual seconds after which the run ends: every process left is killed
   * (SIGKILL) and reported as stopped, not as a failure (a server that never exits).
   */
  stopTime?: number;
  /** Wall-clock seconds after which the run is stopped and fails (for CI): every process left is killed. */
  wallLimit?: number;
  /**
   * SimGrid settings, name to value (`{ 'network/model': 'LV08' }`), as SimGrid's `--cfg=name:value`: applied
   * over simterpose's defaults and over the platform file's `<config>`, which they override.
   */
  cfg?: Record<string, string>;
  /**
   * Scripted faults, dated in virtual seconds: `host:beta:off@5`, `host:beta:on@9`, `link:wire:off@3`,
   * `process:1@beta:kill=SIGTERM@2`, `process:1@beta:pause@2:for=0.5`, `clock:beta:offset=0.25:drift=+50ppm`
   * (README, "Failures").
   */
  faults?: string[];
  /** Processes moved to another host, `PID@HOST:T:DESTINATION` as `--migrate` takes them: `1000@alice:2.5:bob` (README, "Migration"). */
  migrations?: string[];
}

/** How an option appears on the command line. */
export interface OptionSpec<T> {
  /** The flag and its argument, as commander reads them: '--seed <n>'. */
  flag: string;
  help: string;
  /** The value when the option is not given (shown by --help). */
  default?: T;
  choices?: readonly string[];
  /** From the command line's text to the option's value; `previous` is the value so far, for an option given several times. */
  parse?(text: string, previous: T | undefined): T;
}

/** A number on the command line. */
export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new UserError(`'${value}' is not a number`);
  return number;
}

function parseCpu(value: string): number | 'auto' | 'none' {
  if (value === 'none' || value === 'auto') return value;
  const cpu = Number(value);
  if (value.trim() === '' || !Number.isInteger(cpu) || cpu < 0) throw new UserError(`--cpu takes a CPU number, 'auto' or 'none', not '${value}'`);
  return cpu;
}

export const NETWORK_MODES: readonly NetworkMode[] = ['full', 'translate'];
export const CPU_MODELS: readonly CpuModelName[] = ['instructions', 'cputime', 'none'];

export const RUN_OPTIONS: { readonly [K in keyof RunOptions]-?: OptionSpec<NonNullable<RunOptions[K]>> } = {
  host: { flag: '--host <name>', help: 'host the program runs on (default: the first host of the platform)' },
  strace: { flag: '--strace [file]', help: 'log every syscall, strace-style, to stderr or to a file (traps every syscall: slower)' },
  untrap: {
    flag: '--untrap <syscalls>',
    help: 'comma-separated syscalls to leave untrapped and native (for benchmarks and debugging; calls that can wait, and those that free descriptor numbers, must stay trapped)',
    parse: (text) => text.split(',').filter((name) => name !== ''),
  },
  cpu: {
    flag: '--cpu <n|auto|none>',
    help: 'CPU shared by simterpose and its tracees; auto takes the one running the fewest other runs, the least busy of those; its helper threads keep to the others; none lets Linux place them',
    default: 'auto',
    parse: parseCpu,
  },
  epoch: { flag: '--epoch <date|now>', help: 'date (ISO 8601) that virtual time 0 corresponds to; now for the real date', default: '2000-01-01T00:00:00Z' },
  seed: {
    flag: '--seed <n>',
    help: 'seeds the random bytes programs get (getrandom, /dev/urandom, AT_RANDOM): same seed, same bytes',
    default: 0,
    parse: parseNumber,
  },
  cpuModel: {
    flag: '--cpu-model <model>',
    help: 'how computing costs virtual time (default: instructions where a hardware counter exists, else cputime)',
    choices: CPU_MODELS,
  },
  flopsPerInstruction: {
    flag: '--flops-per-instruction <n>',
    help: 'flops one retired instruction counts for (instructions model)',
    default: 1,
    parse: parseNumber,
  },
  referenceSpeed: {
    flag: '--reference-speed <flops>',
    help: 'flops per CPU second of this machine, from `simterpose calibrate` (cputime model)',
    default: 1e9,
    parse: parseNumber,
  },
  cpuThreshold: {
    flag: '--cpu-threshold <flops>',
    help: 'work below this is carried over to the next syscall instead of simulated at once',
    default: 1e5,
    parse: parseNumber,
  },
  report: { flag: '--report <file.json>', help: "write the run's report (processes, statuses, virtual times, bytes) as JSON" },
  reportCsv: {
    flag: '--report-csv <file.csv>',
    help: "write the report's processes as CSV: a row per process (host, pid, status, virtual dates, CPU time, bytes)",
  },
  trace: { flag: '--trace <file.json>', help: 'write a Chrome trace-event file of the virtual timeline (open it in ui.perfetto.dev)' },
  outputDir: { flag: '--output-dir <dir>', help: "each process's stdout, stderr and strace in its own file: DIR/HOST/NAME.PID.stdout" },
  stopTime: {
    flag: '--stop-time <seconds>',
    help: 'virtual date at which every process left is killed and the run ends; they count as stopped, not failed (servers that never exit)',
    parse: parseNumber,
  },
  wallLimit: {
    flag: '--wall-limit <seconds>',
    help: `wall-clock seconds after which the run is stopped, its processes killed, and it fails (status ${EXIT_STATUS.runFailed})`,
    parse: parseNumber,
  },
  cfg: {
    flag: '--cfg <name:value>',
    help: "a SimGrid setting, as SimGrid's --cfg=name:value (repeatable). Applied in this order, the later winning: simterpose's defaults (network/model:CM02, network/crosstraffic:0, network/TCP-gamma:0: a message of S bytes on a route of latency L and bandwidth B takes L + S/B), the platform file's <config>, then --cfg",
    parse: (text, previous) => {
      const { name, value } = parseSetting(text);
      return { ...previous, [name]: value };
    },
  },
  faults: {
    flag: '--fault <spec>',
    help: 'a scripted fault (repeatable), dates in virtual seconds: host:NAME:off@T, host:NAME:on@T, link:NAME:off@T, link:NAME:on@T, process:PID@HOST:kill[=SIGNAL]@T, process:PID@HOST:pause@T:for=D, clock:HOST:offset=S:drift=+Nppm',
    parse: (text, previous) => {
      parseFault(text);
      return [...(previous ?? []), text];
    },
  },
  migrations: {
    flag: '--migrate <spec>',
    help: 'moves a process to another host (repeatable): PID@HOST:T:DESTINATION freezes the process PID of HOST at virtual date T, carries its memory to DESTINATION and resumes it there; PID@HOST:T:DESTINATION:live copies its memory while it runs first (pre-copy)',
    parse: (text, previous) => {
      parseMigration(text);
      return [...(previous ?? []), text];
    },
  },
  network: {
    flag: '--network <mode>',
    help: 'full: the mediator carries every byte; translate: real loopback sockets, addresses rewritten',
    default: 'full',
    choices: NETWORK_MODES,
  },
  notifySyscalls: {
    flag: '--no-notify-syscalls',
    help: 'every trapped syscall is a ptrace stop; by default socket data (read, write, send, recv...), id and clock calls come as seccomp user notifications, which cost less (where io_uring has WAITID: Linux 6.7 or later)',
    default: true,
  },
  vdso: {
    flag: '--no-vdso',
    help: "every clock read is a trapped syscall; by default, under --cpu-model none or cputime, programs get simterpose's vDSO, which answers them from the virtual clock without a stop (the answers of trapped reads, at a fraction of the cost; under cputime a read traps once the work since the last stop may reach --cpu-threshold)",
    default: true,
  },
};
