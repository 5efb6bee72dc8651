import type { Outcome } from './outcome.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { Process, Thread, TraceeTable } from '../tracees/tracees.js';
import type { VirtualTime } from '../host/virtual-time.js';
import type { TimerfdTable } from './handlers/timerfd.js';
import type { VirtualNetwork } from '../../net/index.js';
import type { RandomStreams } from '../host/random.js';
import type { CpuFiles } from '../host/cpu-files.js';
import type { NameFiles } from '../host/name-files.js';

/** What a handler may use: the blocked/runnable bookkeeping and the tracee table, never ptrace itself. */
export interface Services {
  readonly scheduler: Scheduler;
  readonly tracees: TraceeTable;
  readonly time: VirtualTime;
  readonly timerfds: TimerfdTable;
  readonly network: VirtualNetwork;
  /** The seeded generator: a stream of bytes per process. */
  readonly random: RandomStreams;
  /** Files that describe a host's CPUs. */
  readonly cpuFiles: CpuFiles;
  /** /etc/hosts and /etc/hostname for the platform's hosts. */
  readonly nameFiles: NameFiles;
  /** The platform's core count of `host`. */
  coresOf(host: string): number;
  /** Pipes simterpose gave tracees as stdout/stderr, by "dev:ino": writes to them are taken directly. */
  readonly outputs: ReadonlyMap<string, (process: Process, bytes: Buffer) => void>;
  /** Asks the loop to look for signals pending on blocked threads once the current thread stops again. */
  signalsMayBePending(): void;
}

export interface SyscallContext {
  readonly thread: Thread;
  readonly process: Process;
  readonly sysno: number;
  readonly args: readonly number[];
  readonly services: Services;
}

export type Handler = (ctx: SyscallContext) => Outcome;

/**
 * How simterpose treats a syscall:
 * - emulated: trapped, and the mediator computes the result (one stop);
 * - mediated: trapped, checked, and usually let through to the kernel;
 * - native: not trapped: runs at full speed;
 * - unsupported: trapped; the run stops with an error naming it.
 */
export type SupportLevel = 'emulated' | 'mediated' | 'native' | 'unsupported';

export interface SyscallEntry {
  readonly number: number;
  readonly name: string;
  readonly level: SupportLevel;
  readonly handler?: Handler;
  readonly note?: string;
}

/** A family module's contribution to the table: syscall name → level, handler and note. */
export type FamilyTable = Readonly<Record<string, Omit<SyscallEntry, 'number' | 'name'>>>;
