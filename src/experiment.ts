import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';
import { Mediator, SpawnError, type LaunchSpec } from './mediator/mediator.js';
import { CapturedOutput, OutputDirectory, routeOutputs } from './output.js';
import { shownPid } from './report/ids.js';
import { ProgressLine } from './report/progress.js';
import { RunRecorder } from './report/recorder.js';
import { chromeTrace } from './report/trace.js';
import type { RunReport } from './report/types.js';
import { StraceFormatter } from './mediator/strace/formatter.js';
import type { Process, Thread } from './mediator/tracees/tracees.js';
import { EXIT_STATUS, shellStatus } from './exit-status.js';
import { resolveProgram } from './program-path.js';
import { resolveRunOptions, type RunOptions } from './run-options.js';
import { loadSimulation, parseDeployment } from './sim/index.js';

export interface ExperimentOptions extends RunOptions {
  /** SimGrid platform file. */
  platform: string;
  /** The program to run and its arguments (or a deployment). */
  command?: string[];
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
  const settings = resolveRunOptions(options);
  const starts = plan(options, hostNames);
  const wallStart = performance.now();
  const outputDir = options.outputDir === undefined ? undefined : new OutputDirectory(options.outputDir);
  const straceOutput = openStrace(options.strace, outputDir);
  const recorder = new RunRecorder({ timeline: options.trace !== undefined, hostOf: (address) => mediator.network.addresses.hostAt(address) });
  const mediator: Mediator = new Mediator({
    ...settings,
    sim,
    strace: straceOutput === undefined ? undefined : new StraceFormatter(straceOutput.write, () => mediator.scheduler.now),
    observer: recorder,
  });
  if (settings.cpuModelChosen && settings.cpuModel.model === 'cputime')
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
    const exitCode = starts.length === 1 ? processStatus(launched[0]!) : firstFailure(mediator.tracees.exited.filter((p) => launched.includes(p)));
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
    if (error instanceof SpawnError) throw new UserError(`cannot execute '${error.program}': ${whyNotExecutable(error)}`, undefined, EXIT_STATUS.cannotExecute);
    throw error;
  } finally {
    progress?.stop();
    route.close();
    straceOutput?.close();
    outputDir?.close();
  }
}

/**
 * Why exec refused a program, in the words a shell would use: ENOENT for a
 * file that exists means its #! interpreter is missing.
 */
function whyNotExecutable(error: SpawnError): string {
  if (error.code === 'ENOENT') {
    const interpreter = /^#!\s*(\S+)/.exec(firstLine(error.path) ?? '')?.[1];
    if (interpreter !== undefined) return `bad interpreter ${interpreter}: no such file`;
  }
  if (error.code === 'ENOEXEC') return 'not a program Linux can run (no #! line, or a file of another format)';
  return error.message;
}

function firstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1').split('\n', 1)[0];
  } catch {
    return undefined;
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

/** A process's status as a shell reports it (1 for one whose end was never seen). */
function processStatus(process: Process): number {
  return process.exitStatus === undefined ? 1 : shellStatus(process.exitStatus);
}

function summaries(mediator: Mediator): ProcessSummary[] {
  return [...mediator.tracees.processes.values()]
    .filter((p) => p.exitStatus !== undefined)
    .map((p) => ({ pid: shownPid(p), host: p.host, command: p.command, exit: p.exitStatus! }));
}
