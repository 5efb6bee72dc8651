import type { TraceeMemory } from '../abi/tracee-memory.js';
import type { CpuFiles } from '../host/cpu-files.js';
import type { NameFiles } from '../host/name-files.js';
import type { ProcFiles } from '../host/proc-files.js';
import type { RandomStreams } from '../host/random.js';
import type { TimerfdTable } from '../host/timerfds.js';
import type { VirtualTime } from '../host/virtual-time.js';
import type { Scheduler } from '../loop/scheduler.js';
import type { DataPath } from '../sockets/data-path.js';
import type { CredentialPassing } from '../tracees/credential-passing.js';
import type { KernelFds } from '../tracees/kernel-fds.js';
import type { KernelEdges } from '../tracees/kernel-edges.js';
import type { FifoOpens } from './fifo-opens.js';
import type { KernelIpc } from '../tracees/kernel-ipc.js';
import type { Signals } from '../tracees/signals.js';
import type { Process, Thread, TraceeTable } from '../tracees/tracees.js';
import type { StreamSocket, VirtualNetwork } from '../../net/index.js';
import type { Outcome } from './outcome.js';

/** What a handler may use besides its arguments and the caller's memory: never ptrace itself. */
export interface Services {
  /** Virtual now, timers, futex waiters. */
  readonly scheduler: Scheduler;
  readonly tracees: TraceeTable;
  /** The clocks programs read. */
  readonly time: VirtualTime;
  readonly timerfds: TimerfdTable;
  readonly network: VirtualNetwork;
  /** How AF_INET sockets reach tracees and move their bytes (--network). */
  readonly sockets: DataPath;
  /** The seeded generator: a stream of bytes per process. */
  readonly random: RandomStreams;
  /** Files that describe a host's CPUs. */
  readonly cpuFiles: CpuFiles;
  /** /etc/hosts and /etc/hostname for the platform's hosts. */
  readonly nameFiles: NameFiles;
  /** /proc files generated at each open: a process's status and stat, /proc/uptime. */
  readonly procFiles: ProcFiles;
  /** Descriptors the kernel implements: what they are, whether they are ready. */
  readonly kernelFds: KernelFds;
  /** Whether kernel sockets pass credentials (SO_PASSCRED), as the kernel answered in this run. */
  readonly credentialPassing: CredentialPassing;
  /** Wakeups of kernel descriptors that edge-triggered epoll reports as edges. */
  readonly kernelEdges: KernelEdges;
  /** Blocking opens of named FIFOs, waiting in virtual time for their other end. */
  readonly fifoOpens: FifoOpens;
  /** System V message queues and semaphores, POSIX message queues: what they hold now. */
  readonly kernelIpc: KernelIpc;
  /** Signals pending on threads, and those simterpose sends. */
  readonly signals: Signals;
  /** The platform's core count of `host`. */
  coresOf(host: string): number;
  /** Pipes simterpose gave tracees as stdout/stderr, by "dev:ino": writes to them are taken directly. */
  readonly outputs: ReadonlyMap<string, OutputPipe>;
}

/** A pipe simterpose gave tracees as stdout or stderr: what is written there goes to the writer's output. */
export interface OutputPipe {
  /** Bytes a process writes with write or writev, taken instead of reaching the pipe. */
  take(process: Process, bytes: Buffer): void;
  /** Takes what reached the pipe itself (sendfile, splice...), as written by `process`. */
  drain(process: Process): void;
}

/**
 * What one syscall remembers across its retries (a blocked call is
 * dispatched again once woken). The dispatcher forgets it when the call
 * ends, completed or interrupted, so nothing leaks into the next call.
 */
export interface SyscallState {
  /** connect: the connection this call started, whose outcome its retry reports. */
  connecting?: StreamSocket;
  /** send family: bytes this call has handed to the socket so far. */
  sent?: number;
  /** recvmmsg: messages this call has taken so far. */
  received?: number;
  /** semtimedop, poll, select and their kin: the virtual date a relative timeout ends, fixed when the call first looked. */
  deadline?: number;
  /** System V IPC calls: the call has waited, so its object vanishing (IPC_RMID) is EIDRM, as for a sleeper in the kernel. */
  waitedOnIpc?: boolean;
}

/** Everything a handler sees of the call it decides. */
export interface SyscallContext {
  readonly thread: Thread;
  readonly process: Process;
  readonly sysno: number;
  readonly args: readonly number[];
  /**
   * The caller's memory. A bad address throws a TraceeFault, which the
   * dispatcher turns into the call's EFAULT: handlers need not check.
   */
  readonly memory: TraceeMemory;
  readonly services: Services;
  readonly state: SyscallState;
  /**
   * An address below the thread's stack (past the red zone) where `bytes`
   * may be written for the call to read instead of the program's own
   * argument (a substituted path).
   */
  scratchBelowStack(bytes: number): number;
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
  /**
   * The call can wait (for data, a child, a futex, time): left to the kernel
   * it would hold the one running thread, and with it the whole run, so it
   * must stay trapped (--untrap refuses it).
   */
  readonly blocks?: boolean;
  /**
   * The call frees descriptor numbers: the fd table must see it to forget
   * what it knew of them (virtual sockets, the plain files and SO_PASSCRED
   * answers it remembers), so it must stay trapped (--untrap refuses it).
   */
  readonly freesDescriptors?: boolean;
  /**
   * The call stops only when argument `argument` is one of `oneOf` (its low
   * 32 bits, as the kernel reads an int), or, without `oneOf`, is not 0;
   * the seccomp filter lets the other values run natively, where the
   * handler would only let them run as made.
   */
  readonly stopsOnlyWhen?: { readonly argument: number; readonly oneOf?: readonly number[] };
}

/** A family module's contribution to the table: syscall name → level, handler and note. */
export type FamilyTable = Readonly<Record<string, Omit<SyscallEntry, 'number' | 'name'>>>;
