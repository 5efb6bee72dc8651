import { RunFailedError } from '../errors.js';

/**
 * A system limit hit while mediating many processes, as one line the user
 * can act on, instead of the failed call's stack. The mediator keeps a few
 * descriptors per live process (a pidfd to look at its descriptors, an open
 * CPU-time file or counter per thread), so large deployments need a higher
 * open-files limit than the usual 1024 (Node raises its soft limit to the
 * hard one at start-up: the hard limit is what counts).
 */
export function limitError(error: unknown, liveProcesses: number): RunFailedError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const alive = `${liveProcesses} process${liveProcesses === 1 ? '' : 'es'} alive`;
  switch (code) {
    case 'EMFILE':
      return new RunFailedError('system-limit', `too many open files with ${alive}: raise the open-files limit (ulimit -n)`);
    case 'ENFILE':
      return new RunFailedError('system-limit', `the system's open-file table is full with ${alive}: raise fs.file-max`);
    default:
      return undefined;
  }
}

/** Like `limitError`, and for starting a process also EAGAIN (no more processes allowed) and ENOMEM. */
export function spawnLimitError(error: unknown, liveProcesses: number): RunFailedError | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  const alive = `${liveProcesses} process${liveProcesses === 1 ? '' : 'es'} alive`;
  if (code === 'EAGAIN') return new RunFailedError('system-limit', `cannot start another process with ${alive}: raise the limit with ulimit -u`);
  if (code === 'ENOMEM') return new RunFailedError('system-limit', `out of memory starting another process with ${alive}`);
  return limitError(error, liveProcesses);
}
