import { Command, CommanderError } from 'commander';
import { registerRun } from '../commands/run.js';
import { UserError } from '../errors.js';

/**
 * Checks the words after `simterpose` of an experiment's run (`run ...`) as the run command
 * itself will read them (an unknown option, a value its option refuses), so
 * that a typo in the sweep file's options is told once, before any run,
 * rather than by every experiment's stderr.
 */
export function checkRunWords(words: readonly string[], where: string): void {
  const separator = words.indexOf('--');
  const ours = separator < 0 ? words : words.slice(0, separator);
  const program = new Command('simterpose').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerRun(program, () => [], []);
  // Read, not run.
  program.commands[0]!.action(() => {});
  try {
    program.parse(['node', 'simterpose', ...ours]);
  } catch (error) {
    if (error instanceof CommanderError) throw new UserError(`${where}: ${error.message.replace(/^error: /, '').split('\n')[0]}`);
    if (error instanceof UserError) throw new UserError(`${where}: ${error.message}`, error.hint);
    throw error;
  }
}
