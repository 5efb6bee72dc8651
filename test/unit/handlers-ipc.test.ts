import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { IPC_NOWAIT, MSG_EXCEPT } from '../../src/mediator/abi/ipc.js';
import { offsetTimespec, type Timespec } from '../../src/mediator/abi/time.js';
import type { IoWait } from '../../src/mediator/loop/waits.js';
import { NATIVE, type Outcome } from '../../src/mediator/syscalls/outcome.js';
import type { PosixMessageQueue } from '../../src/mediator/tracees/kernel-ipc.js';
import { FakeWorld, kernelFd, waitOf } from '../helpers/fake-tracee.js';

const QUEUE = 7;
const SET = 9;
const MQ_FD = 5;

function setup() {
  const world = new FakeWorld();
  const tracee = world.spawn('alice');
  const queue = (types: number[], capacity = 16384) =>
    world.kernelIpc.queues.set(QUEUE, { bytes: types.length * 6, messages: types.length, capacity, largest: 8192, types });
  const semaphores = (...values: number[]) => world.kernelIpc.semaphores.set(SET, { values, maxOperations: 500 });
  // Its descriptor, as poll sees it: neither readable nor writable until a test says.
  world.kernelFds.set(tracee.process, MQ_FD, kernelFd('mqueue'));
  const posixQueue = (state: Partial<PosixMessageQueue> = {}) =>
    world.kernelIpc.posixQueues.set(`${tracee.process.pid}:${MQ_FD}`, {
      readable: true,
      writable: true,
      nonblocking: false,
      capacity: 2,
      messageSize: 16,
      messages: 0,
      ...state,
    });
  return { world, tracee, queue, semaphores, posixQueue };
}

const ioWait = (outcome: Outcome): IoWait => {
  const wait = waitOf(outcome);
  if (wait.kind !== 'io') throw new Error(`expected an I/O wait, got ${wait.kind}`);
  return wait;
};

/** struct sembuf entries: sem_num, sem_op, sem_flg. */
function sembufs(...operations: Array<[index: number, change: number, flags?: number]>): Buffer {
  const data = Buffer.alloc(6 * operations.length);
  for (const [i, [index, change, flags = 0]] of operations.entries()) {
    data.writeUInt16LE(index, 6 * i);
    data.writeInt16LE(change, 6 * i + 2);
    data.writeInt16LE(flags, 6 * i + 4);
  }
  return data;
}

function timespec({ seconds, nanoseconds }: Timespec): Buffer {
  const data = Buffer.alloc(16);
  data.writeBigInt64LE(BigInt(seconds), 0);
  data.writeBigInt64LE(BigInt(nanoseconds), 8);
  return data;
}

/** A msgbuf: its long type, then `size` bytes of text. */
function msgbuf(type: number, size: number): Buffer {
  const data = Buffer.alloc(8 + size);
  data.writeBigInt64LE(BigInt(type), 0);
  return data;
}

describe('msgrcv', () => {
  it('runs in the kernel when a message it takes is queued, and waits for one otherwise', () => {
    const { tracee, queue } = setup();
    queue([3]);
    const buffer = tracee.map(24);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, 0, 0)).toEqual(NATIVE);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, 3, 0)).toEqual(NATIVE);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, -4, 0)).toEqual(NATIVE);
    const wait = ioWait(tracee.call('msgrcv', QUEUE, buffer, 16, 5, 0));
    expect(wait.onSignal).toBe('eintr');
    expect(wait.isReady()).toBe(false);
    queue([3, 5]);
    expect(wait.isReady()).toBe(true);
    expect(tracee.retry()).toEqual(NATIVE);
  });

  it('takes the lowest type up to |msgtyp| for a negative one, and any other type with MSG_EXCEPT', () => {
    const { tracee, queue } = setup();
    const buffer = tracee.map(24);
    queue([7]);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, -4, 0).kind).toBe('blocked');
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, 7, MSG_EXCEPT).kind).toBe('blocked');
    queue([7, 8]);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, 7, MSG_EXCEPT)).toEqual(NATIVE);
  });

  it('with IPC_NOWAIT, or on a queue that does not exist, is the kernel’s (ENOMSG, EINVAL)', () => {
    const { tracee, queue } = setup();
    const buffer = tracee.map(24);
    queue([]);
    expect(tracee.call('msgrcv', QUEUE, buffer, 16, 0, IPC_NOWAIT)).toEqual(NATIVE);
    expect(tracee.call('msgrcv', QUEUE + 1, buffer, 16, 0, 0)).toEqual(NATIVE);
  });

  it('fails with EIDRM when its queue is removed while it waits', () => {
    const { world, tracee, queue } = setup();
    queue([]);
    const wait = ioWait(tracee.dispatch('msgrcv', QUEUE, tracee.map(24), 16, 0, 0));
    world.kernelIpc.queues.delete(QUEUE);
    expect(wait.isReady()).toBe(true);
    expect(tracee.retry()).toEqual({ kind: 'errno', errno: Errno.EIDRM });
  });
});

