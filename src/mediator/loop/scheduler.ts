import { MinHeap } from '../../util/heap.js';
import type { Outcome } from '../syscalls/outcome.js';
import type { Process, Thread } from '../tracees/tracees.js';
import type { Wait, IoWait } from './waits.js';

interface Entry {
  thread: Thread;
  readyAt: number;
  preemptions: number;
  /** Lazy deletion: an entry is stale when the thread was queued again since. */
  generation: number;
}

/** Something due at a virtual date: a wait's timeout, or a process's interval timer. */
export interface Timer {
  readonly deadline: number;
  /** Insertion order: ties fire in the order they were set. */
  readonly order: number;
  /** False once the timer was cancelled or its wait ended otherwise. */
  live: () => boolean;
  fire: () => void;
}

/** A futex wait ends with 0 when another thread wakes it. */
const wokenByFutex = (): Outcome => ({ kind: 'done', value: 0 });

/** Earliest ready date first; then the least preempted (a spinning thread lets the others run); then creation order. */
const earlier = (a: Entry, b: Entry): boolean =>
  a.readyAt < b.readyAt ||
  (a.readyAt === b.readyAt && (a.preemptions < b.preemptions || (a.preemptions === b.preemptions && a.thread.serial < b.thread.serial)));

/** The clock the scheduler advances: SimGrid's engine (src/sim), or a fake in tests. */
export interface VirtualClock {
  now(): number;
  /** Activities started and not yet reported. */
  pending(): number;
  /** Moves the clock to the next completions or to `deadline`; pushes the ids that ended. */
  advanceInto(deadline: number, completed: number[], failed: number[]): number;
}

/**
 * Decides which single thread runs next (earliest ready time, then creation
 * order: the same choice on every run) and keeps the blocked ones indexed by
 * what can wake them.
 */
export class Scheduler {
  private readonly activities = new Map<number, (failed: boolean) => void>();
  private readonly yielded: Thread[] = [];
  private readonly completed: number[] = [];
  private readonly failed: number[] = [];

  constructor(private readonly clock: VirtualClock) {}

  /** Virtual now, in seconds since the experiment started. */
  get now(): number {
    return this.clock.now();
  }

  /** Calls `done` when SimGrid reports the activity finished (or failed: a host or link went down). */
  onActivityEnd(id: number, done: (failed: boolean) => void): void {
    this.activities.set(id, done);
  }

  /** The activity was cancelled: nothing is to be called when it ends. */
  forgetActivity(id: number): void {
    this.activities.delete(id);
  }
  private readonly queue = new MinHeap<Entry>(earlier);
  private readonly generations = new WeakMap<Thread, number>();
  private readonly timers = new MinHeap<Timer>((a, b) => a.deadline < b.deadline || (a.deadline === b.deadline && a.order < b.order));
  private timerCount = 0;
  readonly blocked = new Set<Thread>();
  /** Threads that could run but whose process is stopped (SIGSTOP, SIGTSTP...) or migrating: held until it is resumed. */
  readonly held = new Set<Thread>();
  private readonly futexWaiters = new Map<string, Thread[]>();
  /** I/O waiters without readiness sources: probed at every idle step. */
  private readonly polledIoWaiters = new Set<Thread>();
  /** I/O waiters one of whose sources changed since they were last probed. */
  private readonly signalledIoWaiters = new Set<Thread>();
  /** How to stop listening to the sources of each I/O waiter that has some. */
  private readonly sourceSubscriptions = new Map<Thread, Array<() => void>>();

  makeRunnable(thread: Thread): void {
    thread.state = 'runnable';
    thread.wait = undefined;
    thread.readyAt = this.now;
    const generation = (this.generations.get(thread) ?? 0) + 1;
    this.generations.set(thread, generation);
    this.queue.push({ thread, readyAt: thread.readyAt, preemptions: thread.preemptions, generation });
  }

  /**
   * A preempted thread whose work cost no virtual time (it spins on a flag,
   * say) waits here until virtual time moves or nothing else can run, so
   * that the threads it waits for get their turn.
   */
  yieldThread(thread: Thread): void {
    thread.state = 'runnable';
    thread.wait = undefined;
    this.yielded.push(thread);
  }

  /** Puts the yielded threads back in the queue; returns whether there were any. */
  requeueYielded(): boolean {
    if (this.yielded.length === 0) return false;
    for (const thread of this.yielded.splice(0)) {
      if (thread.state === 'runnable') this.makeRunnable(thread);
    }
    return true;
  }

