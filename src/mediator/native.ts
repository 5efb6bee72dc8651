/**
 * The ptrace addon (native/ptrace-rs). Its generated index.d.ts is the
 * contract; this module hands on the addon that addon.ts loaded, and names
 * the stop kinds that `waitStop` writes into its output buffer.
 */
export { ptrace } from './addon.js';
export { AddonMissingError } from './addon-missing.js';
export type { FdInfo, FileSource, MessageQueue, PosixMessageQueue, SemaphoreSet, SpawnOptions } from '../../native/ptrace-rs/index.js';

/** Kind codes returned by waitStop; out[0] is always the tid. */
export const StopKind = {
  none: 0,
  seccomp: 1, //       out[1] syscall number, out[2..7] args
  syscallExit: 2, //   out[1] result, out[2] syscall number
  fork: 3, //          out[1] new child's tid
  vfork: 4,
  clone: 5,
  exec: 6, //          out[1] former tid
  exitEvent: 7, //     out[1] raw wait status it will exit with
  signal: 8, //        out[1] signal number
  groupStop: 9, //     out[1] signal
  exited: 10, //       out[1] exit code
  killed: 11, //       out[1] signal, out[2] 1 when core dumped
  eventStop: 12, //    a new child's first stop, or after interrupt()
  preempted: 13, //    ran a whole quantum without stopping (see setPreemptQuantum)
  notified: 14, //     a seccomp user notification: out[1] syscall number, out[2..7] args
  notifiedReturn: 15, // a notified call let through to its return has returned: out[1] result
} as const;
export type StopKindCode = (typeof StopKind)[keyof typeof StopKind];
