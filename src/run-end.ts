import { constants } from 'node:os';
import { RunFailedError } from './errors.js';
import { EXIT_STATUS } from './exit-status.js';
import { signalName } from './mediator/abi/signal.js';
import type { RunOutcome } from './mediator/mediator.js';
import type { Process } from './mediator/tracees/tracees.js';
import { shownPid } from './report/ids.js';
import { formatDuration } from './report/units.js';

/** What the user hears when a process crashes: `[alice 1002] ./app killed by SIGSEGV at 1.25 s (virtual)`. */
export function crashNotice(process: Process, signal: number, date: number): string {
  return `[${process.host} ${shownPid(process)}] ${process.command} killed by ${signalName(signal) ?? `signal ${signal}`} at ${formatDuration(date)} (virtual)`;
}

export interface StopContext {
  /** Virtual time when the run stopped. */
  now: number;
  wallLimit: number | undefined;
  /** Why runExperiment's signal aborted: a signal's name ('SIGINT') gives the status a shell expects. */
  abortReason: unknown;
}

/**
 * A run stopped from outside fails, with its own line: the wall-clock limit
 * (the run-failed status) or an interruption (128+N for signal N, as a shell
 * reports a program it killed). Undefined for a run that ended as planned.
 */
export function cutShort(outcome: RunOutcome, context: StopContext): RunFailedError | undefined {
  const count = outcome.stopped.length;
  const were = count === 1 ? 'was' : 'were';
  const killed = `${count} process${count === 1 ? '' : 'es'} ${were} still running and ${were} killed`;
  const at = `at virtual time ${formatDuration(context.now)}`;
  switch (outcome.end) {
    case 'wall-limit':
      return new RunFailedError('wall-limit', `wall-clock limit of ${formatDuration(context.wallLimit ?? 0)} reached (--wall-limit) ${at}: ${killed}`);
    case 'interrupted': {
      const signal = signalNumber(context.abortReason);
      const by = signal === undefined ? '' : ` by ${String(context.abortReason)}`;
      return new RunFailedError('interrupted', `interrupted${by} ${at}: ${killed}`, undefined, signal === undefined ? EXIT_STATUS.runFailed : 128 + signal);
    }
    default:
      return undefined;
  }
}

function signalNumber(reason: unknown): number | undefined {
  return typeof reason === 'string' ? (constants.signals as Record<string, number | undefined>)[reason] : undefined;
}
