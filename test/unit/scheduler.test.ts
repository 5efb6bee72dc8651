import { describe, expect, it } from 'vitest';
import { Scheduler, type VirtualClock } from '../../src/mediator/loop/scheduler.js';
import { SignalActions } from '../../src/mediator/tracees/signal-actions.js';
import { TraceeTable, type Thread } from '../../src/mediator/tracees/tracees.js';

/** A clock with scripted activities: each ends at a given date. */
class FakeClock implements VirtualClock {
  private date = 0;
  private readonly activities = new Map<number, number>();
  private nextId = 1;

  start(duration: number): number {
    const id = this.nextId++;
    this.activities.set(id, this.date + duration);
    return id;
  }
  now(): number {
    return this.date;
  }
  pending(): number {
    return this.activities.size;
  }
  advanceInto(deadline: number, completed: number[]): number {
    const next = Math.min(deadline, ...this.activities.values());
    this.date = next;
    for (const [id, end] of [...this.activities]) {
      if (end <= next) {
        completed.push(id);
        this.activities.delete(id);
      }
    }
    return completed.length;
  }
}

function setup(): { scheduler: Scheduler; clock: FakeClock; threads: Thread[] } {
  const clock = new FakeClock();
  const scheduler = new Scheduler(clock);
  const tracees = new TraceeTable();
  const process = tracees.addProcess(100, undefined, 'app', 'alice', new SignalActions(), 0);
  const threads = [100, 101, 102].map((tid) => tracees.addThread(tid, process));
  return { scheduler, clock, threads };
}

const sleepWait = (deadline: number) => ({
  kind: 'sleep' as const,
  reason: 'test',
  deadline,
  onSignal: 'eintr' as const,
  onTimeout: () => ({ kind: 'done' as const, value: 0 }),
});
const futexWait = (key: string, bitset = 0xffffffff) => ({ kind: 'futex' as const, key, bitset, reason: 'test', onSignal: 'restartable' as const });

describe('the scheduler', () => {
  it('runs the thread created first among those ready at the same date, whatever order they became ready in', () => {
    const { scheduler, threads } = setup();
    scheduler.makeRunnable(threads[2]!);
    scheduler.makeRunnable(threads[0]!);
    scheduler.makeRunnable(threads[1]!);
    expect([scheduler.next(), scheduler.next(), scheduler.next(), scheduler.next()].map((t) => t?.tid)).toEqual([100, 101, 102, undefined]);
  });

  it('lets a thread that was preempted more often go after the others', () => {
    const { scheduler, threads } = setup();
    threads[0]!.preemptions = 3;
    scheduler.makeRunnable(threads[0]!);
    scheduler.makeRunnable(threads[1]!);
    expect(scheduler.next()?.tid).toBe(101);
  });

  it('wakes futex waiters in arrival order, no more than asked, and only those whose bitset matches', () => {
    const { scheduler, threads } = setup();
    scheduler.block(threads[2]!, futexWait('1:64', 0b01));
    scheduler.block(threads[1]!, futexWait('1:64', 0b10));
    scheduler.block(threads[0]!, futexWait('1:64', 0b10));
    expect(scheduler.wakeFutex('1:64', 1, 0b10)).toBe(1);
    expect(threads[1]!.state).toBe('runnable');
    expect(threads[0]!.state).toBe('blocked');
    const next = threads[1]!.next;
    expect(next.kind === 'conclude' && next.decide()).toEqual({ kind: 'done', value: 0 });
    expect(scheduler.wakeFutex('1:64', 10)).toBe(2);
    expect(scheduler.wakeFutex('1:64', 10)).toBe(0);
  });

  it('moves futex waiters to another word on requeue', () => {
    const { scheduler, threads } = setup();
    scheduler.block(threads[0]!, futexWait('1:8'));
    scheduler.block(threads[1]!, futexWait('1:8'));
    expect(scheduler.requeueFutex('1:8', '1:16', 1)).toBe(1);
    expect(scheduler.wakeFutex('1:8', 10)).toBe(1);
    expect(threads[1]!.state).toBe('runnable');
    expect(threads[0]!.state).toBe('blocked');
    expect(scheduler.wakeFutex('1:16', 10)).toBe(1);
    expect(threads[0]!.state).toBe('runnable');
  });

  it('advances virtual time to the earliest timeout and times out only that wait', () => {
    const { scheduler, threads } = setup();
    scheduler.block(threads[0]!, sleepWait(5));
    scheduler.block(threads[1]!, sleepWait(2));
    expect(scheduler.advance()).toBe(true);
    expect(scheduler.now).toBe(2);
    expect(threads[1]!.state).toBe('runnable');
    expect(threads[0]!.state).toBe('blocked');
    expect(scheduler.advance()).toBe(true);
    expect(scheduler.now).toBe(5);
    expect(threads[0]!.state).toBe('runnable');
    expect(scheduler.advance()).toBe(false);
  });

  it('reports an activity completion before a later timeout', () => {
    const { scheduler, clock, threads } = setup();
    scheduler.block(threads[0]!, sleepWait(10));
    const id = clock.start(3);
    const ended: number[] = [];
    scheduler.onActivityEnd(id, () => ended.push(scheduler.now));
    scheduler.advance();
    expect(ended).toEqual([3]);
    expect(threads[0]!.state).toBe('blocked');
  });

  it('forgets the timeout of a wait that ended otherwise', () => {
    const { scheduler, threads } = setup();
    scheduler.block(threads[0]!, { ...futexWait('1:8'), deadline: 4 });
    scheduler.wakeFutex('1:8', 1);
    expect(scheduler.nextDeadline()).toBeUndefined();
    expect(scheduler.advance()).toBe(false);
  });
});

