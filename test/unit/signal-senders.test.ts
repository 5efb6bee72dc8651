import { describe, expect, test } from 'vitest';
import {
  CLD_STOPPED,
  SIGCHLD,
  SIGINFO_SIZE,
  SIGNALFD_SIGINFO_SIZE,
  SI_KERNEL,
  SI_MESGQ,
  SI_QUEUE,
  SI_TIMER,
  SI_TKILL,
  SI_USER,
  POLL_IN,
  POLL_OUT,
  childSiginfo,
  pollSiginfo,
  siginfo,
  signalfdSiginfo,
} from '../../src/mediator/abi/signal.js';
import { virtualizeSender } from '../../src/mediator/tracees/signal-senders.js';
import { FIRST_VIRTUAL_PID, OUTSIDE_PID, VirtualPids } from '../../src/mediator/tracees/virtual-pids.js';

const SIGUSR1 = 10;
const RECEIVER = 5300;
const SENDER = 5301;

function sentBy(code: number, pid: number, signal = SIGUSR1): Buffer {
  const info = Buffer.alloc(SIGINFO_SIZE);
  info.writeInt32LE(signal, 0);
  info.writeInt32LE(code, 8);
  siginfo.setPid(info, pid);
  return info;
}

function world(): { pids: VirtualPids; receiver: { pid: number; childNotice: Buffer | undefined; pollNotices: Map<number, Buffer[]> } } {
  const pids = new VirtualPids();
  pids.allocate('alice', RECEIVER);
  pids.allocate('alice', SENDER);
  return { pids, receiver: { pid: RECEIVER, childNotice: undefined, pollNotices: new Map() } };
}

