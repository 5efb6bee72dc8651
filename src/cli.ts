import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { UserError } from './errors.js';
import { registerRun } from './commands/run.js';
import { registerSyscalls } from './commands/syscalls.js';
import { registerPlatform } from './commands/platform.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Builds the command tree; each command lives in src/commands and only wires options to the library. */
export function buildProgram(): Command {
  const program = new Command('simterpose')
    .description('Run real, unmodified Linux programs as if each ran on a host of a simulated SimGrid platform.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerRun(program);
  registerPlatform(program);
  registerSyscalls(program);
  return program;
}

/** Runs the CLI; returns the exit status instead of exiting so tests can call it. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
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
  throw error;
}
