import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI } from '../../src/mediator/abi/poll.js';
import { signalBit } from '../../src/mediator/abi/signal.js';
import { SOCK_DGRAM } from '../../src/mediator/abi/socket.js';
import { FakeWorld, kernelFd, openSocket, sockaddrIn, waitOf, type FakeTracee } from '../helpers/fake-tracee.js';

const SIGUSR1 = 10;
/** What poll leaves in revents it did not write: tests check every entry is written. */
const STALE_REVENTS = 0x7777;

/** An array of struct pollfd { int fd; short events; short revents; }. */
function pollfds(...entries: Array<[fd: number, events: number]>): Buffer {
  const data = Buffer.alloc(8 * entries.length);
  for (const [i, [fd, events]] of entries.entries()) {
    data.writeInt32LE(fd, 8 * i);
    data.writeUInt16LE(events, 8 * i + 4);
    data.writeUInt16LE(STALE_REVENTS, 8 * i + 6);
  }
  return data;
}

function reventsAt(tracee: FakeTracee, address: number, count: number): number[] {
  const data = tracee.memory.read(address, 8 * count);
  return Array.from({ length: count }, (_, i) => data.readUInt16LE(8 * i + 6));
}

/** An fd_set (one long: descriptors below 64) with `fds` set. */
function fdSet(...fds: number[]): Buffer {
  const bits = Buffer.alloc(8);
  for (const fd of fds) bits[fd >> 3]! |= 1 << (fd & 7);
  return bits;
}

function fdsIn(tracee: FakeTracee, address: number): number[] {
  const bits = tracee.memory.read(address, 8);
  return Array.from({ length: 64 }, (_, fd) => fd).filter((fd) => (bits[fd >> 3]! & (1 << (fd & 7))) !== 0);
}

function longs(...values: number[]): Buffer {
  const data = Buffer.alloc(8 * values.length);
  for (const [i, value] of values.entries()) data.writeBigInt64LE(BigInt(value), 8 * i);
  return data;
}

/**
 * One process whose kernel descriptors are: 3 a readable pipe, 4 a pipe with
 * nothing to read or room to write, 5 a writable socket, 7 a pipe whose
 * writer is gone. It has no descriptor 9.
 */
function setup() {
  const world = new FakeWorld();
  const tracee = world.spawn('alice');
  world.kernelFds.set(tracee.process, 3, kernelFd('pipe', { readable: true }));
  world.kernelFds.set(tracee.process, 4, kernelFd('pipe'));
  world.kernelFds.set(tracee.process, 5, kernelFd('socket', { writable: true }));
  world.kernelFds.set(tracee.process, 7, kernelFd('pipe', { hangup: true }));
  return { world, tracee };
}

