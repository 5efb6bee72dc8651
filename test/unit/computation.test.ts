import { describe, expect, it } from 'vitest';
import type { CpuModel } from '../../src/mediator/host/cpu-model.js';
import { Computation } from '../../src/mediator/loop/computation.js';
import { syscallNumber } from '../../src/mediator/syscalls/table.js';
import { Scheduler } from '../../src/mediator/loop/scheduler.js';
import { SignalActions } from '../../src/mediator/tracees/signal-actions.js';
import { TraceeTable } from '../../src/mediator/tracees/tracees.js';
import { loadSimulationFromString } from '../../src/sim/index.js';

/** One host of 1 Gf with one core. */
const PLATFORM = `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1"><zone id="z" routing="Full"><host id="a" speed="1Gf"/></zone></platform>`;

/** Every thread has done 1e9 flops of work since its last stop. */
const GIGAFLOP_EACH = { takeWork: () => 1e9 } as unknown as CpuModel;

async function world() {
  const sim = await loadSimulationFromString(PLATFORM);
  const scheduler = new Scheduler(sim);
  const tracees = new TraceeTable();
  const computation = new Computation(GIGAFLOP_EACH, sim, scheduler, new Map([['a', 0]]), undefined);
  const thread = (pid: number) => tracees.addThread(pid, tracees.addProcess(pid, undefined, 'app', 'a', new SignalActions(), 0));
  return { scheduler, computation, thread };
}

describe('a computation', () => {
  it("shares its host's core with the others until it ends", async () => {
    const { scheduler, computation, thread } = await world();
    const [first, second] = [thread(1000), thread(1001)];
    expect(computation.charge(first)).toBe(true);
    expect(computation.charge(second)).toBe(true);
    expect(scheduler.advance()).toBe(true);
    expect(scheduler.now).toBe(2);
  });

  it('of a thread that ended (killed, its host crashed) stops there, and gives the core back to the others', async () => {
    const { scheduler, computation, thread } = await world();
    const [killed, survivor] = [thread(1000), thread(1001)];
    computation.charge(killed);
    computation.charge(survivor);
    computation.abandon(killed);
    expect(scheduler.advance()).toBe(true);
    expect(scheduler.now).toBe(1);
    expect(survivor.state).toBe('runnable');
    expect(scheduler.advance()).toBe(false);
  });
});

describe("clock reads answered by simterpose's vDSO", () => {
  it('count toward the polling throttle as trapped reads: the read past the budget traps and pauses', async () => {
    const { scheduler, computation, thread } = await world();
    const poller = thread(1000);
    poller.syscall = { sysno: syscallNumber('clock_gettime')!, args: [] };
    const budget = computation.clockReadsLeft(poller);
    expect(budget).toBe(9999);
    expect(computation.throttleSpinning(poller)).toBe(false);
    expect(computation.clockReadsLeft(poller)).toBe(budget - 1);
    computation.countClockReads(poller, budget - 1);
    expect(computation.clockReadsLeft(poller)).toBe(0);
    expect(computation.throttleSpinning(poller)).toBe(true);
    expect(scheduler.advance()).toBe(true);
    expect(scheduler.now).toBeCloseTo(10e-6, 12);
    expect(computation.clockReadsLeft(poller)).toBe(budget);
  });
});
