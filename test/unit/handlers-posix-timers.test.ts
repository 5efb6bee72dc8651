import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { SIGALRM, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD_ID, SI_TIMER, siginfo, timerSiginfo } from '../../src/mediator/abi/signal.js';
import { CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_REALTIME, TIMER_ABSTIME } from '../../src/mediator/abi/time.js';
import { timerSignalDelivered } from '../../src/mediator/host/posix-timers.js';
import { FakeWorld, type FakeTracee } from '../helpers/fake-tracee.js';

// POSIX timers on the virtual clock, handler by handler; the signal's
// delivery (a ptrace stop in a real run) is played by timerSignalDelivered.

const SIGUSR1 = 10;
const DONE_0 = { kind: 'done', value: 0 };

function setup() {
  const world = new FakeWorld();
  return { world, tracee: world.spawn('alice') };
}

function sigevent(notify: number, signo: number, value: number, threadId = 0): Buffer {
  const event = Buffer.alloc(64);
  event.writeBigUInt64LE(BigInt(value), 0);
  event.writeInt32LE(signo, 8);
  event.writeInt32LE(notify, 12);
  event.writeInt32LE(threadId, 16);
  return event;
}

/** An itimerspec: interval, then value, each as seconds and nanoseconds. */
function itimerspec(value: number, interval = 0): Buffer {
  const data = Buffer.alloc(32);
  const put = (seconds: number, at: number) => {
    data.writeBigInt64LE(BigInt(Math.floor(seconds)), at);
    data.writeBigInt64LE(BigInt(Math.round((seconds - Math.floor(seconds)) * 1e9)), at + 8);
  };
  put(interval, 0);
  put(value, 16);
  return data;
}

function create(tracee: FakeTracee, clock: number, event: Buffer | undefined) {
  const id = tracee.map(4);
  const outcome = tracee.call('timer_create', clock, event === undefined ? 0 : tracee.map(event), id);
  return { outcome, id: tracee.memory.read(id, 4).readInt32LE(0) };
}

/** Seconds left and interval, as timer_gettime writes them. */
function left(tracee: FakeTracee, id: number): [number, number] {
  const current = tracee.map(32);
  expect(tracee.call('timer_gettime', id, current)).toEqual(DONE_0);
  const data = tracee.memory.read(current, 32);
  const seconds = (at: number) => Number(data.readBigInt64LE(at)) + Number(data.readBigInt64LE(at + 8)) / 1e9;
  return [seconds(16), seconds(0)];
}

describe('timer_create', () => {
  it('hands out ids 0, 1, 2... per process; without a sigevent the signal is SIGALRM with the id as value', () => {
    const { world, tracee } = setup();
    const ids = [create(tracee, CLOCK_REALTIME, undefined), create(tracee, CLOCK_MONOTONIC, undefined)];
    expect(ids.map(({ outcome, id }) => [outcome, id])).toEqual([
      [DONE_0, 0],
      [DONE_0, 1],
    ]);
    expect(create(world.spawn('alice'), CLOCK_REALTIME, undefined).id).toBe(0);
    expect(tracee.call('timer_settime', 1, 0, tracee.map(itimerspec(2)), 0)).toEqual(DONE_0);
    world.advanceTo(2);
    const [sent] = world.signals.sent;
    expect(sent).toMatchObject({ signal: SIGALRM, pid: tracee.process.pid, date: 2 });
    expect([siginfo.code(sent!.info!), timerSiginfo.timerid(sent!.info!), sent!.info!.readInt32LE(24)]).toEqual([SI_TIMER, 1, 1]);
  });

  it('refuses a bad clock before taking an id, and a bad sigevent after', () => {
    const { tracee } = setup();
    expect(create(tracee, 99, undefined).outcome).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(create(tracee, CLOCK_PROCESS_CPUTIME_ID, undefined).outcome).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(create(tracee, CLOCK_REALTIME, sigevent(SIGEV_SIGNAL, 65, 0)).outcome).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(create(tracee, CLOCK_REALTIME, sigevent(SIGEV_THREAD_ID, SIGUSR1, 0, 4242)).outcome).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(create(tracee, CLOCK_REALTIME, sigevent(7, SIGUSR1, 0)).outcome).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(create(tracee, CLOCK_REALTIME, undefined).id).toBe(3);
  });

  it('sends a SIGEV_THREAD_ID timer signal to that thread', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_THREAD_ID, SIGUSR1, 7, tracee.thread.vtid));
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(1)), 0);
    world.advanceTo(1);
    expect(world.signals.sent).toMatchObject([{ signal: SIGUSR1, tid: tracee.thread.tid, date: 1 }]);
  });
});