  /** The next thread to run, or undefined when every thread waits. */
  next(): Thread | undefined {
    for (;;) {
      const entry = this.queue.pop();
      if (entry === undefined) return undefined;
      if (entry.generation !== this.generations.get(entry.thread) || entry.thread.state !== 'runnable') continue;
      const thread = entry.thread;
      // Stopped by a signal, or migrating (src/migration): it waits for SIGCONT, or for the end of the transfer.
      if (thread.process.jobStop !== undefined || thread.process.migrating) {
        this.held.add(thread);
        continue;
      }
      const frozenUntil = thread.process.frozenUntil;
      if (frozenUntil <= this.now) return thread;
      // Its process is paused (a fault): it runs when the pause ends, its place in the queue taken again then.
      this.at(
        frozenUntil,
        () => thread.state === 'runnable',
        () => this.makeRunnable(thread),
      );
    }
  }

  /** A stopped process was resumed (SIGCONT), or a migrated one arrived: its held threads run again. */
  release(process: Process): void {
    for (const thread of [...this.held]) {
      if (thread.process !== process && thread.state !== 'exited') continue;
      this.held.delete(thread);
      if (thread.state === 'runnable') this.makeRunnable(thread);
    }
  }

  block(thread: Thread, wait: Wait): void {
    thread.state = 'blocked';
    thread.wait = wait;
    this.blocked.add(thread);
    if (wait.deadline !== undefined) {
      this.at(
        wait.deadline,
        () => thread.wait === wait && thread.state === 'blocked',
        () => this.wake(thread, wait.onTimeout),
      );
    }
    if (wait.kind === 'futex') {
      const list = this.futexWaiters.get(wait.key);
      if (list === undefined) this.futexWaiters.set(wait.key, [thread]);
      else list.push(thread);
    }
    if (wait.kind === 'io') this.indexIoWaiter(thread, wait);
  }

  /**
   * Probing every I/O waiter at every idle step would cost O(blocked threads)
   * per event: a waiter with readiness sources is probed only after one of
   * them changed.
   */
  private indexIoWaiter(thread: Thread, wait: IoWait): void {
    const sources = wait.sources?.();
    if (sources === undefined) {
      this.polledIoWaiters.add(thread);
      return;
    }
    const signalled = (): void => {
      if (thread.wait === wait) this.signalledIoWaiters.add(thread);
      else this.dropIoWaiter(thread);
    };
    this.sourceSubscriptions.set(
      thread,
      sources.map((source) => source.onChange(signalled)),
    );
  }

  private dropIoWaiter(thread: Thread): void {
    this.polledIoWaiters.delete(thread);
    this.signalledIoWaiters.delete(thread);
    const subscriptions = this.sourceSubscriptions.get(thread);
    if (subscriptions === undefined) return;
    this.sourceSubscriptions.delete(thread);
    for (const unsubscribe of subscriptions) unsubscribe();
  }

  /**
   * Ends a wait. With `decide`, the blocked syscall finishes with the
   * outcome it gives when the thread runs again; without, the thread
   * re-dispatches the same syscall.
   */
  wake(thread: Thread, decide?: () => Outcome): void {
    const wait = thread.wait;
    if (thread.state !== 'blocked' || wait === undefined) return;
    this.blocked.delete(thread);
    if (wait.kind === 'futex') this.dropFutexWaiter(wait.key, thread);
    if (wait.kind === 'io') this.dropIoWaiter(thread);
    if (decide !== undefined) thread.next = { kind: 'conclude', decide };
    this.makeRunnable(thread);
  }

  /** Rewinds a blocked thread so its syscall starts over once a signal handler has run. */
  restart(thread: Thread): void {
    this.wake(thread);
    thread.next = { kind: 'restart' };
  }

  /** Wakes up to `count` futex waiters on `key` whose bitset matches; returns how many. */
  wakeFutex(key: string, count: number, bitset = 0xffffffff): number {
    const list = this.futexWaiters.get(key);
    if (list === undefined) return 0;
    let woken = 0;
    for (const thread of [...list]) {
      if (woken >= count) break;
      const wait = thread.wait;
      if (wait?.kind !== 'futex' || (wait.bitset & bitset) === 0) continue;
      this.wake(thread, wokenByFutex);
      woken++;
    }
    return woken;
  }