/** A readiness source as virtual sockets are: listeners told of each change, until they unsubscribe. */
class FakeSource {
  ready = false;
  readonly listeners = new Set<() => void>();
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  change(ready: boolean): void {
    this.ready = ready;
    for (const listener of [...this.listeners]) listener();
  }
}

/** An I/O wait whose probes are counted. */
function countedIoWait(isReady: () => boolean, sources?: () => FakeSource[] | undefined) {
  const wait = {
    kind: 'io' as const,
    reason: 'test',
    onSignal: 'restartable' as const,
    watch: [],
    probes: 0,
    isReady: () => {
      wait.probes++;
      return isReady();
    },
    sources,
  };
  return wait;
}

describe("the scheduler's I/O waiters", () => {
  it('probes a waiter without sources at every idle step', () => {
    const { scheduler, threads } = setup();
    let ready = false;
    const wait = countedIoWait(() => ready);
    scheduler.block(threads[0]!, wait);
    expect(scheduler.probeIo()).toBe(0);
    expect(scheduler.probeIo()).toBe(0);
    ready = true;
    expect(scheduler.probeIo()).toBe(1);
    expect(wait.probes).toBe(3);
    expect(threads[0]!.state).toBe('runnable');
  });

  it('probes a waiter with sources only after one of them changed, and stops listening once it woke', () => {
    const { scheduler, threads } = setup();
    const socket = new FakeSource();
    const wait = countedIoWait(
      () => socket.ready,
      () => [socket],
    );
    scheduler.block(threads[0]!, wait);
    expect(scheduler.probeIo()).toBe(0);
    expect(wait.probes).toBe(0);
    socket.change(false);
    expect(scheduler.probeIo()).toBe(0);
    expect(wait.probes).toBe(1);
    expect(scheduler.probeIo()).toBe(0);
    expect(wait.probes).toBe(1);
    socket.change(true);
    expect(scheduler.probeIo()).toBe(1);
    expect(threads[0]!.state).toBe('runnable');
    expect(socket.listeners.size).toBe(0);
  });

  it('asks a waiter for its sources again when a change did not make it ready', () => {
    const { scheduler, threads } = setup();
    const instance = new FakeSource();
    const added = new FakeSource();
    let interests: FakeSource[] = [];
    const wait = countedIoWait(
      () => interests.some((source) => source.ready),
      () => [instance, ...interests],
    );
    scheduler.block(threads[0]!, wait);
    // Another thread adds an interest (epoll_ctl): the instance reports it, nothing is ready yet.
    interests = [added];
    instance.change(false);
    expect(scheduler.probeIo()).toBe(0);
    added.change(true);
    expect(scheduler.probeIo()).toBe(1);
  });

  it('drops a waiter that exited while it waited without probing it', () => {
    const { scheduler, threads } = setup();
    const socket = new FakeSource();
    const wait = countedIoWait(
      () => true,
      () => [socket],
    );
    scheduler.block(threads[0]!, wait);
    threads[0]!.state = 'exited';
    scheduler.blocked.delete(threads[0]!);
    socket.change(true);
    expect(scheduler.probeIo()).toBe(0);
    expect(wait.probes).toBe(0);
    expect(socket.listeners.size).toBe(0);
  });
});
