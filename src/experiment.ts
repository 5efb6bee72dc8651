import { closeSync, existsSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RunFailedError, UserError } from './errors.js';
import { addressRandomizationDisabled, Mediator, SpawnError, type LaunchSpec, type LaunchTimes, type RunOutcome } from './mediator/mediator.js';
import { CapturedOutput, OutputDirectory, routeOutputs } from './output.js';
import { shownPid } from './report/ids.js';
import { ProgressLine } from './report/progress.js';
import { processesCsv } from './report/csv.js';
import { describeRun } from './report/description.js';
import { RunRecorder } from './report/recorder.js';
import { hostTotals, linkTotals } from './report/totals.js';
import { chromeTrace } from './report/trace.js';
import type { RunDescription, RunEnd, RunReport } from './report/types.js';
import { StraceFormatter } from './mediator/strace/formatter.js';
import type { Process } from './mediator/tracees/tracees.js';
import { EXIT_STATUS, shellStatus, stoppedAsPlanned } from './exit-status.js';
import { resolveProgram } from './program-path.js';
import { crashNotice, cutShort } from './run-end.js';
import { claimRunCpu, resolveRunOptions } from './resolve-run-options.js';
import type { RunOptions } from './run-options.js';
import { keepStdioBlocking } from './stdio-blocking.js';
import { loadSimulation, parseDeployment, type Simulation } from './sim/index.js';
import { checkFaultTargets } from './faults/spec.js';
import { checkPolicy, type MigrationPolicy } from './migration/policy.js';
import { checkMigrationHosts } from './migration/spec.js';
import { readStateProfiles } from './faults/state-profiles.js';

export interface ExperimentOptions extends RunOptions {
  /** SimGrid platform file. */
  platform: string;
  /** The program to run and its arguments (or a deployment). */
  command?: string[];
  /** The words after `simterpose` on the command line, for the report (the CLI gives them). */
  commandLine?: string[];
  /** A SimGrid deployment file: programs, their hosts and start times (instead of `command`). */
  deployment?: string;
  /**
   * Keep each process's stdout and stderr in memory, in the result's
   * `outputs` (default: true). Captured output is not echoed unless
   * `writeStdout`/`writeStderr` are given.
   */
  captureOutput?: boolean;
  /** Where output goes, prefixed with host and pid, when several processes run or it is captured (default: simterpose's stdout and stderr). */
  writeStdout?: (text: string) => void;
  writeStderr?: (text: string) => void;
  /** Show a live progress line on this terminal stream while the run goes on (ignored unless it is a TTY). */
  progress?: NodeJS.WriteStream;
  /**
   * Told, in one line each as it happens, what the user should know: which
   * CPU model was chosen when it was not given (`cpu-model`), that programs
   * keep address-space randomization because this machine refuses to turn
   * it off (`address-randomization`, once per run), and each process that
   * crashed (`crash`: killed by a signal that dumps core, or by a SIGKILL
   * from outside the run).
   */
  onNotice?: (message: string, kind: NoticeKind) => void;
  /**
   * Stops the run when aborted (the CLI's Ctrl-C and SIGTERM): the processes
   * left are killed, the report and the trace written, and runExperiment
   * rejects with a RunFailedError whose end is 'interrupted' and whose
   * status is 128+N when the abort's reason is signal N's name ('SIGINT'),
   * else the run-failed status.
   */
  signal?: AbortSignal;
  /**
   * A load-balancing policy (README, "Migration"): `decide` is called every
   * `every` virtual seconds with each host's load and each process's CPU
   * time and memory, and returns the processes to move where.
   */
  migrationPolicy?: MigrationPolicy;
  /** Environment of the program (default: simterpose's own). */
  env?: Record<string, string | undefined>;
  cwd?: string;
}

/** What a notice is about: the CLI's --quiet keeps warnings and crashes, and drops the rest. */
export type NoticeKind = 'cpu-model' | 'address-randomization' | 'crash';

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
   * if signal N killed it; for a deployment, the first non-zero one in exit
   * order. Processes killed at the stop time or a kill_time count as 0.
   */
  exitCode: number;
  /** How the run ended: 'completed', or 'stop-time' when the stop time killed processes left (a run cut short rejects). */
  end: RunEnd;
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
  times: LaunchTimes;
  /** Whether it starts again when its host, crashed, turns on (a deployment's on_failure). */
  onFailure: 'DIE' | 'RESTART';
  /** Its `<migrate>`s: its process moves to `to` at `at` (by pre-copy if `live`). */
  migrations: { at: number; to: string; live: boolean }[];
}

/**
 * Runs a program, or a deployment's programs, under simterpose; resolves
 * once every tracee has exited, or once the stop time killed those left.
 * A run cut short (a deadlock, an unsupported syscall, the wall-clock
 * limit, `signal`...) rejects with a RunFailedError carrying the results,
 * once the report and the trace are written; so does a bug, without them.
 */