  /** The threads waiting on futex `key`, first come first. */
  futexWaitersOf(key: string): readonly Thread[] {
    return [...(this.futexWaiters.get(key) ?? [])];
  }

  /** A futex waiter that was handed the lock it waits for (a PI futex) wakes owning it. */
  handOverFutex(thread: Thread): void {
    this.wake(thread, wokenByFutex);
  }

  /** Moves up to `count` waiters from one futex to another (FUTEX_REQUEUE). */
  requeueFutex(from: string, to: string, count: number): number {
    const list = this.futexWaiters.get(from);
    if (list === undefined) return 0;
    const moved = list.splice(0, count);
    if (list.length === 0) this.futexWaiters.delete(from);
    for (const thread of moved) {
      const wait = thread.wait;
      if (wait?.kind !== 'futex') continue;
      thread.wait = { ...wait, key: to, requeuePi: undefined };
      const target = this.futexWaiters.get(to);
      if (target === undefined) this.futexWaiters.set(to, [thread]);
      else target.push(thread);
    }
    return moved.length;
  }

  private dropFutexWaiter(key: string, thread: Thread): void {
    const list = this.futexWaiters.get(key);
    if (list === undefined) return;
    const index = list.indexOf(thread);
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.futexWaiters.delete(key);
  }

  /** The kernel descriptors that I/O waiters wait for, to watch in wall time when only input from outside can help. */
  watchedKernelFds(): Array<IoWait['watch'][number]> {
    const watched: Array<IoWait['watch'][number]> = [];
    for (const thread of this.polledIoWaiters) {
      if (thread.state === 'blocked' && thread.wait?.kind === 'io') watched.push(...thread.wait.watch);
    }
    return watched;
  }

  /**
   * Wakes the I/O waiters whose descriptors became ready; returns how many
   * woke. Those without sources are all probed; the others only once a
   * source changed. (The order of wakes does not matter: the run queue
   * orders threads by ready date, then preemptions, then creation.)
   */
  probeIo(): number {
    let woken = 0;
    const probe = (thread: Thread, signalled: boolean): void => {
      const wait = thread.wait;
      if (thread.state !== 'blocked' || wait?.kind !== 'io') {
        // Gone while it waited (its process exited): it was never woken.
        this.dropIoWaiter(thread);
      } else if (wait.isReady()) {
        this.wake(thread);
        woken++;
      } else if (signalled) {
        this.dropIoWaiter(thread);
        this.indexIoWaiter(thread, wait);
      }
    };
    for (const thread of this.polledIoWaiters) probe(thread, false);
    if (this.signalledIoWaiters.size > 0) {
      const signalled = [...this.signalledIoWaiters];
      this.signalledIoWaiters.clear();
      for (const thread of signalled) probe(thread, true);
    }
    return woken;
  }

  /** Runs `fire` when virtual time reaches `deadline`, unless `live` says it no longer matters. */
  at(deadline: number, live: () => boolean, fire: () => void): void {
    this.timers.push({ deadline, order: this.timerCount++, live, fire });
  }

  /** The earliest pending timer, skipping those that no longer matter. */
  nextDeadline(): number | undefined {
    for (;;) {
      const timer = this.timers.peek();
      if (timer === undefined) return undefined;
      if (timer.live()) return timer.deadline;
      this.timers.pop();
    }
  }

  /**
   * Moves virtual time to the next event: the next round of activity
   * completions or the next timer, whichever comes first, and runs what is
   * due. Returns false when no event can ever come.
   */
  advance(): boolean {
    const deadline = this.nextDeadline();
    if (deadline !== undefined && deadline <= this.now) {
      this.fireDueTimers();
      return true;
    }
    if (deadline === undefined && this.clock.pending() === 0) return false;
    const { completed, failed } = this;
    completed.length = 0;
    failed.length = 0;
    this.clock.advanceInto(deadline ?? Infinity, completed, failed);
    for (const id of completed) this.endActivity(id, false);
    for (const id of failed) this.endActivity(id, true);
    this.fireDueTimers();
    return true;
  }

  private endActivity(id: number, failed: boolean): void {
    const done = this.activities.get(id);
    if (done === undefined) return;
    this.activities.delete(id);
    done(failed);
  }

  private fireDueTimers(): void {
    for (;;) {
      const timer = this.timers.peek();
      if (timer === undefined || timer.deadline > this.now) return;
      this.timers.pop();
      if (timer.live()) timer.fire();
    }
  }
}
