/**
 * The exit statuses simterpose gives, besides the program's own (README,
 * "Exit status"): each declared here once.
 */
export const EXIT_STATUS = {
  /** A usage mistake: a bad option, a missing file, an unknown host. */
  usage: 2,
  /** A bug in simterpose itself (EX_SOFTWARE). */
  internalError: 70,
  /** simterpose could not finish the run: a deadlock, an unsupported syscall, a system limit. */
  runFailed: 125,
  /** A program could not be executed, as shells report it. */
  cannotExecute: 127,
} as const;

/** How a process ended, as the kernel reports it. */
export type ProcessExit = { code: number } | { signal: number; core: boolean };

/** The status a shell reports for a process: its exit code, or 128+N if signal N killed it. */
export function shellStatus(exit: ProcessExit): number {
  return 'code' in exit ? exit.code : 128 + exit.signal;
}