describe('poll', () => {
  it('reports the events that hold per entry, nothing for a negative fd, POLLNVAL for a closed one, and returns how many entries have some', () => {
    const { tracee } = setup();
    const entries: Array<[number, number]> = [
      [3, POLLIN],
      [-1, POLLIN],
      [4, POLLIN],
      [5, POLLIN | POLLOUT],
      [7, POLLOUT],
      [9, POLLIN],
    ];
    const array = tracee.map(pollfds(...entries));
    expect(tracee.call('poll', array, entries.length, 0)).toEqual({ kind: 'done', value: 4 });
    expect(reventsAt(tracee, array, entries.length)).toEqual([POLLIN, 0, 0, POLLOUT, POLLHUP, POLLNVAL]);
    const written = tracee.memory.read(array, 8 * entries.length);
    expect(entries.map((_, i) => [written.readInt32LE(8 * i), written.readUInt16LE(8 * i + 4)])).toEqual(entries);
  });

  it('with a zero timeout and nothing ready returns 0 at once and clears every revents', () => {
    const { tracee } = setup();
    const array = tracee.map(pollfds([4, POLLIN | POLLOUT], [3, POLLOUT]));
    expect(tracee.call('poll', array, 2, 0)).toEqual({ kind: 'done', value: 0 });
    expect(reventsAt(tracee, array, 2)).toEqual([0, 0]);
  });

  it('with nothing ready blocks until its timeout, whose answer writes zero revents and returns 0', () => {
    const { world, tracee } = setup();
    world.advanceTo(2);
    const array = tracee.map(pollfds([4, POLLIN], [-1, POLLIN]));
    const outcome = tracee.call('poll', array, 2, 1500);
    const wait = tracee.block(outcome);
    expect(wait).toMatchObject({ kind: 'io', deadline: 3.5, onSignal: 'eintr', watch: [{ process: tracee.process, fd: 4, events: POLLIN }] });
    expect(reventsAt(tracee, array, 2)).toEqual([STALE_REVENTS, STALE_REVENTS]);
    world.nextEvent();
    expect(world.scheduler.now).toBe(3.5);
    expect(tracee.concluded()).toEqual({ kind: 'done', value: 0 });
    expect(reventsAt(tracee, array, 2)).toEqual([0, 0]);
  });

  it('with a negative timeout waits with no deadline, and the retried call reports the kernel descriptor once it is ready', () => {
    const { world, tracee } = setup();
    const array = tracee.map(pollfds([4, POLLIN]));
    const wait = tracee.block(tracee.call('poll', array, 1, -1));
    expect(wait.deadline).toBeUndefined();
    expect(world.scheduler.probeIo()).toBe(0);
    world.kernelFds.set(tracee.process, 4, kernelFd('pipe', { readable: true }));
    expect(world.scheduler.probeIo()).toBe(1);
    expect(tracee.thread.state).toBe('runnable');
    expect(tracee.retry()).toEqual({ kind: 'done', value: 1 });
    expect(reventsAt(tracee, array, 1)).toEqual([POLLIN]);
  });

  it('reports a virtual socket readable once a datagram sent to it has crossed the network, waking the blocked poll', () => {
    const world = new FakeWorld();
    const receiver = world.spawn('bob', 'receiver');
    const sender = world.spawn('alice', 'sender');
    const socket = openSocket(receiver, SOCK_DGRAM, 3);
    expect(receiver.call('bind', socket, receiver.map(sockaddrIn('0.0.0.0', 5000)), 16)).toEqual({ kind: 'done', value: 0 });
    const array = receiver.map(pollfds([socket, POLLIN]));
    const wait = receiver.block(receiver.call('poll', array, 1, -1));
    expect(wait).toMatchObject({ kind: 'io', watch: [] });

    const outgoing = openSocket(sender, SOCK_DGRAM, 3);
    const sent = sender.call('sendto', outgoing, sender.map(Buffer.from('ping')), 4, 0, sender.map(sockaddrIn('10.0.0.2', 5000)), 16);
    expect(sent).toEqual({ kind: 'done', value: 4 });
    expect(wait.kind === 'io' && wait.isReady()).toBe(false);
    expect(world.scheduler.probeIo()).toBe(0);

    world.transport.completeAll();
    expect(wait.kind === 'io' && wait.isReady()).toBe(true);
    expect(world.scheduler.probeIo()).toBe(1);
    expect(receiver.retry()).toEqual({ kind: 'done', value: 1 });
    expect(reventsAt(receiver, array, 1)).toEqual([POLLIN]);
  });
});

describe('select', () => {
  it('fails with EBADF when a set names a descriptor the process does not have', () => {
    const { tracee } = setup();
    expect(tracee.call('select', 10, tracee.map(fdSet(3, 9)), 0, 0, 0)).toEqual({ kind: 'errno', errno: Errno.EBADF });
  });

  it('rewrites each fd_set to the descriptors ready for it and returns how many it kept', () => {
    const { tracee } = setup();
    const read = tracee.map(fdSet(3, 4, 7));
    const write = tracee.map(fdSet(4, 5));
    const except = tracee.map(fdSet(3));
    expect(tracee.call('select', 8, read, write, except, 0)).toEqual({ kind: 'done', value: 3 });
    expect(fdsIn(tracee, read)).toEqual([3, 7]);
    expect(fdsIn(tracee, write)).toEqual([5]);
    expect(fdsIn(tracee, except)).toEqual([]);
  });

  it('with a zero timeval and nothing ready returns 0 at once and clears the sets', () => {
    const { tracee } = setup();
    const read = tracee.map(fdSet(4));
    expect(tracee.call('select', 5, read, 0, 0, tracee.map(longs(0, 0)))).toEqual({ kind: 'done', value: 0 });
    expect(fdsIn(tracee, read)).toEqual([]);
  });

  it('with nothing ready waits for its timeval, then clears the sets and returns 0', () => {
    const { world, tracee } = setup();
    const read = tracee.map(fdSet(4));
    const except = tracee.map(fdSet(3));
    const wait = tracee.block(tracee.call('select', 5, read, 0, except, tracee.map(longs(1, 500_000))));
    expect(wait.deadline).toBe(1.5);
    expect(wait.kind === 'io' && wait.watch).toEqual([
      { process: tracee.process, fd: 4, events: POLLIN | POLLHUP | POLLERR },
      { process: tracee.process, fd: 3, events: POLLPRI },
    ]);
    world.nextEvent();
    expect(tracee.concluded()).toEqual({ kind: 'done', value: 0 });
    expect([fdsIn(tracee, read), fdsIn(tracee, except)]).toEqual([[], []]);
  });
});

