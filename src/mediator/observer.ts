import type { Process, Thread } from './tracees/tracees.js';
import type { Wait } from './loop/waits.js';
import type { FaultEvent } from '../faults/injector.js';
import type { MigrationEvent } from '../migration/migrator.js';

/**
 * What the mediator tells an observer (the run's report, trace and progress
 * line) as a run unfolds. Dates are virtual seconds. The mediator calls it
 * only when one is given, so unobserved runs pay one test per call site.
 */
export interface MediatorObserver {
  /** A process began: launched, or created by fork/clone. */
  processStarted(process: Process, date: number): void;
  /** Its last thread is gone; its exit status is set. */
  processExited(process: Process, date: number): void;
  /** `thread` is about to get the CPU: a wait it was in ended at `date`. */
  running(thread: Thread, date: number): void;
  /** The scheduler has no thread on the CPU any more (it advances the clock, or starts programs). */
  idle(): void;
  /** The thread's work since its previous stop ran as a SimGrid exec of `flops` on its host. */
  computed(thread: Thread, start: number, end: number, flops: number): void;
  /** The thread's syscall blocked; the wait lasts until the thread runs again or ends. */
  waitStarted(thread: Thread, wait: Wait, date: number): void;
  threadEnded(thread: Thread, date: number): void;
  /** The thread's syscall finished with the value its handler decided. */
  syscallDone(thread: Thread, value: number, date: number): void;
  /**
   * Payload bytes (0 for a control segment) started across the platform; returns a
   * token for `commEnded`. The thread on the CPU, if any, is the sender.
   * `crossedShare` tells, until the comm ends, the share of its bytes that crossed so far (0 to 1).
   */
  commStarted(fromHost: string, toHost: string, bytes: number, date: number, crossedShare: () => number): number;
  /** The first of the transfer's bytes crossed, before it ended: the receiver may read them. */
  commCrossing(token: number): void;
  commEnded(token: number, date: number): void;
  /**
   * The comm will never end: cancelled, or cut by a host or link going down.
   * `crossedShare` is the share of its bytes that crossed, where SimGrid still knows it.
   */
  commLost?(token: number, date: number, crossedShare: number | undefined): void;
  /** A scripted fault happened (see src/faults). */
  faultHappened?(event: FaultEvent): void;
  /** A migration ended, its process resumed on its new host, or could not happen (see src/migration). */
  migrated?(event: MigrationEvent): void;
}
