import { type Command, Option } from 'commander';
import type { LevelWithSilent } from 'pino';
import { RunFailedError, UserError } from '../errors.js';
import { EXIT_STATUS } from '../exit-status.js';
import type { ExperimentResult, NoticeKind } from '../experiment.js';
import { LOG_LEVELS, setLogLevel } from '../log.js';
import { formatSummary } from '../report/summary.js';
import { RUN_OPTIONS, type OptionSpec, type RunOptions } from '../run-options.js';

/** What `run` takes besides the run's own options: how the CLI itself behaves. */
interface CliOptions extends RunOptions {
  logLevel: LevelWithSilent;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  simterpose run platforms/two-hosts.xml -- ./server 8080
  simterpose run platforms/cluster16.xml --host node-3 -- python3 app.py
  simterpose run platforms/two-hosts.xml --strace=trace.txt -- sh -c 'ls | wc -l'
  simterpose run platforms/two-hosts.xml deployment.xml     # programs on several hosts
  simterpose run --report run.json --trace trace.json --output-dir out platforms/two-hosts.xml deployment.xml
  simterpose run --stop-time 3600 platforms/two-hosts.xml servers.xml   # stop servers after an hour of virtual time
  simterpose run --fault host:bob:off@5 --fault host:bob:on@9 platforms/two-hosts.xml deployment.xml   # bob crashes, boots

At the end, a table of the processes (host, exit status, virtual start and end,
CPU time, bytes sent and received) goes to stderr; --quiet leaves it out.

--stop-time ends a run whose programs never exit (servers): the processes
left are killed and count as stopped, not failed; so do those of an actor
past its kill_time in a deployment. Ctrl-C, SIGTERM and --wall-limit stop a
run too; the summary, --report and --trace are still written.

Exit status: the program's own; 128+N if signal N killed it; ${EXIT_STATUS.cannotExecute} if it cannot
be executed; ${EXIT_STATUS.runFailed} if simterpose could not finish the run (deadlock,
unsupported syscall, --wall-limit); 128+N if simterpose got signal N (Ctrl-C: 130);
${EXIT_STATUS.usage} for a usage mistake; ${EXIT_STATUS.internalError} for a bug in simterpose.`;

/** A run option as commander declares it, from its one spec. */
function cliOption(spec: OptionSpec<unknown>): Option {
  const option = new Option(spec.flag, spec.help);
  if (spec.parse !== undefined) option.argParser(spec.parse);
  if (spec.choices !== undefined) option.choices(spec.choices);
  // A negated flag (--no-x) already defaults to true.
  if (spec.default !== undefined && !spec.flag.startsWith('--no-')) option.default(spec.default);
  return option;
}

/** The run's own options among those commander parsed: every key of RUN_OPTIONS, from where commander put it (--fault's values under `fault`). */
function runOptionsOf(options: CliOptions): RunOptions {
  const parsed = options as unknown as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries<OptionSpec<unknown>>(RUN_OPTIONS)) picked[key] = parsed[new Option(spec.flag).attributeName()];
  return picked as RunOptions;
}

/**
 * `simterpose run <platform.xml> [options] -- <program> [args]`. The words
 * after `--` are the program's: main() sets them aside before commander parses.
 */
export function registerRun(program: Command, programArgv: () => string[], commandLine: string[]): void {
  const command = program
    .command('run')
    .description('Run a program under simterpose, on a host of a SimGrid platform.')
    .argument('<platform.xml>', 'SimGrid platform file')
    .argument('[deployment.xml]', 'SimGrid deployment file: programs, their hosts and start times (instead of -- program)');
  for (const spec of Object.values<OptionSpec<unknown>>(RUN_OPTIONS)) command.addOption(cliOption(spec));
  command
    .addOption(new Option('--log-level <level>', 'log verbosity').choices(LOG_LEVELS).default('warn'))
    .option('--quiet', 'no summary table at the end, no progress line, no notice of the CPU model chosen (warnings and crashes are still told)')
    .addHelpText('after', EXAMPLES)
    .action(async (platform: string, deployment: string | undefined, options: CliOptions) => {
      setLogLevel(options.logLevel);
      const command = programArgv();
      if (command.length === 0 && deployment === undefined) {
        throw new UserError('no program to run', 'simterpose run platform.xml -- ./app args, or simterpose run platform.xml deployment.xml');
      }
      const summarize = (result: ExperimentResult): void => {
        if (options.quiet !== true) process.stderr.write(formatSummary(result.report, result.wallTime));
      };
      const interruption = new AbortController();
      const interrupt = (signal: NodeJS.Signals): void => {
        // A second one finds Node's default action again, and ends simterpose at once (its tracees with it: PTRACE_O_EXITKILL).
        for (const name of STOPPING_SIGNALS) process.removeListener(name, interrupt);
        interruption.abort(signal);
      };
      for (const name of STOPPING_SIGNALS) process.once(name, interrupt);
      try {
        // Loaded here, not with the CLI: the other commands and --help need none of the mediator.
        const { runExperiment } = await import('../experiment.js');
        const result = await runExperiment({
          ...runOptionsOf(options),
          platform,
          command,
          commandLine,
          deployment,
          captureOutput: false,
          progress: options.quiet === true ? undefined : process.stderr,
          onNotice: (message, kind) => {
            if (options.quiet !== true || !QUIETED.has(kind)) process.stderr.write(`simterpose: ${message}\n`);
          },
          signal: interruption.signal,
        });
        summarize(result);
        process.exitCode = result.exitCode;
      } catch (error) {
        // A run cut short still shows what it came to; its own message follows.
        if (error instanceof RunFailedError && error.result !== undefined) summarize(error.result);
        throw error;
      } finally {
        for (const name of STOPPING_SIGNALS) process.removeListener(name, interrupt);
      }
    });
}

/**
 * Notices --quiet leaves out: what simterpose chose for the user. Crashes
 * are results of the run, and a warning tells what the results are worth:
 * those are told even then.
 */
const QUIETED: ReadonlySet<NoticeKind> = new Set(['cpu-model']);

/** Signals that stop a run: its processes are killed and its results written. */
const STOPPING_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
