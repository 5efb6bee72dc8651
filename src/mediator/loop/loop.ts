import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { CpuModel } from '../host/cpu-model.js';
import type { TimePage } from '../host/time-page.js';
import type { MediatorObserver } from '../observer.js';
import type { Dispatcher } from '../syscalls/dispatcher.js';
import type { Thread, TraceeTable } from '../tracees/tracees.js';
import type { Computation } from './computation.js';
import { idleStep } from './idle.js';
import { interruptSignalledWaits } from './interruptions.js';
import type { JobControl } from './job-control.js';
import type { Lifecycle } from './lifecycle.js';
import type { Scheduler } from './scheduler.js';
import type { Resumption, Tracer } from './tracer.js';

/** How often the loop lets Node's event loop run (output streams, signals), in milliseconds. */
const YIELD_EVERY_MS = 50;
/**
 * Steps between two looks at the wall clock for that: a step takes 5 µs at
 * least, and reading the clock (performance.now) cost 2-3% of a bulk
 * transfer's time when done at every step. An idle turn, which may have
 * waited for outside input, always looks.
 */
const STEPS_BETWEEN_CLOCK_READS = 32;

export interface LoopParts {
  tracees: TraceeTable;
  scheduler: Scheduler;
  tracer: Tracer;
  lifecycle: Lifecycle;
  dispatcher: Dispatcher;
  computation: Computation;
  cpu: CpuModel;
  jobControl: JobControl;
  observer: MediatorObserver | undefined;
  /** The page of simterpose's vDSO, when programs get it. */
  timePage: TimePage | undefined;
}

/**
 * The tracer loop: picks the one thread to run, lets it go on from its stop
 * as the dispatcher or the lifecycle decided, waits for its next stop and
 * hands the stop over. When no thread can run, the idle step moves virtual
 * time. It knows no syscall logic.
 */
export class TracerLoop {
  /** Tracee stops handled so far, one per step: the unit of work benchmarks count as events. */
  steps = 0;
  private signalCheckDue = false;

  constructor(private readonly parts: LoopParts) {}

  /** Blocked threads may have a signal to take: look once the running thread has stopped again. */
  signalsMayBePending(): void {
    this.signalCheckDue = true;
  }

  /** Runs until `done` says the run is over. */
  async run(done: () => boolean): Promise<void> {
    const { scheduler, tracees, observer, dispatcher, lifecycle, jobControl } = this.parts;
    const collectDeaths = (): boolean => lifecycle.collectOutsideDeaths();
    let lastYield = performance.now();
    while (!done()) {
      const thread = scheduler.next();
      if (thread === undefined) {
        observer?.idle();
        idleStep(scheduler, tracees, collectDeaths);
      } else {
        observer?.running(thread, scheduler.now);
        this.step(thread);
      }
      if (this.signalCheckDue) {
        this.signalCheckDue = false;
        // A SIGCONT first: the threads it releases may have a signal to take as well.
        jobControl.continueSignalled();
        interruptSignalledWaits(scheduler, dispatcher);
      }
      const clockDue = thread === undefined || this.steps % STEPS_BETWEEN_CLOCK_READS === 0;
      if (clockDue && performance.now() - lastYield > YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
  }

  /** Gives `thread` the CPU until its next stop. */
  private step(thread: Thread): void {
    const { tracer, lifecycle, dispatcher, cpu, timePage } = this.parts;
    this.steps++;
    const resumption = this.resumption(thread);
    if (resumption === undefined) return;
    timePage?.publish(thread);
    // From its resume to its next stop the thread may use the CPU.
    cpu.resumed(thread);
    tracer.resume(thread, resumption);
    const stop = lifecycle.awaitStop(thread);
    timePage?.collect(thread, stop);
    if (stop.kind !== 'gone') cpu.stopped(thread, stop.kind === 'syscall' && stop.notified);
    dispatcher.stopped(thread);
    lifecycle.handle(thread, stop);
  }

  /** How the thread leaves its stop; undefined when it does not (its work or its syscall made it wait). */
  private resumption(thread: Thread): Resumption | undefined {
    const { scheduler, dispatcher, computation, observer } = this.parts;
    const next = thread.next;
    switch (next.kind) {
      case 'dispatch': {
        if (computation.charge(thread) || computation.throttleSpinning(thread)) return undefined;
        const outcome = dispatcher.dispatch(thread);
        if (outcome.kind === 'blocked') {
          scheduler.block(thread, outcome.wait);
          observer?.waitStarted(thread, outcome.wait, scheduler.now);
          return undefined;
        }
        if (outcome.kind === 'done') observer?.syscallDone(thread, outcome.value, scheduler.now);
        return dispatcher.complete(thread, outcome);
      }
      case 'conclude':
        return dispatcher.complete(thread, dispatcher.decide(next.decide)!);
      case 'restart':
        return { kind: 'restart' };
      case 'resume':
        // After a fork event, the syscall's exit is still to come: stop there if its result is to be rewritten.
        return { kind: 'continue', signal: next.signal, toExit: thread.afterExit !== undefined };
      case 'finish':
        return { kind: 'finish', result: next.result };
    }
  }
}
