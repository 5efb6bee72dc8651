import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { allowedCpus } from '../mediator/cpu-placement.js';
import { packagePath } from '../package-root.js';
import { EXPERIMENT_FILES, type PreparedExperiment } from './prepare.js';

/** simterpose's own command line script, beside dist/ in the package. */
export const SIMTERPOSE_SCRIPT = packagePath('bin/simterpose.js');

/** How an experiment's report ended, or undefined when it has none yet (or a run cut short by an interruption left one, to be run again). */
export function finishedEnd(folder: string): string | undefined {
  const file = join(folder, EXPERIMENT_FILES.report);
  if (!existsSync(file)) return undefined;
  try {
    const end = (JSON.parse(readFileSync(file, 'utf8')) as { end?: unknown }).end;
    return typeof end === 'string' && end !== 'interrupted' ? end : undefined;
  } catch {
    // Half written when its run was killed: run it again.
    return undefined;
  }
}

export interface LocalRunOptions {
  jobs: number;
  /** Where progress lines go. */
  progress: NodeJS.WritableStream;
  /** Aborted: no experiment starts any more, and those running are stopped (they write their reports, marked interrupted). */
  signal?: AbortSignal;
}

/** What came of the experiments this call ran. */
export interface LocalRunSummary {
  ran: number;
  skipped: number;
  /** Experiments that ended with no report, or whose report's end is a failure of the run (deadlock, wall-limit...). */
  failed: { name: string; why: string }[];
  interrupted: boolean;
}

/** Ends of a run that the run's programs decided: anything else means simterpose could not carry the experiment through. */
const RUN_THROUGH = new Set(['completed', 'stop-time']);

/**
 * Runs the experiments that have no report yet, `jobs` at a time, each a
 * `simterpose run` in its own folder with its own CPU (`--cpu`) while there
 * are CPUs enough, its output in the folder's stdout and stderr.
 */
export async function runLocally(experiments: readonly PreparedExperiment[], options: LocalRunOptions): Promise<LocalRunSummary> {
  const pending = experiments.filter((e) => finishedEnd(e.folder) === undefined);
  const summary: LocalRunSummary = { ran: 0, skipped: experiments.length - pending.length, failed: [], interrupted: false };
  const jobs = Math.max(1, Math.min(options.jobs, pending.length));
  const cpus = allowedCpus();
  options.progress.write(
    `sweep: ${experiments.length} experiment${experiments.length === 1 ? '' : 's'}, ${summary.skipped} with a report already, ${pending.length} to run on ${jobs} worker${jobs === 1 ? '' : 's'}\n`,
  );
  const running = new Set<ChildProcess>();
  const stop = (): void => {
    summary.interrupted = true;
    for (const child of running) child.kill('SIGTERM');
  };
  options.signal?.addEventListener('abort', stop, { once: true });
  let next = 0;
  const worker = async (slot: number): Promise<void> => {
    // More workers than CPUs share them, the least loaded first.
    const cpu = jobs <= cpus.length ? String(cpus[slot]) : 'auto';
    while (next < pending.length && !summary.interrupted) {
      const experiment = pending[next++]!;
      const started = performance.now();
      const status = await runOne(experiment, cpu, running);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      summary.ran++;
      const end = finishedEnd(experiment.folder);
      let outcome: string;
      if (end !== undefined) outcome = RUN_THROUGH.has(end) ? `${end}, status ${status}` : end;
      else outcome = summary.interrupted ? 'interrupted' : `no report (status ${status})`;
      if (!summary.interrupted && (end === undefined || !RUN_THROUGH.has(end))) summary.failed.push({ name: experiment.name, why: outcome });
      const done = summary.skipped + summary.ran;
      options.progress.write(`[${done}/${experiments.length}] ${experiment.name} ${outcome} in ${seconds} s (${describePoint(experiment)})\n`);
    }
  };
  await Promise.all(Array.from({ length: jobs }, (_, slot) => worker(slot)));
  options.signal?.removeEventListener('abort', stop);
  return summary;
}

/** `bandwidth=10MBps size=1000 seed=2`. */
export function describePoint(experiment: PreparedExperiment): string {
  return [...Object.entries(experiment.values).map(([name, value]) => `${name}=${value}`), `seed=${experiment.seed}`].join(' ');
}

function runOne(experiment: PreparedExperiment, cpu: string, running: Set<ChildProcess>): Promise<number | string> {
  const [command, ...rest] = experiment.params.run;
  const stdout = openSync(join(experiment.folder, EXPERIMENT_FILES.stdout), 'w');
  const stderr = openSync(join(experiment.folder, EXPERIMENT_FILES.stderr), 'w');
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SIMTERPOSE_SCRIPT, command!, '--cpu', cpu, ...rest], {
      cwd: experiment.folder,
      stdio: ['ignore', stdout, stderr],
      // Its own process group: Ctrl-C reaches the sweep alone, which stops each run once (SIGTERM), as a run expects.
      detached: true,
    });
    running.add(child);
    let finished = false;
    // A child that cannot be spawned reports 'error', and maybe 'close' after it.
    const finish = (status: number | string): void => {
      if (finished) return;
      finished = true;
      running.delete(child);
      closeSync(stdout);
      closeSync(stderr);
      resolve(status);
    };
    child.on('error', (error) => finish(error.message));
    child.on('close', (code, signal) => finish(code ?? signal ?? 'unknown'));
  });
}