describe('invalid timeouts', () => {
  it('select with a negative timeval fails with EINVAL, as Linux does, and takes microseconds past a second as more seconds', () => {
    const { tracee } = setup();
    const read = tracee.map(fdSet(4));
    expect(tracee.call('select', 5, read, 0, 0, tracee.map(longs(-1, 0)))).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(tracee.call('select', 5, read, 0, 0, tracee.map(longs(1, -1)))).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    expect(waitOf(tracee.call('select', 5, read, 0, 0, tracee.map(longs(0, 1_500_000)))).deadline).toBe(1.5);
  });

  it('ppoll and pselect6 with a timespec Linux refuses (negative, or nanoseconds past 999999999) fail with EINVAL', () => {
    const { tracee } = setup();
    const array = tracee.map(pollfds([4, POLLIN]));
    for (const invalid of [longs(-1, 0), longs(0, 1_000_000_000), longs(0, -1)]) {
      expect(tracee.call('ppoll', array, 1, tracee.map(invalid), 0)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
      expect(tracee.call('pselect6', 5, tracee.map(fdSet(4)), 0, 0, tracee.map(invalid), 0)).toEqual({ kind: 'errno', errno: Errno.EINVAL });
    }
  });
});

describe('signals during ppoll and pselect6', () => {
  it('ppoll fails with EINTR when a signal is pending that its own mask lets through', () => {
    const { world, tracee } = setup();
    world.signals.raise(tracee.thread, SIGUSR1);
    const array = tracee.map(pollfds([4, POLLIN]));
    expect(tracee.call('ppoll', array, 1, 0, tracee.map(longs(0)))).toEqual({ kind: 'errno', errno: Errno.EINTR });
  });

  it('ppoll waits when its mask blocks the pending signal, keeping that mask and its timespec timeout for the wait', () => {
    const { world, tracee } = setup();
    world.signals.raise(tracee.thread, SIGUSR1);
    const mask = signalBit(SIGUSR1);
    const array = tracee.map(pollfds([4, POLLIN]));
    const wait = waitOf(tracee.call('ppoll', array, 1, tracee.map(longs(0, 250_000_000)), tracee.map(longs(Number(mask)))));
    expect(wait).toMatchObject({ kind: 'io', mask, deadline: 0.25, onSignal: 'eintr' });
  });

  it('ppoll on kernel descriptors alone leaves to the kernel a signal only its mask unblocks, so the kernel delivers it under that mask', () => {
    const { world, tracee } = setup();
    world.signals.masks.set(tracee.thread, signalBit(SIGUSR1));
    world.signals.raise(tracee.thread, SIGUSR1);
    const array = tracee.map(pollfds([4, POLLIN]));
    expect(tracee.call('ppoll', array, 1, 0, tracee.map(longs(0)))).toEqual({ kind: 'native' });
  });

  it('pselect6 fails with EINTR when a signal is pending that its own mask lets through', () => {
    const { world, tracee } = setup();
    world.signals.raise(tracee.thread, SIGUSR1);
    const sigmask = tracee.map(longs(tracee.map(longs(0)), 8));
    expect(tracee.call('pselect6', 5, tracee.map(fdSet(4)), 0, 0, 0, sigmask)).toEqual({ kind: 'errno', errno: Errno.EINTR });
  });

  it('pselect6 with descriptors ready returns them even with a signal pending', () => {
    const { world, tracee } = setup();
    world.signals.raise(tracee.thread, SIGUSR1);
    const read = tracee.map(fdSet(3, 4));
    const sigmask = tracee.map(longs(tracee.map(longs(0)), 8));
    expect(tracee.call('pselect6', 5, read, 0, 0, 0, sigmask)).toEqual({ kind: 'done', value: 1 });
    expect(fdsIn(tracee, read)).toEqual([3]);
  });
});