describe('timer_settime and the signals of expiries', () => {
  it('re-arms an interval timer at delivery, the expiries missed meanwhile being its overrun', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_SIGNAL, SIGUSR1, 5));
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(0.5, 1)), 0);
    world.advanceTo(4);
    expect(world.signals.sent.map((sent) => sent.date)).toEqual([0.5]);
    expect(left(tracee, id)).toEqual([0.5, 1]);
    const info = world.signals.sent[0]!.info!;
    expect(timerSignalDelivered(tracee.process, info, world.services)).toBe(true);
    expect(info.readInt32LE(20)).toBe(3);
    expect(tracee.call('timer_getoverrun', id)).toEqual({ kind: 'done', value: 3 });
    world.advanceTo(4.5);
    expect(world.signals.sent.map((sent) => sent.date)).toEqual([0.5, 4.5]);
  });

  it('drops a signal queued by a setting since replaced', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_SIGNAL, SIGUSR1, 5));
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(1)), 0);
    world.advanceTo(1);
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(3)), 0);
    expect(timerSignalDelivered(tracee.process, world.signals.sent[0]!.info!, world.services)).toBe(false);
    expect(left(tracee, id)).toEqual([3, 0]);
  });

  it('takes an absolute date on the timer clock, writes the old setting, and disarms with a zero value', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_SIGNAL, SIGUSR1, 5));
    // CLOCK_MONOTONIC reads 1000 s at virtual time 0.
    expect(tracee.call('timer_settime', id, TIMER_ABSTIME, tracee.map(itimerspec(1002)), 0)).toEqual(DONE_0);
    world.advanceTo(0.5);
    expect(left(tracee, id)).toEqual([1.5, 0]);
    const old = tracee.map(32);
    expect(tracee.call('timer_settime', id, 0, tracee.map(itimerspec(0)), old)).toEqual(DONE_0);
    expect(Number(tracee.memory.read(old, 32).readBigInt64LE(16))).toBe(1);
    world.advanceTo(5);
    expect(world.signals.sent).toEqual([]);
  });

  it('counts a SIGEV_NONE timer down without a signal', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_NONE, 0, 0));
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(1, 0.25)), 0);
    world.advanceTo(1.6);
    const [value, interval] = left(tracee, id);
    expect(value).toBeCloseTo(0.15, 9);
    expect(interval).toBe(0.25);
    expect(world.signals.sent).toEqual([]);
  });

  it('fails calls on unknown or deleted ids, and invalid settings, with EINVAL', () => {
    const { tracee } = setup();
    const { id } = create(tracee, CLOCK_REALTIME, undefined);
    const einval = { kind: 'errno', errno: Errno.EINVAL };
    expect(tracee.call('timer_settime', id, 0, tracee.map(itimerspec(0, 1.5).fill(0xff, 24, 32)), 0)).toEqual(einval);
    expect(tracee.call('timer_settime', id, 0, 0, 0)).toEqual(einval);
    expect(tracee.call('timer_delete', id)).toEqual(DONE_0);
    expect(tracee.call('timer_delete', id)).toEqual(einval);
    expect(tracee.call('timer_gettime', id, tracee.map(32))).toEqual(einval);
    expect(tracee.call('timer_getoverrun', 7)).toEqual(einval);
  });
});

describe('rt_sigtimedwait', () => {
  const set = (...signals: number[]) => {
    const data = Buffer.alloc(8);
    data.writeBigUInt64LE(signals.reduce((bits, signal) => bits | (1n << BigInt(signal - 1)), 0n));
    return data;
  };

  it('lets the kernel take a signal of the set already pending, and accounts a timer signal as delivered', () => {
    const { world, tracee } = setup();
    const { id } = create(tracee, CLOCK_MONOTONIC, sigevent(SIGEV_SIGNAL, SIGUSR1, 5));
    tracee.call('timer_settime', id, 0, tracee.map(itimerspec(1, 1)), 0);
    world.advanceTo(2.5);
    world.signals.masks.set(tracee.thread, 1n << BigInt(SIGUSR1 - 1));
    world.signals.raise(tracee.thread, SIGUSR1);
    const info = tracee.map(world.signals.sent[0]!.info!);
    const outcome = tracee.call('rt_sigtimedwait', tracee.map(set(SIGUSR1)), info, 0, 8);
    expect(outcome.kind).toBe('native');
    expect(tracee.kernelReturns(outcome, SIGUSR1)).toBe(SIGUSR1);
    expect(tracee.memory.read(info, 128).readInt32LE(20)).toBe(1);
    expect(left(tracee, id)).toEqual([0.5, 1]);
  });

  it('waits in virtual time for a signal of the set, and fails with EAGAIN at the timeout', () => {
    const { tracee } = setup();
    const timeout = Buffer.alloc(16);
    timeout.writeBigInt64LE(2n, 0);
    const outcome = tracee.call('rt_sigtimedwait', tracee.map(set(SIGUSR1)), 0, tracee.map(timeout), 8);
    const wait = tracee.block(outcome);
    expect(wait).toMatchObject({ kind: 'signal', deadline: 2 });
    expect(wait.onTimeout?.()).toEqual({ kind: 'errno', errno: Errno.EAGAIN });
    expect(tracee.interrupted(outcome)).toBeUndefined();
    tracee.world.signals.raise(tracee.thread, SIGUSR1);
    expect(tracee.interrupted(outcome)?.kind).toBe('native');
  });
});
