import { getSystemErrorMap } from 'node:util';
import { errnoName } from './errno.js';
import { syscallName } from './syscall-table.js';
import type { Thread } from './tracees.js';
import { formatArgument, SIGNATURES, type ArgumentKind } from './strace-args.js';

/** Receives each finished syscall; `--strace` writes them as lines, strace-style. */
export interface StraceSink {
  /** True for calls that never return to be logged (exit, a successful execve): log them as they start. */
  logsAtEntry(thread: Thread): boolean;
  /** `result` is undefined for calls logged at entry. */
  finished(thread: Thread, result: number | undefined): void;
}

const NEVER_RETURN = new Set(['exit', 'exit_group', 'execve', 'execveat', 'rt_sigreturn']);
const ERROR_MESSAGES = getSystemErrorMap();

/**
 * Formats `name(args) = result` lines, each prefixed with the host, the pid
 * and the virtual time, and hands them to `write`.
 */
export class StraceFormatter implements StraceSink {
  constructor(
    private readonly write: (line: string) => void,
    private readonly now: () => number,
  ) {}

  logsAtEntry(thread: Thread): boolean {
    return NEVER_RETURN.has(syscallName(thread.syscall.sysno));
  }

  finished(thread: Thread, result: number | undefined): void {
    const { sysno, args } = thread.syscall;
    const name = syscallName(sysno);
    const kinds: readonly ArgumentKind[] = SIGNATURES[name] ?? args.map(() => 'hex' as const);
    const pid = thread.process.pid;
    const shown = kinds.map((kind, i) => safely(() => formatArgument(kind, args, i, result, pid)));
    const prefix = `[${thread.process.host} ${thread.tid} ${this.now().toFixed(6)}]`;
    this.write(`${prefix} ${name}(${shown.join(', ')})${formatResult(name, result)}\n`);
  }
}

function safely(format: () => string): string {
  try {
    return format();
  } catch {
    return '?';
  }
}

function formatResult(name: string, result: number | undefined): string {
  if (result === undefined) return ' = ?';
  if (result < 0 && result >= -4095) {
    const errno = -result;
    const message = ERROR_MESSAGES.get(result)?.[1];
    return ` = -1 ${errnoName(errno)}${message === undefined ? '' : ` (${message})`}`;
  }
  if (name === 'mmap' || name === 'brk' || name === 'mremap' || result > 0xffffffff) return ` = 0x${result.toString(16)}`;
  return ` = ${result}`;
}