export async function runExperiment(options: ExperimentOptions): Promise<ExperimentResult> {
  if (!existsSync(options.platform)) throw new UserError(`platform file not found: ${options.platform}`);
  const settings = resolveRunOptions(options);
  // State profiles are honoured: SimGrid turns its resources off and on, the fault injector the programs'.
  const sim = await loadSimulation(options.platform, { cfg: settings.cfg, allowStateProfiles: true });
  const stateProfiles = readStateProfiles(options.platform);
  const hostNames = sim.hosts().map((h) => h.name);
  const hostSpeeds = new Map(sim.hosts().map((h) => [h.name, h.speed]));
  const starts = plan(options, hostNames);
  checkMigrationHosts(settings.migrations, hostNames);
  checkFaultTargets(
    settings.faults,
    hostNames,
    sim.links().map((link) => link.name),
  );
  const wallStart = performance.now();
  const outputDir = options.outputDir === undefined ? undefined : new OutputDirectory(options.outputDir);
  const straceOutput = openStrace(options.strace, outputDir);
  const recorder = new RunRecorder({
    timeline: options.trace !== undefined,
    hostOf: (address) => mediator.network.addresses.hostAt(address),
    route: (from, to) => sim.route(from, to),
    hostSpeed: (host) => hostSpeeds.get(host)!,
  });
  const migrationPolicy = options.migrationPolicy === undefined ? undefined : checkPolicy(options.migrationPolicy);
  const mediator: Mediator = new Mediator({
    ...settings,
    cpu: claimRunCpu(settings.cpu),
    migrationPolicy,
    stateProfiles,
    sim,
    strace: straceOutput === undefined ? undefined : new StraceFormatter(straceOutput.write, () => mediator.scheduler.now),
    observer: recorder,
    onCrash: (process, signal) => options.onNotice?.(crashNotice(process, signal, mediator.scheduler.now), 'crash'),
  });
  if (settings.cpuModelChosen && settings.cpuModel.model === 'cputime')
    options.onNotice?.(cputimeNotice(mediator.stopOverheadNs, mediator.notificationOverheadNs), 'cpu-model');
  const randomizationOff = addressRandomizationDisabled();
  if (!randomizationOff) options.onNotice?.(RANDOMIZATION_KEPT, 'address-randomization');
  const description = describeRun({
    commandLine: options.commandLine,
    options,
    resolved: settings,
    command: options.command,
    platform: options.platform,
    deployment: options.deployment,
    simgrid: sim.settings,
    addressRandomizationDisabled: randomizationOff,
  });
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
  const interrupt = (): void => mediator.stop('interrupted');
  let wallClock: NodeJS.Timeout | undefined;
  try {
    const launched: Process[] = [];
    keepStdioBlocking();
    try {
      for (const start of starts) {
        let firstRun = true;
        const started = (process: Process): void => {
          launched.push(process);
          // A restarted actor starts afresh on its own host: the migrations were its first run's.
          if (firstRun) for (const { at, to, live } of start.migrations) mediator.migrateAt(process, at, to, live);
          firstRun = false;
        };
        mediator.launchAt(start.spec, start.times, started, start.onFailure);
      }
    } catch (error) {
      // Nothing ran: there is nothing to report.
      if (error instanceof SpawnError) throw new UserError(`cannot execute '${error.program}': ${error.reason}`, spawnHint(error), EXIT_STATUS.cannotExecute);
      throw error;
    }
    options.signal?.addEventListener('abort', interrupt);
    if (options.signal?.aborted === true) interrupt();
    if (settings.wallLimit !== undefined) wallClock = setTimeout(() => mediator.stop('wall-limit'), settings.wallLimit * 1000);
    progress?.start();
    let outcome: RunOutcome | undefined;
    let failure: unknown;
    try {
      outcome = await mediator.run();
    } catch (error) {
      failure = error;
    }
    progress?.stop();
    route.flush();
    const now = mediator.scheduler.now;
    failure ??= outcome === undefined ? undefined : cutShort(outcome, { now, wallLimit: settings.wallLimit, abortReason: options.signal?.reason });
    const end = failure === undefined ? outcome!.end : failure instanceof RunFailedError ? failure.end : 'internal-error';
    const exitCode = failure === undefined ? runStatus(starts.length, launched, mediator) : failureStatus(failure);
    const report = runReport(description, recorder, sim, { exitCode, virtualTime: now, end });
    if (options.report !== undefined) writeText('--report', options.report, json(report));
    if (options.reportCsv !== undefined) writeText('--report-csv', options.reportCsv, processesCsv(report.processes));
    if (options.trace !== undefined) writeText('--trace', options.trace, json(chromeTrace(recorder, hostNames)));
    const result = experimentResult(report, recorder, captured, mediator, (performance.now() - wallStart) / 1000);
    if (failure instanceof RunFailedError) failure.result = result;
    if (failure !== undefined) throw failure;
    return result;
  } finally {
    clearTimeout(wallClock);
    options.signal?.removeEventListener('abort', interrupt);
    progress?.stop();
    route.close();
    straceOutput?.close();
    outputDir?.close();
  }
}

