import { syscallNumbers } from '../abi/syscall-numbers.js';
import type { CpuModel } from '../host/cpu-model.js';
import type { MediatorObserver } from '../observer.js';
import type { Thread } from '../tracees/tracees.js';
import type { Simulation } from '../../sim/index.js';
import type { Scheduler } from './scheduler.js';

/**
 * How much polling a thread may do at one virtual date before it costs virtual
 * time, and how much: 10 polls (poll, select, epoll_wait, sched_yield) or
 * 10000 clock reads (a program's start-up reads the clock hundreds of times,
 * and must still see the epoch) cost 10 µs: about 1 µs a poll, what such a
 * syscall takes on a real machine, so that a program polling while it waits
 * makes as many polls as it would natively, not ten times more.
 */
const SPIN_BUDGET = 10_000;
const POLLING_WEIGHTS = new Map([
  ...syscallNumbers('poll', 'ppoll', 'select', 'pselect6', 'epoll_wait', 'epoll_pwait', 'epoll_pwait2', 'sched_yield').map((sysno) => [sysno, 1000] as const),
  ...syscallNumbers('gettimeofday', 'time', 'clock_gettime').map((sysno) => [sysno, 1] as const),
]);
const SPIN_PAUSE = 10e-6;

/** Whether syscall `sysno` counts as polling (see throttleSpinning). */
export function countsAsPolling(sysno: number): boolean {
  return POLLING_WEIGHTS.has(sysno);
}

/**
 * What computing costs in virtual time: the work a thread did since its
 * previous stop runs as a SimGrid exec on its host before its syscall takes
 * effect, and a thread that polls without ever blocking pays a little time
 * for its polls.
 */
export class Computation {
  constructor(
    private readonly cpu: CpuModel,
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly hostIndexes: ReadonlyMap<string, number>,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  /** The exec each computing thread waits for: its activity, when it started, its flops. */
  private readonly running = new Map<Thread, { activity: number; start: number; flops: number }>();
  /** Work a migrating process's threads had left when it froze, run on its new host when it resumes. */
  private readonly suspended = new Map<Thread, number>();

  /**
   * The work done since the thread's previous stop runs first, as an exec on
   * its host; the thread waits for its completion. Returns true if it waits.
   */
  charge(thread: Thread): boolean {
    const flops = this.cpu.takeWork(thread);
    if (flops === 0) return false;
    this.scheduler.block(thread, { kind: 'compute', reason: `its computation of ${flops.toPrecision(3)} flops to end`, onSignal: 'restartable' });
    this.execute(thread, flops);
    return true;
  }

  /** Runs `flops` of the blocked thread's work on its host; it wakes when they are done. */
  private execute(thread: Thread, flops: number): void {
    const host = this.hostIndexes.get(thread.process.host)!;
    const activity = this.sim.startExec(host, flops);
    thread.cpuTime += flops / this.sim.hosts()[host]!.speed;
    const start = this.scheduler.now;
    this.running.set(thread, { activity, start, flops });
    // At a preemption the thread is not at a syscall: a plain resume, not a dispatch, follows the exec.
    this.scheduler.onActivityEnd(activity, () => {
      this.running.delete(thread);
      this.observer?.computed(thread, start, this.scheduler.now, flops);
      this.scheduler.wake(thread);
    });
  }

  /**
   * The thread's process froze to migrate (src/migration): its exec stops
   * where it is, the part done counted as computed on this host, the rest
   * kept for `resume`.
   */
  suspend(thread: Thread): void {
    const running = this.running.get(thread);
    if (running === undefined) return;
    const left = this.sim.remaining(running.activity);
    this.abandon(thread);
    const speed = this.sim.hosts()[this.hostIndexes.get(thread.process.host)!]!.speed;
    thread.cpuTime -= left / speed;
    this.observer?.computed(thread, running.start, this.scheduler.now, running.flops - left);
    this.suspended.set(thread, left);
  }

  /** The migrated thread's work left runs on its new host; it still waits for it. */
  resume(thread: Thread): void {
    const left = this.suspended.get(thread);
    if (left === undefined) return;
    this.suspended.delete(thread);
    if (thread.state === 'blocked') this.execute(thread, left);
  }

  /**
   * The thread ended (killed: by a signal, or with its host's crash) while
   * it computed: its exec stops there, as SimGrid stops an exec whose host
   * turns off, rather than take the host's CPU from the others until its end.
   */
  abandon(thread: Thread): void {
    this.suspended.delete(thread);
    const activity = this.running.get(thread)?.activity;
    if (activity === undefined) return;
    this.running.delete(thread);
    this.scheduler.forgetActivity(activity);
    // After an abort the threads are only cleaned up: SimGrid is gone with its execs.
    if (!this.sim.aborted) this.sim.cancel(activity);
  }

  /**
   * The clock reads `thread` may still make at this virtual date without
   * pausing: simterpose's vDSO answers that many, and the next one traps,
   * to pause as throttleSpinning decides.
   */
  clockReadsLeft(thread: Thread): number {
    const made = thread.spin.date === this.scheduler.now ? thread.spin.syscalls : 0;
    return Math.max(0, SPIN_BUDGET - 1 - made);
  }

  /** `reads` clock reads the vDSO answered count as trapped ones would. */
  countClockReads(thread: Thread, reads: number): void {
    this.restartSpinAtNow(thread);
    thread.spin.syscalls += reads;
  }

  private restartSpinAtNow(thread: Thread): void {
    if (thread.spin.date !== this.scheduler.now) {
      thread.spin.date = this.scheduler.now;
      thread.spin.syscalls = 0;
    }
  }

  /**
   * A thread polling in a loop (select returning at once, clock reads...)
   * makes syscalls without ever blocking, so virtual time would never move
   * for the events it polls for. Once it spent SPIN_BUDGET at one virtual
   * date, it pauses for SPIN_PAUSE of virtual time, as the calls themselves
   * would have taken a little time on a real machine. Returns true if it pauses.
   */
  throttleSpinning(thread: Thread): boolean {
    const weight = POLLING_WEIGHTS.get(thread.syscall.sysno);
    if (weight === undefined) return false;
    const now = this.scheduler.now;
    this.restartSpinAtNow(thread);
    thread.spin.syscalls += weight;
    if (thread.spin.syscalls < SPIN_BUDGET) return false;
    thread.spin.syscalls = 0;
    // Like a computation, the pause comes before the syscall starts: it ends by re-dispatching it.
    this.scheduler.block(thread, { kind: 'compute', reason: 'its polling loop to go on', deadline: now + SPIN_PAUSE, onSignal: 'restartable' });
    return true;
  }
}
