import { RunFailedError } from '../../errors.js';
import type { Thread } from '../tracees/tracees.js';

/** How users report a syscall simterpose cannot handle yet. */
const REPORT_HINT = 'run `simterpose syscalls` for what is supported; to report a missing one, open an issue with the program and the output of --strace';

/** A tracee made a syscall that simterpose cannot mediate correctly: the run stops and names it. */
export class UnsupportedSyscallError extends RunFailedError {
  constructor(
    readonly syscall: string,
    readonly thread: Thread,
    readonly why?: string,
  ) {
    super(
      'unsupported-syscall',
      `unsupported syscall ${syscall} called by ${thread.label} on host ${thread.process.host}${why === undefined ? '' : ` (${why})`}`,
      REPORT_HINT,
    );
    this.name = 'UnsupportedSyscallError';
  }
}
