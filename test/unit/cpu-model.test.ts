import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, test } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { CpuModel, ownCpuTimeNs } from '../../src/mediator/host/cpu-model.js';
import type { Thread } from '../../src/mediator/tracees/tracees.js';

// The cputime model measures a thread's CPU time at its stops. Here the
// "thread" is a real busy process, run in bursts between SIGSTOP and SIGCONT
// as a tracee runs between stops.

const REFERENCE_SPEED = 1e9;

/** CPU nanoseconds of a process so far (first field of schedstat). */
function cpuTimeNs(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
}

async function stopped(pid: number): Promise<void> {
  // The state letter follows the command name in parentheses.
  while (!/\) [Tt] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) await sleep(1);
  // The state changes just before the process leaves the CPU, where its CPU time is last updated.
  let last = -1;
  while (cpuTimeNs(pid) !== last) {
    last = cpuTimeNs(pid);
    await sleep(2);
  }
}

let busy: ChildProcess | undefined;
afterEach(() => {
  busy?.kill('SIGKILL');
});

/** A process spinning on the CPU, stopped; and the model measuring it, with what each of its stops (and notified calls) costs it. */
async function stoppedSpinner(
  threshold: number,
  stopOverheadNs = 0,
  notificationOverheadNs = stopOverheadNs,
): Promise<{ pid: number; model: CpuModel; thread: Thread }> {
  busy = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  const pid = busy.pid!;
  busy.kill('SIGSTOP');
  await stopped(pid);
  const model = new CpuModel({ model: 'cputime', flopsPerInstruction: 1, referenceSpeed: REFERENCE_SPEED, threshold }, stopOverheadNs, notificationOverheadNs);
  const thread = { tid: pid } as Thread;
  model.attach(thread);
  return { pid, model, thread };
}

/**
 * Lets the process run until it has used `ms` of CPU time, as a tracee runs
 * from a resume to its next stop, and tells the models. CPU time, not wall
 * time: on a busy machine 30 ms of wall time may give it a few.
 */
async function burst(pid: number, ms: number, thread: Thread, ...models: CpuModel[]): Promise<void> {
  for (const model of models) model.resumed(thread);
  const start = cpuTimeNs(pid);
  process.kill(pid, 'SIGCONT');
  do await sleep(5);
  while (cpuTimeNs(pid) - start < ms * 1e6);
  process.kill(pid, 'SIGSTOP');
  await stopped(pid);
  for (const model of models) model.stopped(thread);
}

/** `count` more stops, made while the thread did nothing else. */
function stops(model: CpuModel, thread: Thread, count: number): void {
  for (let stop = 0; stop < count; stop++) model.stopped(thread);
}

