import { type Command, Option } from 'commander';
import { UserError } from '../errors.js';
import { runExperiment } from '../experiment.js';
import { formatSummary } from '../report/summary.js';
import { LOG_LEVELS, setLogLevel } from '../log.js';
import { DeadlockError } from '../mediator/loop/idle.js';
import { REPORT_HINT, UnsupportedSyscallError } from '../mediator/syscalls/unsupported.js';
import type { LevelWithSilent } from 'pino';
import type { CpuModelName } from '../mediator/host/cpu-model.js';

/** Exit status when simterpose itself could not finish the run (deadlock, unsupported syscall). */
export const RUN_FAILED = 125;

interface RunOptions {
  host?: string;
  strace?: boolean | string;
  untrap?: string;
  cpu?: string;
  epoch?: string;
  seed: number;
  cpuModel?: CpuModelName;
  flopsPerInstruction?: number;
  referenceSpeed?: number;
  cpuThreshold?: number;
  logLevel: LevelWithSilent;
  network: 'full' | 'translate';
  notifySyscalls: boolean;
  report?: string;
  trace?: string;
  outputDir?: string;
  quiet?: boolean;
}

const EXAMPLES = `
Examples:
  simterpose run platforms/two-hosts.xml -- ./server 8080
  simterpose run platforms/cluster16.xml --host node-3 -- python3 app.py
  simterpose run platforms/two-hosts.xml --strace=trace.txt -- sh -c 'ls | wc -l'
  simterpose run platforms/two-hosts.xml deployment.xml     # programs on several hosts
  simterpose run --report run.json --trace trace.json --output-dir out platforms/two-hosts.xml deployment.xml

At the end, a table of the processes (host, exit status, virtual start and end,
CPU time, bytes sent and received) goes to stderr; --quiet leaves it out.

Exit status: the program's own; 128+N if signal N killed it; 127 if it cannot
be executed; 125 if simterpose could not finish the run (deadlock,
unsupported syscall); 2 for a usage mistake.`;

/**
 * `simterpose run <platform.xml> [options] -- <program> [args]`. The words
 * after `--` are the program's: main() sets them aside before commander parses.
 */
export function registerRun(program: Command, programArgv: () => string[]): void {
  program
    .command('run')
    .description('Run a program under simterpose, on a host of a SimGrid platform.')
    .argument('<platform.xml>', 'SimGrid platform file')
    .argument('[deployment.xml]', 'SimGrid deployment file: programs, their hosts and start times (instead of -- program)')
    .option('--host <name>', 'host the program runs on (default: the first host of the platform)')
    .option('--strace [file]', 'log every syscall, strace-style, to stderr or to a file (traps every syscall: slower)')
    .option('--untrap <syscalls>', 'comma-separated syscalls to leave untrapped and native (for benchmarks and debugging)')
    .option(
      '--cpu <n|none>',
      'CPU shared by simterpose and its tracees (default: the first it may use); its helper threads keep to the others; none lets Linux place them',
    )
    .option('--epoch <date|now>', 'date (ISO 8601) that virtual time 0 corresponds to; now for the real date', '2000-01-01T00:00:00Z')
    .addOption(
      new Option('--seed <n>', 'seeds the random bytes programs get (getrandom, /dev/urandom, AT_RANDOM): same seed, same bytes')
        .argParser(parseNumber)
        .default(0),
    )
    .addOption(
      new Option('--cpu-model <model>', 'how computing costs virtual time (default: instructions where a hardware counter exists, else cputime)').choices([
        'instructions',
        'cputime',
        'none',
      ]),
    )
    .addOption(new Option('--flops-per-instruction <n>', 'flops one retired instruction counts for (instructions model)').argParser(parseNumber).default(1))
    .addOption(
      new Option('--reference-speed <flops>', 'flops per CPU second of this machine, from `simterpose calibrate` (cputime model)')
        .argParser(parseNumber)
        .default(1e9),
    )
    .addOption(
      new Option('--cpu-threshold <flops>', 'work below this is carried over to the next syscall instead of simulated at once')
        .argParser(parseNumber)
        .default(1e5),
    )
    .addOption(new Option('--log-level <level>', 'log verbosity').choices(LOG_LEVELS).default('warn'))
    .addHelpText('after', EXAMPLES)
    .option('--report <file.json>', "write the run's report (processes, statuses, virtual times, bytes) as JSON")
    .option('--trace <file.json>', 'write a Chrome trace-event file of the virtual timeline (open it in ui.perfetto.dev)')
    .option('--output-dir <dir>', "each process's stdout, stderr and strace in its own file: DIR/HOST/NAME.PID.stdout")
    .option('--quiet', 'no summary table at the end and no progress line')
    .addOption(
      new Option('--network <mode>', 'full: the mediator carries every byte; translate: real loopback sockets, addresses rewritten')
        .choices(['full', 'translate'])
        .default('full'),
    )
    .option(
      '--no-notify-syscalls',
      'every trapped syscall is a ptrace stop; by default socket data (read, write, send, recv...), id and clock calls come as seccomp user notifications, which cost less (where io_uring has WAITID: Linux 6.7 or later)',
    )
    .action(async (platform: string, deployment: string | undefined, options: RunOptions) => {
      setLogLevel(options.logLevel);
      const command = programArgv();
      if (command.length === 0 && deployment === undefined) {
        throw new UserError('no program to run', 'simterpose run platform.xml -- ./app args, or simterpose run platform.xml deployment.xml');
      }
      try {
        const result = await runExperiment({
          platform,
          command,
          deployment,
          network: options.network,
          notifySyscalls: options.notifySyscalls,
          host: options.host,
          strace: options.strace,
          untrap: options.untrap?.split(',').filter((name) => name !== ''),
          cpu: parseCpu(options.cpu),
          epoch: options.epoch,
          seed: options.seed,
          cpuModel: options.cpuModel,
          flopsPerInstruction: options.flopsPerInstruction,
          referenceSpeed: options.referenceSpeed,
          cpuThreshold: options.cpuThreshold,
          report: options.report,
          trace: options.trace,
          outputDir: options.outputDir,
          captureOutput: false,
          progress: options.quiet === true ? undefined : process.stderr,
          onNotice: (message) => process.stderr.write(`simterpose: ${message}\n`),
        });
        if (options.quiet !== true) process.stderr.write(formatSummary(result.report, result.wallTime));
        process.exitCode = result.exitCode;
      } catch (error) {
        if (error instanceof UnsupportedSyscallError) throw new UserError(error.message, REPORT_HINT, RUN_FAILED);
        if (error instanceof DeadlockError) throw new UserError(error.message, undefined, RUN_FAILED);
        throw error;
      }
    });
}

export function parseNumber(value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !Number.isFinite(number)) throw new UserError(`'${value}' is not a number`);
  return number;
}

function parseCpu(value: string | undefined): number | 'none' | undefined {
  if (value === undefined || value === 'none') return value;
  const cpu = Number(value);
  if (!Number.isInteger(cpu) || cpu < 0) throw new UserError(`--cpu takes a CPU number or 'none', not '${value}'`);
  return cpu;
}
