import type { Outcome } from '../syscalls/outcome.js';
import type { Process } from '../tracees/tracees.js';

/**
 * Why a thread is blocked. It keeps its registers untouched while it waits;
 * when woken it either finishes with a decided outcome or re-dispatches its
 * syscall (handlers are retry-safe checks).
 */
export type Wait = FutexWait | ChildWait | VforkWait | IoWait | SignalWait | SleepWait | ComputeWait;

interface WaitCommon {
  /** For deadlock reports: what the thread waits for, in a user's words. */
  readonly reason: string;
  /** Virtual date at which the wait times out. */
  readonly deadline?: number;
  /** What the syscall returns when the deadline passes (decided then, by the dispatcher, as a handler's outcome is). */
  readonly onTimeout?: () => Outcome;
  /**
   * When a signal with a handler interrupts the wait: 'restartable' syscalls
   * restart if the handler has SA_RESTART, else fail with EINTR;
   * 'eintr' ones always fail with EINTR (pause, poll, sleeps...).
   */
  readonly onSignal: 'restartable' | 'eintr';
  /**
   * What a signal's interruption returns instead of EINTR or a restart:
   * sleeps report the time left, a send that moved some bytes returns their
   * count (as Linux does, SA_RESTART or not). Undefined: the default.
   */
  readonly onInterrupt?: () => Outcome | undefined;
  /** Signal mask in force during the wait (sigsuspend, ppoll, pselect), as a bit set of signals. */
  readonly mask?: bigint;
}

export interface FutexWait extends WaitCommon {
  readonly kind: 'futex';
  readonly key: string;
  readonly bitset: number;
  /** FUTEX_WAIT_REQUEUE_PI: the PI futex it waits to be moved to; plain wakes and requeues do not reach it. */
  readonly requeuePi?: string;
}

/** wait4/waitid: woken when a child of `parent` changes state. */
export interface ChildWait extends WaitCommon {
  readonly kind: 'child';
  readonly parent: number;
}

/** A vfork parent, held until its child execs or exits. */
export interface VforkWait extends WaitCommon {
  readonly kind: 'vfork';
  readonly child: number;
}

/** Something a thread's I/O wait depends on that says when its readiness changes (a virtual socket). */
export interface ReadinessSource {
  /** Calls `listener` after each change of readiness; returns the function that stops it. */
  onChange(listener: () => void): () => void;
}

/**
 * A descriptor not ready yet. When `sources` gives some, `isReady` can only
 * turn true after one of them reports a change, and it is probed again only
 * then (and `sources` asked again if it is still not ready: an epoll
 * instance's interests may have changed). Otherwise it is probed whenever
 * nothing else can run: kernel descriptors, or a condition finer than
 * readiness such as MSG_WAITALL's byte count.
 */
export interface IoWait extends WaitCommon {
  readonly kind: 'io';
  readonly isReady: () => boolean;
  /** The tracee descriptors to watch in wall time when only input from outside can help. */
  readonly watch: ReadonlyArray<{ process: Process; fd: number; events: number }>;
  readonly sources?: () => ReadonlyArray<ReadinessSource> | undefined;
}

/** pause, sigsuspend: only a signal ends it. */
export interface SignalWait extends WaitCommon {
  readonly kind: 'signal';
}

/** Sleeps and timeouts with nothing else to wait for. */
export interface SleepWait extends WaitCommon {
  readonly kind: 'sleep';
}

/** Before a syscall starts: its thread's work runs as a SimGrid exec, or a polling loop pauses; then it is dispatched. */
export interface ComputeWait extends WaitCommon {
  readonly kind: 'compute';
}
