import type { Wait } from '../loop/waits.js';
import type { Thread } from '../tracees/tracees.js';

/**
 * What a syscall handler decides. Handlers never touch registers: the
 * dispatcher alone turns an outcome into register writes and a resume.
 */
export type Outcome =
  | { kind: 'done'; value: number }
  | { kind: 'errno'; errno: number }
  | { kind: 'blocked'; wait: Wait }
  | { kind: 'native'; afterExit?: ExitHook; args?: readonly number[]; settle?: () => void };

/** Runs at the syscall-exit stop of a native syscall; may replace its result. */
export type ExitHook = (thread: Thread, result: number) => number | void;

export const done = (value: number): Outcome => ({ kind: 'done', value });
export const fail = (errno: number): Outcome => ({ kind: 'errno', errno });
export const blocked = (wait: Wait): Outcome => ({ kind: 'blocked', wait });
export const native = (afterExit?: ExitHook): Outcome => ({ kind: 'native', afterExit });
/**
 * The kernel runs the syscall; `settle` undoes a temporary change once it has
 * returned, before this thread or any other runs on. Unlike an exit hook it
 * needs no result, so notified syscalls (which have no exit stop) may use it.
 */
export const nativeThen = (settle: () => void): Outcome => ({ kind: 'native', settle });
export const NATIVE: Outcome = { kind: 'native' };
/** The kernel runs the syscall with its arguments replaced by `args` (virtual pids made real). */
export const nativeWith = (args: readonly number[], afterExit?: ExitHook): Outcome => ({ kind: 'native', afterExit, args });
