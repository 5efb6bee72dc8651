/**
 * A mistake the user can fix (bad file, unknown host, missing program).
 * The CLI prints it as one line, plus an optional hint, and exits non-zero;
 * anything else that escapes is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
