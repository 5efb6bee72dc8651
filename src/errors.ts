import { EXIT_STATUS } from './exit-status.js';

/**
 * A mistake the user can fix (bad file, unknown host, missing program).
 * The CLI prints it as one line, plus an optional hint, and exits non-zero;
 * anything else that escapes is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode: number = EXIT_STATUS.usage,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * The run could not go on (a deadlock, an unsupported syscall, a system
 * limit, a platform without a route the programs need): reported like a
 * user's mistake, by the CLI and runExperiment alike, with the run-failed status.
 */
export class RunFailedError extends UserError {
  constructor(message: string, hint?: string) {
    super(message, hint, EXIT_STATUS.runFailed);
    this.name = 'RunFailedError';
  }
}