describe('msgsnd', () => {
  it('waits while the message does not fit, runs in the kernel once it does', () => {
    const { tracee, queue } = setup();
    queue([1], 8);
    const message = tracee.map(msgbuf(1, 6));
    const wait = ioWait(tracee.call('msgsnd', QUEUE, message, 6, 0));
    expect(wait.isReady()).toBe(false);
    queue([], 8);
    expect(wait.isReady()).toBe(true);
    expect(tracee.retry()).toEqual(NATIVE);
  });

  it('leaves to the kernel what it refuses at once: IPC_NOWAIT, a type below 1, too long a text; a bad pointer is EFAULT', () => {
    const { tracee, queue } = setup();
    queue([1], 8);
    expect(tracee.call('msgsnd', QUEUE, tracee.map(msgbuf(1, 6)), 6, IPC_NOWAIT)).toEqual(NATIVE);
    expect(tracee.call('msgsnd', QUEUE, tracee.map(msgbuf(0, 6)), 6, 0)).toEqual(NATIVE);
    expect(tracee.call('msgsnd', QUEUE, tracee.map(msgbuf(1, 9000)), 9000, 0)).toEqual(NATIVE);
    expect(tracee.dispatch('msgsnd', QUEUE, 0x10, 6, 0)).toEqual({ kind: 'errno', errno: Errno.EFAULT });
  });
});

describe('semop', () => {
  it('applies the operations in order, all or none: sleeps only where Linux would', () => {
    const { tracee, semaphores } = setup();
    semaphores(0, 1);
    expect(tracee.call('semop', SET, tracee.map(sembufs([0, 1], [0, -1])), 2)).toEqual(NATIVE);
    expect(tracee.call('semop', SET, tracee.map(sembufs([1, -1])), 1)).toEqual(NATIVE);
    expect(tracee.call('semop', SET, tracee.map(sembufs([1, -1], [0, -1])), 2).kind).toBe('blocked');
    expect(tracee.call('semop', SET, tracee.map(sembufs([1, 0])), 1).kind).toBe('blocked');
    expect(tracee.call('semop', SET, tracee.map(sembufs([0, -1, IPC_NOWAIT])), 1)).toEqual(NATIVE);
    expect(tracee.call('semop', SET, tracee.map(sembufs([2, 1])), 1)).toEqual(NATIVE);
    expect(tracee.call('semop', SET, tracee.map(sembufs([0, 32767], [0, 1])), 2)).toEqual(NATIVE);
  });

  it('is woken once the values let it through, and a signal ends its wait with EINTR', () => {
    const { tracee, semaphores } = setup();
    semaphores(0);
    const wait = ioWait(tracee.call('semop', SET, tracee.map(sembufs([0, -1])), 1));
    expect(wait.onSignal).toBe('eintr');
    expect(wait.isReady()).toBe(false);
    semaphores(1);
    expect(wait.isReady()).toBe(true);
  });
});

