import type { Process } from '../mediator/tracees/tracees.js';

/** The pid reports, traces and output files show for a process: its virtual pid, what the program itself sees. */
export function shownPid(process: Process): number {
  return process.vpid;
}
