import type { Wait } from '../loop/waits.js';

/**
 * What a syscall handler decides. Handlers never touch registers: the
 * dispatcher alone turns an outcome into what the tracer does with the
 * thread (loop/tracer.ts).
 * - done: the call returns `value` without running;
 * - errno: it fails with `errno` without running;
 * - blocked: the thread waits; once woken it is dispatched again (handlers are retry-safe checks);
 * - native: the kernel runs the call as the program made it;
 * - instead: the kernel runs another call (or the same one with other arguments);
 * - open-instead: a notified open (whose path argument cannot be rewritten)
 *   opens `path` instead: the mediator opens it with the call's `flags` and
 *   `mode` and the thread's credentials, and the call returns that
 *   descriptor, numbered as the kernel numbers a new one (the lowest free),
 *   or the errno the open got; `afterOpen` runs then.
 * After a native or substituted call, `afterExit` sees the kernel's result
 * at the syscall's exit and may replace it; `restore` undoes a temporary
 * change once the call has returned (no exit stop needed, so notified calls may use it).
 */
export type Outcome =
  | { readonly kind: 'done'; readonly value: number }
  | { readonly kind: 'errno'; readonly errno: number }
  | { readonly kind: 'blocked'; readonly wait: Wait }
  | { readonly kind: 'native'; readonly afterExit?: ExitHook; readonly restore?: () => void }
  | { readonly kind: 'instead'; readonly sysno: number; readonly args: readonly number[]; readonly afterExit?: ExitHook }
  | { readonly kind: 'open-instead'; readonly path: string; readonly flags: number; readonly mode: number; readonly afterOpen?: () => void };

/** Runs at the syscall-exit stop of a call the kernel ran; a number it returns replaces the call's result. */
export type ExitHook = (result: number) => unknown;

export const done = (value: number): Outcome => ({ kind: 'done', value });
export const fail = (errno: number): Outcome => ({ kind: 'errno', errno });
export const blocked = (wait: Wait): Outcome => ({ kind: 'blocked', wait });
export const NATIVE: Outcome = { kind: 'native' };
export const native = (afterExit?: ExitHook): Outcome => ({ kind: 'native', afterExit });
/** The kernel runs the call; `restore` undoes a temporary change once it has returned, before this thread or any other runs on. */
export const nativeThen = (restore: () => void): Outcome => ({ kind: 'native', restore });
/** The kernel runs syscall `sysno` with `args` in place of the call the program made. */
export const instead = (sysno: number, args: readonly number[], afterExit?: ExitHook): Outcome => ({ kind: 'instead', sysno, args, afterExit });
/** A notified open opens `path` with `flags` and `mode` instead of the file it named. */
export const openInsteadFor = (path: string, flags: number, mode: number, afterOpen?: () => void): Outcome => ({
  kind: 'open-instead',
  path,
  flags,
  mode,
  afterOpen,
});