describe('the cputime model', () => {
  test('charges the CPU time a burst used, at the reference speed', async () => {
    const { pid, model, thread } = await stoppedSpinner(1e5);
    const before = cpuTimeNs(pid);
    await burst(pid, 30, thread, model);
    const used = cpuTimeNs(pid) - before;
    expect(used).toBeGreaterThan(1e6);
    expect(model.takeWork(thread)).toBeCloseTo((used / 1e9) * REFERENCE_SPEED, -3);
    // Stopped, it does no more work.
    expect(model.takeWork(thread)).toBe(0);
  });

  test('counts a CPU second as --reference-speed flops: doubling the speed doubles the work', async () => {
    const { pid, model, thread } = await stoppedSpinner(1e5);
    const doubled = new CpuModel({ ...model.options, referenceSpeed: 2 * REFERENCE_SPEED });
    doubled.attach(thread);
    await burst(pid, 30, thread, model, doubled);
    const work = model.takeWork(thread);
    expect(work).toBeGreaterThan(1e6);
    // Both read the same stopped process: exactly twice the flops.
    expect(doubled.takeWork(thread) / work).toBeCloseTo(2, 9);
  });

  test('loses no work across stops, whether or not each stop reads the CPU time', async () => {
    // 5 ms of CPU per exec: some bursts stay under it and are carried over.
    const threshold = 5e6;
    const { pid, model, thread } = await stoppedSpinner(threshold);
    const before = cpuTimeNs(pid);
    let charged = 0;
    for (let stop = 0; stop < 20; stop++) {
      await burst(pid, 1 + (stop % 4), thread, model);
      // Several stops in quick succession, as a program making syscalls back to back.
      for (let repeat = 0; repeat < 5; repeat++) charged += model.takeWork(thread);
    }
    const used = ((cpuTimeNs(pid) - before) / 1e9) * REFERENCE_SPEED;
    expect(charged).toBeLessThanOrEqual(used + 1);
    // What is not charged yet is under the threshold, carried to the next stop.
    expect(used - charged).toBeLessThan(threshold);
    expect(charged).toBeGreaterThan(0);
  });

  test('does not charge what the stops since the last reading cost the thread', async () => {
    const stopOverheadNs = 10_000;
    const { pid, model, thread } = await stoppedSpinner(1e5, stopOverheadNs);
    const before = cpuTimeNs(pid);
    await burst(pid, 30, thread, model);
    // As if the burst had been cut by 1000 stops: 10 ms of its CPU time were theirs.
    stops(model, thread, 999);
    const used = cpuTimeNs(pid) - before;
    expect(used).toBeGreaterThan(1000 * stopOverheadNs);
    expect(model.takeWork(thread)).toBeCloseTo(((used - 1000 * stopOverheadNs) / 1e9) * REFERENCE_SPEED, -3);
    // Those stops are paid for: a later reading subtracts only the burst's own stop.
    const next = cpuTimeNs(pid);
    await burst(pid, 30, thread, model);
    expect(model.takeWork(thread)).toBeCloseTo(((cpuTimeNs(pid) - next - stopOverheadNs) / 1e9) * REFERENCE_SPEED, -3);
  });

  test('takes off each notified call what a notification costs, and each stop what a stop costs', async () => {
    const { pid, model, thread } = await stoppedSpinner(1e5, 10_000, 2_000);
    const before = cpuTimeNs(pid);
    await burst(pid, 30, thread, model);
    // As if the burst had made 1000 notified calls on the way to its stop: 2 ms of its CPU time, not 10.
    for (let call = 0; call < 1000; call++) model.stopped(thread, true);
    const used = cpuTimeNs(pid) - before;
    expect(model.takeWork(thread)).toBeCloseTo(((used - 10_000 - 1000 * 2_000) / 1e9) * REFERENCE_SPEED, -3);
  });

  test('charges nothing for a burst that used less CPU time than its stops cost', async () => {
    const { pid, model, thread } = await stoppedSpinner(1, 1e6);
    const before = cpuTimeNs(pid);
    // Resumed for 30 ms more than the burst: the stops' cost below leaves
    // the bound above the threshold, so the CPU time is read, and its
    // difference would otherwise be charged.
    model.resumed(thread);
    await sleep(30);
    await burst(pid, 5, thread, model);
    const used = cpuTimeNs(pid) - before;
    // Enough stops to cost more than the burst used.
    stops(model, thread, Math.ceil(used / 1e6));
    expect(model.takeWork(thread)).toBe(0);
  });

  test('does not read the CPU time while the time the thread spent resumed cannot reach the threshold; the work is charged at a later reading', async () => {
    const { pid, model, thread } = await stoppedSpinner(1e5);
    const before = cpuTimeNs(pid);
    // It runs, but the model is not told: as far as it knows, the thread never left its stop.
    await burst(pid, 30, thread);
    expect(model.takeWork(thread)).toBe(0);
    // Once it was resumed long enough, the reading covers both bursts.
    await burst(pid, 30, thread, model);
    expect(model.takeWork(thread)).toBeCloseTo(((cpuTimeNs(pid) - before) / 1e9) * REFERENCE_SPEED, -3);
  });

  test("says how long a thread may run before its next stop could charge work (its vDSO's deadline): the threshold's CPU time, less the wall time it ran, plus what its stops cost", async () => {
    const { model, thread } = await stoppedSpinner(1e9, 1000);
    expect(model.freeRunNs(thread)).toBe(1e9);
    stops(model, thread, 3);
    expect(model.freeRunNs(thread)).toBe(1e9 + 3000);
    const wallStart = performance.now();
    await burst(thread.tid, 2, thread, model);
    const wallNs = (performance.now() - wallStart) * 1e6;
    // The model counts the wall time from resume to stop, within the burst.
    expect(model.freeRunNs(thread)).toBeGreaterThanOrEqual(1e9 + 4000 - wallNs);
    expect(model.freeRunNs(thread)).toBeLessThanOrEqual(1e9 + 4000 - 2e6);
    // Until it has run that long, a stop charges nothing and does not measure its work: the bound holds.
    const readings = model.readingsOf(thread);
    expect(model.takeWork(thread)).toBe(0);
    expect(model.readingsOf(thread)).toBe(readings);
  });

  test('lets a thread run without end where computing is free (--cpu-model none)', () => {
    const thread = { tid: process.pid } as Thread;
    const free = new CpuModel({ model: 'none', flopsPerInstruction: 1, referenceSpeed: REFERENCE_SPEED, threshold: 1e5 });
    free.attach(thread);
    expect(free.freeRunNs(thread)).toBe(Number.POSITIVE_INFINITY);
  });

  test.skipIf(!ptrace.instructionCounterAvailable())(
    'gives no free run where work is counted in instructions, which wall time does not bound (needs a hardware instruction counter, absent here)',
    () => {
      const thread = { tid: process.pid } as Thread;
      const counted = new CpuModel({ model: 'instructions', flopsPerInstruction: 1, referenceSpeed: REFERENCE_SPEED, threshold: 1e5 });
      counted.attach(thread);
      expect(counted.freeRunNs(thread)).toBe(0);
      counted.detach(thread);
    },
  );
});

describe("the CPU time of a thread's own work", () => {
  test('is its CPU time less what its stops cost it', () => {
    expect(ownCpuTimeNs(50_000, 4 * 3_000)).toBe(38_000);
  });

  test('is never negative, when its stops cost less than the calibrated overhead', () => {
    expect(ownCpuTimeNs(5_000, 4 * 3_000)).toBe(0);
  });
});

describe('calibration', () => {
  // The loop's instruction count is known without a counter; where one exists, it must agree.
  test.skipIf(!ptrace.instructionCounterAvailable())(
    'the calibration loop retires the instructions it claims (needs a hardware instruction counter, absent here)',
    () => {
      const iterations = 1_000_000;
      const counted = ptrace.countCalibrationInstructions(iterations);
      expect(counted / (iterations * ptrace.calibrationInstructionsPerIteration())).toBeCloseTo(1, 3);
    },
  );

  test('runs for the CPU time asked', () => {
    const { instructions, cpuSeconds } = ptrace.measureInstructionRate(0.05);
    expect(cpuSeconds).toBeGreaterThanOrEqual(0.05);
    expect(instructions % ptrace.calibrationInstructionsPerIteration()).toBe(0);
    expect(instructions / cpuSeconds).toBeGreaterThan(1e8);
  });
});
