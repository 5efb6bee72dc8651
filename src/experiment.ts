import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';
import { Mediator, SpawnError, type LaunchSpec } from './mediator/mediator.js';
import { CapturedOutput, OutputDirectory, routeOutputs } from './output.js';
import { shownPid } from './report/ids.js';
import { ProgressLine } from './report/progress.js';
import { RunRecorder } from './report/recorder.js';
import { chromeTrace } from './report/trace.js';
import type { RunReport } from './report/types.js';
import { ptrace } from './mediator/native.js';
import { StraceFormatter } from './mediator/strace/formatter.js';
import { syscallNumber } from './mediator/syscalls/table.js';
import { DEFAULT_CPU_THRESHOLD, DEFAULT_REFERENCE_SPEED, defaultCpuModel, type CpuModelName, type CpuModelOptions } from './mediator/host/cpu-model.js';
import { DEFAULT_EPOCH } from './mediator/host/virtual-time.js';
import { MAX_SEED } from './mediator/host/random.js';
import type { Process, Thread } from './mediator/tracees/tracees.js';
import { CANNOT_EXECUTE, resolveProgram } from './program-path.js';
import { loadSimulation, parseDeployment } from './sim/index.js';
import type { NetworkMode } from './net/index.js';

export interface ExperimentOptions {
  /** SimGrid platform file. */
  platform: string;
  /** The program to run and its arguments (or a deployment). */
  command?: string[];
  /** A SimGrid deployment file: programs, their hosts and start times (instead of `command`). */
  deployment?: string;
  /** Host the program runs on (default: the platform's first host). */
  host?: string;
  /** How AF_INET traffic travels: full mediation (the default) or address translation over kernel loopback sockets. */
  network?: NetworkMode;
  /** Socket data, id and clock syscalls come as seccomp user notifications (default true; see MediatorOptions). */
  notifySyscalls?: boolean;
  /**
   * Keep each process's stdout and stderr in memory, in the result's
   * `outputs` (default: true). Captured output is not echoed unless
   * `writeStdout`/`writeStderr` are given.
   */
  captureOutput?: boolean;
  /** Where output goes, prefixed with host and pid, when several processes run or it is captured (default: simterpose's stdout and stderr). */
  writeStdout?: (text: string) => void;
  writeStderr?: (text: string) => void;
  /** Each process's stdout, stderr (and strace with `strace: true`) in its own file: DIR/HOST/NAME.PID.stdout... */
  outputDir?: string;
  /** Write the run's report (a RunReport) to this JSON file. */
  report?: string;
  /** Write a Chrome trace-event JSON file (for Perfetto or chrome://tracing) of the run's virtual timeline. */
  trace?: string;
  /** Show a live progress line on this terminal stream while the run goes on (ignored unless it is a TTY). */
  progress?: NodeJS.WriteStream;
  /** Log every trapped syscall: true for stderr (or each process's file with `outputDir`), or a file path. */
  strace?: boolean | string;
  /** Syscall names to leave untrapped and native (a developer's knob for benchmarks). */
  untrap?: string[];
  /**
   * CPU shared by simterpose's main thread and its tracees (default: the first this process may use);
   * the process's other threads move to its other CPUs. 'none' leaves scheduling to Linux.
   */
  cpu?: number | 'none';
  /** Date (ISO 8601) or 'now' that virtual time 0 corresponds to (default 2000-01-01T00:00:00Z). */
  epoch?: string;
  /** How computation costs virtual time (default: instructions where a hardware counter exists, else cputime). */
  cpuModel?: CpuModelName;
  flopsPerInstruction?: number;
  /** Flops per CPU second of this machine, for the cputime model. */
  referenceSpeed?: number;
  /** Work below this many flops is carried over rather than simulated at once. */
  cpuThreshold?: number;
  /** Seeds getrandom, /dev/urandom, /dev/random and AT_RANDOM: same seed, same bytes (default 0). */
  seed?: number;
  /** Told once which CPU model was chosen when it was not given (a one-line notice). */
  onNotice?: (message: string) => void;
  /** Environment of the program (default: simterpose's own). */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

export interface ProcessSummary {
  /** The virtual pid, in its host's namespace: what the program saw and printed. */
  pid: number;
  host: string;
  command: string;
  /** Exit code, or the signal that killed it. */
  exit: { code: number } | { signal: number; core: boolean };
}

export interface ExperimentResult {
  /**
   * The status a shell would report for the program: its exit code, or 128+N
   * if signal N killed it; for a deployment, the first non-zero one in exit order.
   */
  exitCode: number;
  /** Each process's shell status, in the order of `outputs` and `report.processes` (the order they started). */
  exitCodes: number[];
  processes: ProcessSummary[];
  /** Tracee stops the mediator handled (each resume of a tracee until its next stop). */
  stops: number;
  /** What each process wrote (empty strings unless `captureOutput`), in the order they started. */
  outputs: ProcessOutput[];
  /** The same object `report` writes as JSON. */
  report: RunReport;
  /** Wall-clock seconds the run took. */
  wallTime: number;
}

export interface ProcessOutput {
  host: string;
  pid: number;
  command: string;
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** One program to start, resolved. */
interface Start {
  spec: LaunchSpec;
  startTime: number;
}

/** Runs a program, or a deployment's programs, under simterpose; resolves once every tracee has exited. */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  if (!existsSync(options.platform)) throw new UserError(`platform file not found: ${options.platform}`);
  const sim = await loadSimulation(options.platform);
  const hostNames = sim.hosts().map((h) => h.name);
  const untrapped = new Set(options.untrap ?? []);
  for (const name of untrapped) {
    if (syscallNumber(name) === undefined) throw new UserError(`--untrap: unknown syscall '${name}'`, 'simterpose syscalls lists them');
  }
  const starts = plan(options, hostNames);
  const wallStart = performance.now();
  const outputDir = options.outputDir === undefined ? undefined : new OutputDirectory(options.outputDir);
  const straceOutput = openStrace(options.strace, outputDir);
  const cpuModel = cpuModelOptions(options);
  const recorder = new RunRecorder({ timeline: options.trace !== undefined, hostOf: (address) => mediator.network.addresses.hostAt(address) });
  const mediator: Mediator = new Mediator({
    trapAll: options.strace !== undefined && options.strace !== false,
    untrapped,
    cpu: chooseCpu(options.cpu),
    sim,
    epoch: parseEpoch(options.epoch),
    seed: parseSeed(options.seed),
    cpuModel,
    network: options.network ?? 'full',
    notifySyscalls: options.notifySyscalls ?? true,
    strace: straceOutput === undefined ? undefined : new StraceFormatter(straceOutput.write, () => mediator.scheduler.now),
    observer: recorder,
  });
  if (options.cpuModel === undefined && cpuModel.model === 'cputime')
    options.onNotice?.(cputimeNotice(mediator.stopOverheadNs, mediator.notificationOverheadNs));
  const captured = options.captureOutput === false ? undefined : new CapturedOutput();
  const route = routeOutputs(
    mediator,
    starts.map((start) => start.spec),
    options,
    captured,
    outputDir,
  );
  const progress =
    route.piped && options.progress?.isTTY === true
      ? new ProgressLine(options.progress, () => ({ virtualTime: mediator.scheduler.now, events: mediator.stops, alive: recorder.processesAlive }))
      : undefined;
  route.beforeWrite = () => progress?.erase();
  try {
    const launched: Process[] = [];
    for (const start of starts) mediator.launchAt(start.spec, start.startTime, (process) => launched.push(process));
    progress?.start();
    await mediator.run();
    progress?.stop();
    route.flush();
    const exitCode = starts.length === 1 ? shellStatus(launched[0]!) : firstFailure(mediator.tracees.exited.filter((p) => launched.includes(p)));
    const report = recorder.report(exitCode, mediator.scheduler.now);
    if (options.report !== undefined) writeJson('--report', options.report, report);
    if (options.trace !== undefined) writeJson('--trace', options.trace, chromeTrace(recorder, hostNames));
    const processes = [...recorder.processes()];
    const outputs = processes.map(
      (process, i): ProcessOutput => ({
        host: process.host,
        pid: shownPid(process),
        command: process.command,
        exitCode: report.processes[i]!.status,
        stdout: captured?.text(process, 'stdout') ?? '',
        stderr: captured?.text(process, 'stderr') ?? '',
      }),
    );
    return {
      exitCode,
      exitCodes: outputs.map((output) => output.exitCode),
      processes: summaries(mediator),
      outputs,
      report,
      wallTime: (performance.now() - wallStart) / 1000,
      stops: mediator.stops,
    };
  } catch (error) {
    if (error instanceof SpawnError) throw new UserError(`cannot execute '${error.program}': ${error.message}`, undefined, CANNOT_EXECUTE);
    throw error;
  } finally {
    progress?.stop();
    route.close();
    straceOutput?.close();
    outputDir?.close();
  }
}

function writeJson(option: string, path: string, value: unknown): void {
  try {
    writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
  } catch (error) {
    throw new UserError(`${option}: cannot write ${path}: ${(error as Error).message}`);
  }
}

/** What to start: the command on its host, or every entry of the deployment. */
function plan(options: ExperimentOptions, hostNames: string[]): Start[] {
  const cwd = options.cwd ?? process.cwd();
  const env = environment(options.env);
  const path = options.env?.['PATH'] ?? process.env['PATH'];
  if (options.deployment !== undefined) {
    if (options.command !== undefined && options.command.length > 0) {
      throw new UserError('give either a deployment file or a program after --, not both');
    }
    const entries = parseDeployment(options.deployment, hostNames);
    if (entries.length === 0) throw new UserError(`deployment ${options.deployment} starts no program`);
    const folder = dirname(resolve(options.deployment));
    return entries.map((entry) => ({
      startTime: entry.startTime,
      spec: { path: resolveProgram(entry.argv[0]!, folder, path), argv: entry.argv, env, cwd, host: entry.host },
    }));
  }
  const command = options.command ?? [];
  if (command.length === 0) throw new UserError('no program to run', 'put the program after --: simterpose run platform.xml -- ./app args');
  const host = options.host ?? hostNames[0];
  if (host === undefined) throw new UserError(`platform ${options.platform} has no host`);
  if (!hostNames.includes(host)) {
    throw new UserError(
      `unknown host '${host}' in ${options.platform}`,
      `valid hosts: ${hostNames.slice(0, 20).join(', ')}${hostNames.length > 20 ? ', ...' : ''}`,
    );
  }
  return [{ startTime: 0, spec: { path: resolveProgram(command[0]!, cwd, path), argv: command, env, cwd, host } }];
}

/** A deployment's status: the first non-zero one among its processes, in the order they exited. */
function firstFailure(processes: Process[]): number {
  for (const process of processes) {
    const status = shellStatus(process);
    if (status !== 0) return status;
  }
  return 0;
}

function parseEpoch(epoch: string | undefined): number {
  if (epoch === undefined) return DEFAULT_EPOCH;
  if (epoch === 'now') return Date.now() / 1000;
  const date = Date.parse(epoch);
  if (Number.isNaN(date)) throw new UserError(`--epoch: '${epoch}' is not an ISO 8601 date or 'now'`, 'for example --epoch 2024-05-01T12:00:00Z');
  return date / 1000;
}

function parseSeed(seed: number | undefined): number {
  if (seed === undefined) return 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`--seed must be an integer from 0 to ${MAX_SEED}, not ${seed}`);
  return seed;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new UserError(`${name} must be a positive number, not ${value}`);
  return value;
}