/** The run's status when it was not cut short: the program's, or a deployment's first failure; processes stopped as planned are none. */
function runStatus(programs: number, launched: Process[], mediator: Mediator): number {
  if (programs === 1) return stoppedAsPlanned(launched[0]!.stopped) ? 0 : processStatus(launched[0]!);
  return firstFailure(mediator.tracees.exited.filter((p) => launched.includes(p) && !stoppedAsPlanned(p.stopped)));
}

function failureStatus(failure: unknown): number {
  return failure instanceof UserError ? failure.exitCode : EXIT_STATUS.internalError;
}

function experimentResult(
  report: RunReport,
  recorder: RunRecorder,
  captured: CapturedOutput | undefined,
  mediator: Mediator,
  wallTime: number,
): ExperimentResult {
  const outputs = [...recorder.processes()].map(
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
    exitCode: report.exitCode,
    end: report.end,
    exitCodes: outputs.map((output) => output.exitCode),
    processes: summaries(mediator),
    outputs,
    report,
    wallTime,
    stops: mediator.stops,
  };
}

/** The report of a run described by `run`, from what the recorder saw. */
function runReport(run: RunDescription, recorder: RunRecorder, sim: Simulation, outcome: { exitCode: number; virtualTime: number; end: RunEnd }): RunReport {
  const processes = recorder.processReports(outcome.virtualTime);
  const pairs = recorder.hostPairs();
  // Found by name in a map: a search of the list for each would be quadratic (half a million comparisons for a thousand hosts).
  const hostInfos = new Map(sim.hosts().map((info) => [info.name, info]));
  const linkInfos = new Map(sim.links().map((info) => [info.name, info]));
  const hosts = hostTotals(processes, pairs, [...hostInfos.keys()], recorder.migrations);
  const links = linkTotals(pairs, [...linkInfos.keys()]);
  return {
    version: 5,
    run,
    end: outcome.end,
    virtualTime: outcome.virtualTime,
    exitCode: outcome.exitCode,
    hosts,
    links,
    processes,
    faults: recorder.faults,
    migrations: recorder.migrations,
    usage: recorder.usageReport(
      outcome.virtualTime,
      hosts.map((host) => hostInfos.get(host.name)!),
      links.map((link) => linkInfos.get(link.name)!),
    ),
  };
}

/** A program that could not start for want of what simterpose needs of the machine (ptrace, seccomp), not for its own fault. */
function spawnHint(error: SpawnError): string | undefined {
  return /^(ptrace|seccomp|prctl)\(/.test(error.message) ? '`simterpose doctor` tells what this machine lacks' : undefined;
}

const RANDOMIZATION_KEPT =
  "this machine refuses personality(ADDR_NO_RANDOMIZE) (a container's seccomp profile?): programs keep address-space randomization, and the addresses they see vary from run to run";

/**
 * Indented JSON, each list of numbers on one line: the report's usage (up to
 * 500 numbers per host and link) stays readable and five times shorter.
 * Only JSON's own structure has line breaks (a string's are escaped), so
 * the pattern meets no string.
 */
function json(value: unknown): string {
  const text = JSON.stringify(value, null, 2).replace(NUMBER_LIST, (list) => `[${list.slice(1, -1).trim().split(/,\s+/).join(', ')}]`);
  return `${text}\n`;
}

const NUMBER_LIST = /\[\n\s*-?\d[\d.eE+,\s-]*\]/g;

function writeText(option: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
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
      times: { start: entry.startTime, kill: entry.killTime },
      onFailure: entry.restart === true ? 'RESTART' : 'DIE',
      migrations: entry.migrations ?? [],
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
  return [{ times: { start: 0 }, onFailure: 'DIE', migrations: [], spec: { path: resolveProgram(command[0]!, cwd, path), argv: command, env, cwd, host } }];
}

/** A deployment's status: the first non-zero one among its processes, in the order they exited. */
function firstFailure(processes: Process[]): number {
  for (const process of processes) {
    const status = processStatus(process);
    if (status !== 0) return status;
  }
  return 0;
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

function openStrace(
  strace: ExperimentOptions['strace'],
  outputDir: OutputDirectory | undefined,
): { write: (line: string, process: Process) => void; close: () => void } | undefined {
  if (strace === undefined || strace === false) return undefined;
  if (strace === true && outputDir !== undefined) return { write: (line, process) => outputDir.write(process, 'strace', line), close: () => undefined };
  if (strace === true) return { write: (line) => process.stderr.write(line), close: () => undefined };
  let fd: number;
  try {
    fd = openSync(strace, 'w');
  } catch (error) {
    throw new UserError(`cannot write the strace file ${strace}: ${(error as Error).message}`);
  }
  return { write: (line) => writeSync(fd, line), close: () => closeSync(fd) };
}

/** A process's status as a shell reports it (1 for one whose end was never seen). */
function processStatus(process: Process): number {
  return process.exitStatus === undefined ? 1 : shellStatus(process.exitStatus);
}

function summaries(mediator: Mediator): ProcessSummary[] {
  return [...mediator.tracees.processes.values()]
    .filter((p) => p.exitStatus !== undefined)
    .map((p) => ({ pid: shownPid(p), host: p.host, command: p.command, exit: p.exitStatus! }));
}