describe('semtimedop', () => {
  it('times out with EAGAIN after its relative timeout, kept across a wake that came to nothing', () => {
    const { world, tracee, semaphores } = setup();
    semaphores(0);
    const operations = tracee.map(sembufs([0, -1]));
    const timeout = tracee.map(timespec({ seconds: 0, nanoseconds: 200_000_000 }));
    const wait = waitOf(tracee.dispatch('semtimedop', SET, operations, 1, timeout));
    expect(wait.deadline).toBeCloseTo(0.2, 9);
    world.advanceTo(0.1);
    expect(waitOf(tracee.retry()).deadline).toBeCloseTo(0.2, 9);
    expect(wait.onTimeout?.()).toEqual({ kind: 'errno', errno: Errno.EAGAIN });
  });

  it('leaves an invalid timeout to the kernel (EINVAL)', () => {
    const { tracee, semaphores } = setup();
    semaphores(0);
    const timeout = tracee.map(timespec({ seconds: 0, nanoseconds: 1_000_000_000 }));
    expect(tracee.call('semtimedop', SET, tracee.map(sembufs([0, -1])), 1, timeout)).toEqual(NATIVE);
  });
});

describe('POSIX message queues', () => {
  it('mq_timedreceive on an empty queue waits until its absolute CLOCK_REALTIME date, then fails with ETIMEDOUT', () => {
    const { world, tracee, posixQueue } = setup();
    posixQueue();
    const date = tracee.map(timespec(offsetTimespec(world.services.time.realtime('alice'), 0.25)));
    const wait = ioWait(tracee.call('mq_timedreceive', MQ_FD, tracee.map(16), 16, 0, date));
    expect(wait.deadline).toBeCloseTo(0.25, 9);
    expect(wait.onSignal).toBe('restartable');
    expect(wait.onTimeout?.()).toEqual({ kind: 'errno', errno: Errno.ETIMEDOUT });
    expect(wait.isReady()).toBe(false);
    world.kernelFds.set(tracee.process, MQ_FD, kernelFd('mqueue', { readable: true }));
    expect(wait.isReady()).toBe(true);
  });

  it('mq_timedsend on a full queue waits for room; a date already passed is ETIMEDOUT at once', () => {
    const { world, tracee, posixQueue } = setup();
    posixQueue({ messages: 2 });
    const message = tracee.map(Buffer.from('hi\0'));
    const wait = ioWait(tracee.call('mq_timedsend', MQ_FD, message, 3, 0, 0));
    expect(wait.deadline).toBeUndefined();
    expect(wait.isReady()).toBe(false);
    world.kernelFds.set(tracee.process, MQ_FD, kernelFd('mqueue', { writable: true }));
    expect(wait.isReady()).toBe(true);
    world.advanceTo(1);
    posixQueue({ messages: 2 });
    const past = tracee.map(timespec(world.services.time.realtime('alice')));
    expect(tracee.call('mq_timedsend', MQ_FD, message, 3, 0, past)).toEqual({ kind: 'errno', errno: Errno.ETIMEDOUT });
  });

  it('leaves to the kernel what it answers at once: O_NONBLOCK, too small a buffer, too long a message, a wrong mode, no queue', () => {
    const { tracee, posixQueue } = setup();
    const buffer = tracee.map(32);
    posixQueue({ nonblocking: true, messages: 2 });
    expect(tracee.call('mq_timedreceive', MQ_FD, buffer, 16, 0, 0)).toEqual(NATIVE);
    posixQueue();
    expect(tracee.call('mq_timedreceive', MQ_FD, buffer, 8, 0, 0)).toEqual(NATIVE);
    expect(tracee.call('mq_timedreceive', MQ_FD + 1, buffer, 16, 0, 0)).toEqual(NATIVE);
    posixQueue({ readable: false });
    expect(tracee.call('mq_timedreceive', MQ_FD, buffer, 16, 0, 0)).toEqual(NATIVE);
    posixQueue({ messages: 2 });
    expect(tracee.call('mq_timedsend', MQ_FD, buffer, 17, 0, 0)).toEqual(NATIVE);
    expect(tracee.call('mq_timedsend', MQ_FD, buffer, 3, 32768, 0)).toEqual(NATIVE);
  });
});
