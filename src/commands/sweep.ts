import { writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { constants } from 'node:os';
import { type Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { EXIT_STATUS } from '../exit-status.js';
import { parseNumber } from '../run-options.js';

const SWEEP_HELP = `
A sweep file (YAML) names a platform, a deployment or a command, the
parameters to vary and the seeds; paths are relative to the sweep file:

  platform: ../platforms/two-hosts.xml
  command: [./client, bob, "{size}"]    # or deployment: d.xml
  options: [--stop-time, "60"]          # more simterpose run options, for every experiment
  parameters:
    bandwidth: { element: wire, attribute: bandwidth, values: [10MBps, 100MBps] }
    latency:   { element: [l1, l2], attribute: latency, values: [1ms, 10ms] }
    size:      [1000, 1000000]          # a program argument: {size} in command,
                                        # options or a deployment's <argument value>
  seeds: [1, 2, 3]                      # or a count: 3 means 0, 1, 2 ({seed} too)
  slurm: [--time=00:10:00]              # more #SBATCH options for --emit slurm
  kubernetes: { image: registry/simterpose:1, volumeClaim: sweeps }   # for --emit k8s

Every combination of the values, times every seed, is an experiment (the
first parameter varies slowest): OUT/exp-0000, OUT/exp-0001... each holding
its platform.xml (the platform with that point's attributes), deployment.xml,
params.json, run.args (the words of its \`simterpose run\`), and once run its
report.json, stdout and stderr. An experiment with a report is not run again:
run the sweep again to finish an interrupted one. Then \`simterpose collect OUT\`.

Examples:
  simterpose sweep examples/sweep/transfer.yaml --out runs --jobs 2
  sbatch "$(simterpose sweep --emit slurm examples/sweep/transfer.yaml --out /shared/runs)"
  kubectl apply -f "$(simterpose sweep --emit k8s examples/sweep/transfer.yaml --out /shared/runs)"

Exit status: 0 when every experiment ran through (its programs' own statuses
are results, in the reports); ${EXIT_STATUS.runFailed} when simterpose could not carry one through
(no report, a deadlock, --wall-limit...: its stderr file says why); ${EXIT_STATUS.usage} for a
mistake in the sweep file or the options; 128+N if the sweep got signal N.`;

interface SweepOptions {
  out?: string;
  jobs?: number;
  emit?: 'slurm' | 'k8s';
}

/** The file --emit writes, in the sweep's folder. */
const EMITTED_FILES = { slurm: 'sweep.slurm', k8s: 'sweep-job.yaml' } as const;

/** `simterpose sweep <sweep.yaml>`: runs a parameter study, or writes it out for a cluster's scheduler. */
export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'Run every experiment of a parameter grid (platform attributes, program arguments, seeds), each in its own folder, on N local workers; or write a Slurm job array or a Kubernetes Indexed Job that runs them.',
    )
    .argument('<sweep.yaml>', 'the sweep file')
    .option('--out <dir>', "the sweep's folder: an exp-NNNN folder per experiment (default: the sweep file's name with -out, here)")
    .option(
      '--jobs <n>',
      'experiments at a time, each on its own CPU (default: the CPUs simterpose may use); with --emit, how many the scheduler runs at once',
      (text) => positiveInteger('--jobs', text),
    )
    .addOption(
      new Option('--emit <engine>', 'write the experiments out as a Slurm batch script or a Kubernetes Job, instead of running them').choices(['slurm', 'k8s']),
    )
    .addHelpText('after', SWEEP_HELP)
    .action(async (file: string, options: SweepOptions) => {
      // The sweep's modules (and YAML's) load with the command, not with the CLI.
      const [{ readSweepFile }, { prepareSweep }, { kubernetesJob, slurmScript }, { runLocally }, { allowedCpus }] = await Promise.all([
        import('../sweep/sweep-file.js'),
        import('../sweep/prepare.js'),
        import('../sweep/emit.js'),
        import('../sweep/local-runner.js'),
        import('../mediator/cpu-placement.js'),
      ]);
      const spec = readSweepFile(file);
      const out = options.out ?? `${basename(file, extname(file))}-out`;
      const experiments = await prepareSweep(spec, out);
      if (options.emit !== undefined) {
        const target = join(out, EMITTED_FILES[options.emit]);
        const text = options.emit === 'slurm' ? slurmScript(spec, out, experiments, options.jobs) : kubernetesJob(spec, out, experiments, options.jobs);
        writeFileSync(target, text, { mode: 0o755 });
        process.stderr.write(
          `sweep: ${experiments.length} experiments in ${out}; ${options.emit === 'slurm' ? 'sbatch' : 'kubectl apply -f'} ${target} runs them\n`,
        );
        process.stdout.write(`${target}\n`);
        return;
      }
      const interruption = new AbortController();
      const interrupt = (signal: NodeJS.Signals): void => interruption.abort(signal);
      for (const name of STOPPING_SIGNALS) process.once(name, interrupt);
      try {
        const summary = await runLocally(experiments, { jobs: options.jobs ?? allowedCpus().length, progress: process.stderr, signal: interruption.signal });
        if (summary.interrupted) {
          const signal = interruption.signal.reason as NodeJS.Signals;
          throw new UserError(`sweep interrupted by ${signal}: run it again to finish it`, undefined, 128 + constants.signals[signal]);
        }
        if (summary.failed.length > 0) {
          const first = summary.failed[0]!;
          throw new UserError(
            `${summary.failed.length} of ${experiments.length} experiments did not run through, ${first.name} first: ${first.why}`,
            `see ${join(out, first.name, 'stderr')}`,
            EXIT_STATUS.runFailed,
          );
        }
        process.stderr.write(`sweep: every experiment of ${out} has its report; simterpose collect ${out} gathers them\n`);
      } finally {
        for (const name of STOPPING_SIGNALS) process.removeListener(name, interrupt);
      }
    });
}

function positiveInteger(option: string, text: string): number {
  const value = parseNumber(text);
  if (!Number.isSafeInteger(value) || value < 1) throw new UserError(`${option} must be a positive integer, not '${text}'`);
  return value;
}

const STOPPING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
