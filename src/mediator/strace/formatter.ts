import { getSystemErrorMap } from 'node:util';
import { errnoName } from '../abi/errno.js';
import { syscallName } from '../syscalls/table.js';
import type { Process, Thread } from '../tracees/tracees.js';
import type { FaultEvent } from '../../faults/injector.js';
import { formatArgument, SIGNATURES, type ArgumentKind } from './arguments.js';

/** Receives each finished syscall; `--strace` writes them as lines, strace-style. */
export interface StraceSink {
  /** Called as a native syscall starts. Returns true for calls that never return (exit): they are logged now. */
  entering(thread: Thread): boolean;
  /** `result` is undefined for calls logged at entry. */
  finished(thread: Thread, result: number | undefined): void;
  /** A fault killed processes or started them again: each gets a line, as strace marks a death. */
  faultHappened(event: FaultEvent): void;
}

const NEVER_RETURN = new Set(['exit', 'exit_group']);
/** Their arguments are gone once they succeed (a new image): decode them as they start. */
const DECODE_AT_ENTRY = new Set(['execve', 'execveat']);
const ERROR_MESSAGES = getSystemErrorMap();

/**
 * Formats `name(args) = result` lines, each prefixed with the host, the pid
 * and the virtual time, and hands them to `write`.
 */
export class StraceFormatter implements StraceSink {
  private readonly decodedAtEntry = new WeakMap<Thread, string>();

  constructor(
    private readonly write: (line: string, process: Process) => void,
    private readonly now: () => number,
  ) {}

  entering(thread: Thread): boolean {
    const name = syscallName(thread.syscall.sysno);
    if (DECODE_AT_ENTRY.has(name)) this.decodedAtEntry.set(thread, this.decode(thread, name, undefined));
    return NEVER_RETURN.has(name);
  }

  finished(thread: Thread, result: number | undefined): void {
    const name = syscallName(thread.syscall.sysno);
    const args = this.decodedAtEntry.get(thread) ?? this.decode(thread, name, result);
    this.decodedAtEntry.delete(thread);
    const prefix = `[${thread.process.host} ${thread.vtid} ${this.now().toFixed(6)}]`;
    this.write(`${prefix} ${name}(${args})${formatResult(name, result)}\n`, thread.process);
  }

  faultHappened(event: FaultEvent): void {
    const mark = (process: Process, what: string): void =>
      this.write(`[${process.host} ${process.vpid} ${event.date.toFixed(6)}] +++ ${what} (fault: ${event.fault}) +++\n`, process);
    for (const process of event.killed) mark(process, 'killed by SIGKILL');
    for (const process of event.restarted) mark(process, 'started again');
  }

  private decode(thread: Thread, name: string, result: number | undefined): string {
    const { args } = thread.syscall;
    const kinds: readonly ArgumentKind[] = SIGNATURES[name] ?? args.map(() => 'hex' as const);
    const memory = thread.process.memory;
    return kinds.map((kind, i) => safely(() => formatArgument(kind, args, i, result, memory))).join(', ');
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
