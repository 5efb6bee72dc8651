import type { Process } from '../mediator/tracees.js';

/** The pid reports, traces and output files show for a process: the one place to change what users see. */
export function shownPid(process: Process): number {
  return process.pid;
}
