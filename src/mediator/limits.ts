import { UserError } from '../errors.js';

/** Exit status when simterpose could not finish the run (as for a deadlock). */
export const RUN_FAILED = 125;

/**
 * A system limit hit while mediating many processes, as one line the user
 * can act on, instead of the failed call's stack. The mediator keeps a few
 * descriptors per live process (a pidfd to look at its descriptors, an open
 * CPU-time file or counter per thread), so large deployments need a higher
 * open-files limit than the usual 1024 (Node raises its soft limit to the
 * hard one at start-up: the hard limit is what counts).
 */
export function limitError(error: unknown, liveProcesses: number): UserError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const alive = `${liveProcesses} process${liveProcesses === 1 ? '' : 'es'} alive`;
  switch (code) {
    case 'EMFILE':
      return new UserError(`too many open files with ${alive}: raise the open-files limit (ulimit -n)`, undefined, RUN_FAILED);
    case 'ENFILE':
      return new UserError(`the system's open-file table is full with ${alive}: raise fs.file-max`, undefined, RUN_FAILED);
    default:
      return undefined;
  }
}

/** Like `limitError`, and for starting a process also EAGAIN (no more processes allowed) and ENOMEM. */
export function spawnLimitError(error: unknown, liveProcesses: number): UserError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const alive = `${liveProcesses} process${liveProcesses === 1 ? '' : 'es'} alive`;
  if (code === 'EAGAIN') return new UserError(`cannot start another process with ${alive}: raise the limit with ulimit -u`, undefined, RUN_FAILED);
  if (code === 'ENOMEM') return new UserError(`out of memory starting another process with ${alive}`, undefined, RUN_FAILED);
  return limitError(error, liveProcesses);
}
