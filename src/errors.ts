import { EXIT_STATUS, type FailedRunEnd } from './exit-status.js';
import type { ExperimentResult } from './experiment.js';

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
 * limit, a platform without a route the programs need, its wall-clock
 * limit, an interruption): reported like a user's mistake, by the CLI and
 * runExperiment alike, with the run-failed status unless told otherwise.
 * `end` is how the report names it.
 */
export class RunFailedError extends UserError {
  /**
   * What the run came to before it was cut short, once runExperiment has
   * killed the processes left and written the report and the trace.
   */
  result: ExperimentResult | undefined;

  constructor(
    readonly end: FailedRunEnd,
    message: string,
    hint?: string,
    exitCode: number = EXIT_STATUS.runFailed,
  ) {
    super(message, hint, exitCode);
    this.name = 'RunFailedError';
  }
}