function cpuModelOptions(options: ExperimentOptions): CpuModelOptions {
  const model = options.cpuModel ?? defaultCpuModel();
  if (model === 'instructions' && !ptrace.instructionCounterAvailable()) {
    throw new UserError(
      '--cpu-model instructions: this machine has no hardware instruction counter',
      'use --cpu-model cputime (with --reference-speed from `simterpose calibrate`) or none',
    );
  }
  return {
    model,
    flopsPerInstruction: positive('--flops-per-instruction', options.flopsPerInstruction, 1),
    referenceSpeed: positive('--reference-speed', options.referenceSpeed, DEFAULT_REFERENCE_SPEED),
    threshold: options.cpuThreshold === undefined ? DEFAULT_CPU_THRESHOLD : Math.max(0, options.cpuThreshold),
  };
}

function cputimeNotice(stopOverheadNs: number, notificationOverheadNs: number): string {
  const micros = (ns: number): string => `${(ns / 1e3).toPrecision(2)} µs`;
  const notification = notificationOverheadNs !== stopOverheadNs ? ` (${micros(notificationOverheadNs)} a user notification)` : '';
  const subtracted = stopOverheadNs > 0 ? `; the ${micros(stopOverheadNs)} of CPU a ptrace stop costs a tracee here${notification} is not charged` : '';
  return `cpu model: cputime (no hardware instruction counter here; computation timings vary between runs${subtracted})`;
}

