import type { Command } from 'commander';
import { UserError } from '../errors.js';
import { EXIT_STATUS } from '../exit-status.js';
import type { Check } from './doctor-checks.js';

/** `ok` or `missing`, then the piece and what was found (or what its absence costs). */
export function formatCheck(check: Check): string {
  return `${check.ok ? 'ok     ' : 'missing'}  ${check.name}: ${check.detail}`;
}

/**
 * `simterpose doctor`: a line per piece of the machine simterpose uses;
 * status 0 when everything a run needs is there (a missing piece with a
 * fallback only costs what its line says), else one line naming the first
 * missing piece and status 1.
 */
export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('Check what this machine gives simterpose (ptrace, seccomp, io_uring, counters...) and what each missing piece costs.')
    .option('--json', 'machine-readable output: [{ name, ok, needed, detail }]')
    .action(async (options: { json?: boolean }) => {
      // The checks probe the kernel and read /proc: only doctor needs them.
      const { runChecks } = await import('./doctor-checks.js');
      const checks = runChecks();
      process.stdout.write(options.json === true ? `${JSON.stringify(checks, null, 2)}\n` : checks.map((check) => `${formatCheck(check)}\n`).join(''));
      const blocking = checks.find((check) => check.needed && !check.ok);
      if (blocking !== undefined) throw new UserError(`cannot run here: ${blocking.name}: ${blocking.detail}`, undefined, EXIT_STATUS.machineUnfit);
      if (options.json !== true) {
        const missing = checks.filter((check) => !check.ok).length;
        process.stdout.write(
          `simterpose can run here${missing === 0 ? '' : ` (${missing} missing piece${missing === 1 ? '' : 's'}: see what each costs above)`}\n`,
        );
      }
    });
}
