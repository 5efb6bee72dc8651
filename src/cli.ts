import { Command, CommanderError } from 'commander';
import { UserError } from './errors.js';
import { EXIT_STATUS } from './exit-status.js';
import { registerRun } from './commands/run.js';
import { registerSyscalls } from './commands/syscalls.js';
import { registerPlatform } from './commands/platform.js';
import { registerCalibrate } from './commands/calibrate.js';
import { registerDoctor } from './commands/doctor.js';
import { registerSweep } from './commands/sweep.js';
import { registerCollect } from './commands/collect.js';
import { registerPlot } from './commands/plot.js';
import { simterposeVersion } from './version.js';
import { startBusySample } from './mediator/cpu-busy.js';

/** Builds the command tree; each command lives in src/commands and only wires options to the library. */
export function buildProgram(programArgv: () => string[] = () => [], commandLine: string[] = []): Command {
  const program = new Command('simterpose')
    .description('Run real, unmodified Linux programs as if each ran on a host of a simulated SimGrid platform.')
    .version(simterposeVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program, programArgv, commandLine);
  registerPlatform(program);
  registerSyscalls(program);
  registerCalibrate(program);
  registerDoctor(program);
  registerSweep(program);
  registerCollect(program);
  registerPlot(program);
  return program;
}

/** Runs the CLI; returns the exit status instead of exiting so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  // How busy the CPUs are is measured over the start-up: `run --cpu auto` picks its CPU from it without waiting for a sample of its own.
  startBusySample();
  // Everything after the first `--` belongs to the traced program, options included.
  const separator = argv.indexOf('--');
  const ours = separator < 0 ? argv : argv.slice(0, separator);
  const theirs = separator < 0 ? [] : argv.slice(separator + 1);
  // commander's argv starts with node and the script, as process.argv does.
  const program = buildProgram(() => theirs, argv.slice(2));
  try {
    await program.parseAsync(ours);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help/version text).
    return error.exitCode;
  }
  if (error instanceof UserError) {
    process.stderr.write(`simterpose: ${error.message}\n`);
    if (error.hint !== undefined) process.stderr.write(`hint: ${error.hint}\n`);
    return error.exitCode;
  }
  // No addon loads on this machine (src/mediator/native.ts), which a command
  // that traces, or reads the syscall table, finds as it loads its modules:
  // one line saying how to build one. Told by name, since importing the
  // class would load the addon at every start.
  if (error instanceof Error && error.name === 'AddonMissingError') {
    process.stderr.write(`simterpose: ${error.message}\n`);
    return EXIT_STATUS.machineUnfit;
  }
  // Anything else is simterpose's own bug: say so, with what helps fix it.
  const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`simterpose: internal error (please report it): ${detail}\n`);
  return EXIT_STATUS.internalError;
}