function environment(env: Record<string, string | undefined> = process.env): string[] {
  return Object.entries(env)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => `${key}=${value}`);
}

/**
 * The CPU the mediator and its tracees share: the first this process may
 * run on (taskset or a cgroup may have taken CPU 0 away), unless told.
 */
function chooseCpu(cpu: ExperimentOptions['cpu']): number | undefined {
  if (cpu === 'none') return undefined;
  const allowed = ptrace.allowedCpus();
  if (cpu === undefined) return allowed[0];
  if (!allowed.includes(cpu)) throw new UserError(`--cpu ${cpu}: simterpose may not run there (it may use CPUs ${allowed.join(', ')})`);
  return cpu;
}

function openStrace(
  strace: ExperimentOptions['strace'],
  outputDir: OutputDirectory | undefined,
): { write: (line: string, thread: Thread) => void; close: () => void } | undefined {
  if (strace === undefined || strace === false) return undefined;
  if (strace === true && outputDir !== undefined) return { write: (line, thread) => outputDir.write(thread.process, 'strace', line), close: () => undefined };
  if (strace === true) return { write: (line) => process.stderr.write(line), close: () => undefined };
  let fd: number;
  try {
    fd = openSync(strace, 'w');
  } catch (error) {
    throw new UserError(`cannot write the strace file ${strace}: ${(error as Error).message}`);
  }
  return { write: (line) => writeSync(fd, line), close: () => closeSync(fd) };
}

export function shellStatus(process: Process): number {
  const status = process.exitStatus;
  if (status === undefined) return 1;
  return 'code' in status ? status.code : 128 + status.signal;
}

function summaries(mediator: Mediator): ProcessSummary[] {
  return [...mediator.tracees.processes.values()]
    .filter((p) => p.exitStatus !== undefined)
    .map((p) => ({ pid: shownPid(p), host: p.host, command: p.command, exit: p.exitStatus! }));
}