describe('the sender a signal names, as its receiver sees it', () => {
  test('kill and tgkill name a tracee by its virtual pid, a process outside the run as OUTSIDE_PID', () => {
    const { pids, receiver } = world();
    for (const code of [SI_USER, SI_TKILL]) {
      const info = sentBy(code, SENDER);
      expect(virtualizeSender(pids, receiver, SIGUSR1, info)).toBe(true);
      expect(siginfo.pid(info)).toBe(FIRST_VIRTUAL_PID + 1);
    }
    const outside = sentBy(SI_USER, 4242);
    virtualizeSender(pids, receiver, SIGUSR1, outside);
    expect(siginfo.pid(outside)).toBe(OUTSIDE_PID);
  });

  test("a POSIX message queue's notification names the process whose message arrived by its virtual pid", () => {
    const { pids, receiver } = world();
    const info = sentBy(SI_MESGQ, SENDER);
    expect(virtualizeSender(pids, receiver, SIGUSR1, info)).toBe(true);
    expect(siginfo.pid(info)).toBe(FIRST_VIRTUAL_PID + 1);
  });

  test("sigqueue's siginfo is the sender's own and a timer's has no sender: both stay", () => {
    const { pids, receiver } = world();
    for (const code of [SI_QUEUE, SI_TIMER]) {
      const info = sentBy(code, 7);
      expect(virtualizeSender(pids, receiver, SIGUSR1, info)).toBe(false);
      expect(siginfo.pid(info)).toBe(7);
    }
  });

  test('a SIGCHLD names the child; one simterpose sent names the tracee it was sent for, carries its job-control notice, or comes from the kernel', () => {
    const { pids, receiver } = world();
    const exited = sentBy(1, SENDER, SIGCHLD);
    virtualizeSender(pids, receiver, SIGCHLD, exited);
    expect(siginfo.pid(exited)).toBe(FIRST_VIRTUAL_PID + 1);

    pids.noteSender(RECEIVER, SIGUSR1, FIRST_VIRTUAL_PID + 1);
    const groupKill = sentBy(SI_USER, process.pid);
    virtualizeSender(pids, receiver, SIGUSR1, groupKill);
    expect(siginfo.pid(groupKill)).toBe(FIRST_VIRTUAL_PID + 1);

    receiver.childNotice = childSiginfo(CLD_STOPPED, FIRST_VIRTUAL_PID + 1, 1000, 19);
    const stopped = sentBy(SI_USER, process.pid, SIGCHLD);
    virtualizeSender(pids, receiver, SIGCHLD, stopped);
    expect(siginfo.code(stopped)).toBe(CLD_STOPPED);
    expect(siginfo.pid(stopped)).toBe(FIRST_VIRTUAL_PID + 1);
    expect(receiver.childNotice).toBeUndefined();

    const own = sentBy(SI_USER, process.pid);
    virtualizeSender(pids, receiver, SIGUSR1, own);
    expect(siginfo.code(own)).toBe(SI_KERNEL);
    expect(siginfo.pid(own)).toBe(0);
  });

  test("a virtual socket's F_SETSIG signal carries its reason, band and descriptor: a real-time one each in turn, another the first sent", () => {
    const { pids, receiver } = world();
    const SIGRT = 35;
    receiver.pollNotices.set(SIGRT, [pollSiginfo(SIGRT, POLL_IN, 0x41, 4), pollSiginfo(SIGRT, POLL_OUT, 0x304, 5)]);
    const first = sentBy(SI_USER, process.pid, SIGRT);
    virtualizeSender(pids, receiver, SIGRT, first);
    expect([siginfo.code(first), first.readBigInt64LE(16), first.readInt32LE(24)]).toEqual([POLL_IN, 0x41n, 4]);
    const second = sentBy(SI_USER, process.pid, SIGRT);
    virtualizeSender(pids, receiver, SIGRT, second);
    expect([siginfo.code(second), second.readBigInt64LE(16), second.readInt32LE(24)]).toEqual([POLL_OUT, 0x304n, 5]);
    expect(receiver.pollNotices.has(SIGRT)).toBe(false);

    receiver.pollNotices.set(SIGUSR1, [pollSiginfo(SIGUSR1, POLL_IN, 0x41, 4), pollSiginfo(SIGUSR1, POLL_OUT, 0x304, 4)]);
    const coalesced = sentBy(SI_USER, process.pid);
    virtualizeSender(pids, receiver, SIGUSR1, coalesced);
    expect(siginfo.code(coalesced)).toBe(POLL_IN);
    expect(receiver.pollNotices.has(SIGUSR1)).toBe(false);
  });

  test("a signalfd record of a virtual socket's F_SETSIG signal carries its band and descriptor, and no sender", () => {
    const { pids, receiver } = world();
    const SIGRT = 35;
    receiver.pollNotices.set(SIGRT, [pollSiginfo(SIGRT, POLL_IN, 0x41, 4)]);
    const record = Buffer.alloc(SIGNALFD_SIGINFO_SIZE);
    record.writeUInt32LE(SIGRT, 0);
    record.writeInt32LE(SI_USER, 8);
    record.writeUInt32LE(process.pid, 12);
    const info = signalfdSiginfo.toSiginfo(record);
    expect(virtualizeSender(pids, receiver, SIGRT, info)).toBe(true);
    signalfdSiginfo.setFromSiginfo(record, info);
    expect([record.readInt32LE(8), record.readUInt32LE(12), record.readInt32LE(20), record.readUInt32LE(28)]).toEqual([POLL_IN, 0, 4, 0x41]);
  });

  test("a signalfd record's code, pid, uid and status go to a siginfo_t and back, its other bytes kept", () => {
    const record = Buffer.alloc(SIGNALFD_SIGINFO_SIZE, 0xab);
    record.writeUInt32LE(SIGCHLD, 0);
    record.writeInt32LE(1, 8);
    record.writeUInt32LE(SENDER, 12);
    record.writeUInt32LE(1000, 16);
    record.writeInt32LE(7, 40);
    const info = signalfdSiginfo.toSiginfo(record);
    expect(signalfdSiginfo.signal(record)).toBe(SIGCHLD);
    expect(childSiginfo(1, SENDER, 1000, 7).equals(info)).toBe(true);
    siginfo.setPid(info, FIRST_VIRTUAL_PID);
    const before = Buffer.from(record);
    signalfdSiginfo.setFromSiginfo(record, info);
    expect(record.readUInt32LE(12)).toBe(FIRST_VIRTUAL_PID);
    record.writeUInt32LE(SENDER, 12);
    expect(record.equals(before)).toBe(true);
  });
});
