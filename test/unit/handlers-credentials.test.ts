import { describe, expect, it } from 'vitest';
import { FakeWorld, kernelFd, type FakeTracee } from '../helpers/fake-tracee.js';

const SOCKET_FD = 5;
/** struct cmsghdr (16 bytes) then a struct ucred (12): CMSG_SPACE(sizeof(struct ucred)) is 32. */
const CONTROL_ROOM = 32;

/** A msghdr for one byte, with `controlRoom` bytes for control messages (none: no control buffer); its address and the control's. */
function msghdr(tracee: FakeTracee, controlRoom: number): { header: number; control: number } {
  const control = controlRoom === 0 ? 0 : tracee.memory.map(Buffer.alloc(controlRoom));
  const iovec = Buffer.alloc(16);
  iovec.writeBigUInt64LE(BigInt(tracee.memory.map(Buffer.alloc(1))), 0);
  iovec.writeBigUInt64LE(1n, 8);
  const header = Buffer.alloc(56);
  header.writeBigUInt64LE(BigInt(tracee.memory.map(iovec)), 16);
  header.writeBigUInt64LE(1n, 24);
  header.writeBigUInt64LE(BigInt(control), 32);
  header.writeBigUInt64LE(BigInt(controlRoom), 40);
  return { header: tracee.memory.map(header), control };
}

/** What the kernel writes for a message from real pid `pid`: one SCM_CREDENTIALS message, msg_controllen its length. */
function kernelWritesCredentials(tracee: FakeTracee, header: number, control: number, pid: number): void {
  const message = Buffer.alloc(28);
  message.writeBigUInt64LE(28n, 0);
  message.writeInt32LE(1, 8); // SOL_SOCKET
  message.writeInt32LE(2, 12); // SCM_CREDENTIALS
  message.writeInt32LE(pid, 16);
  message.writeInt32LE(1000, 20);
  message.writeInt32LE(1000, 24);
  tracee.memory.write(control, message);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(28n);
  tracee.memory.write(header + 40, length);
}

/** Three processes whose real pids are not their virtual ones: the first on another host, then the receiver and the sender. */
function world(): { receiver: FakeTracee; sender: FakeTracee } {
  const world = new FakeWorld();
  world.spawn('bob');
  const receiver = world.spawn('alice', 'receiver');
  const sender = world.spawn('alice', 'sender');
  world.kernelFds.set(receiver.process, SOCKET_FD, kernelFd('socket', { readable: true, writable: true }));
  return { receiver, sender };
}

describe('recvmsg on a kernel socket', () => {
  it('with SO_PASSCRED, names the sender of the SCM_CREDENTIALS the kernel wrote by its virtual pid when the call returns', () => {
    const { receiver, sender } = world();
    receiver.world.kernelFds.passCredentials(receiver.process, SOCKET_FD);
    const { header, control } = msghdr(receiver, CONTROL_ROOM);
    const outcome = receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    expect(outcome).toMatchObject({ kind: 'native', afterExit: expect.any(Function) });
    kernelWritesCredentials(receiver, header, control, sender.process.pid);
    expect(receiver.kernelReturns(outcome, 1)).toBe(1);
    expect(receiver.memory.read(control + 16, 4).readInt32LE(0)).toBe(sender.process.vpid);
    expect(sender.process.vpid).not.toBe(sender.process.pid);
  });

  it('leaves what a failed call left in the buffer', () => {
    const { receiver, sender } = world();
    receiver.world.kernelFds.passCredentials(receiver.process, SOCKET_FD);
    const { header, control } = msghdr(receiver, CONTROL_ROOM);
    const outcome = receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    kernelWritesCredentials(receiver, header, control, sender.process.pid);
    expect(receiver.kernelReturns(outcome, -14)).toBe(-14);
    expect(receiver.memory.read(control + 16, 4).readInt32LE(0)).toBe(sender.process.pid);
  });

  it('lets the call run with no exit to see without SO_PASSCRED, or without room for credentials', () => {
    const { receiver } = world();
    expect(receiver.dispatch('recvmsg', SOCKET_FD, msghdr(receiver, CONTROL_ROOM).header, 0)).toEqual({ kind: 'native' });
    receiver.world.kernelFds.passCredentials(receiver.process, SOCKET_FD);
    expect(receiver.dispatch('recvmsg', SOCKET_FD, msghdr(receiver, 0).header, 0)).toEqual({ kind: 'native' });
    expect(receiver.dispatch('recvmsg', SOCKET_FD, msghdr(receiver, 16).header, 0)).toEqual({ kind: 'native' });
  });
});

describe('whether a kernel socket passes credentials', () => {
  const SOL_SOCKET = 1;
  const SO_PASSCRED = 16;

  it('is asked of the kernel once per descriptor, and again after a setsockopt(SO_PASSCRED) anywhere or once the number was freed', () => {
    const { receiver, sender } = world();
    const kernelFds = receiver.world.kernelFds;
    kernelFds.passCredentials(receiver.process, SOCKET_FD);
    const header = msghdr(receiver, CONTROL_ROOM).header;
    for (let i = 0; i < 3; i++) expect(receiver.dispatch('recvmsg', SOCKET_FD, header, 0)).toMatchObject({ afterExit: expect.any(Function) });
    expect(kernelFds.credentialQuestions).toBe(1);
    // Another process may share the socket (a dup, an inherited copy): its setsockopt counts too.
    expect(sender.dispatch('setsockopt', 9, SOL_SOCKET, SO_PASSCRED, 0, 4)).toEqual({ kind: 'native' });
    receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    expect(kernelFds.credentialQuestions).toBe(2);
    receiver.dispatch('close', SOCKET_FD);
    receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    expect(kernelFds.credentialQuestions).toBe(3);
    // Other options leave the answers as they were.
    sender.dispatch('setsockopt', 9, SOL_SOCKET, 2, 0, 4);
    receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    expect(kernelFds.credentialQuestions).toBe(3);
  });

  it('is not asked again for a setsockopt(SO_PASSCRED) in another run: runs in one Node process share no socket', () => {
    const first = world();
    const second = world();
    const header = msghdr(first.receiver, CONTROL_ROOM).header;
    first.receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    second.sender.dispatch('setsockopt', 9, SOL_SOCKET, SO_PASSCRED, 0, 4);
    first.receiver.dispatch('recvmsg', SOCKET_FD, header, 0);
    expect(first.receiver.world.kernelFds.credentialQuestions).toBe(1);
  });
});

/** A struct mmsghdr array (64 bytes an entry) copying the msghdrs at `headers`; its address. */
function mmsghdrs(tracee: FakeTracee, headers: number[]): number {
  const entries = Buffer.alloc(64 * headers.length);
  for (const [i, header] of headers.entries()) tracee.memory.read(header, 56).copy(entries, 64 * i);
  return tracee.memory.map(entries);
}

describe('recvmmsg on a kernel socket', () => {
  it('with SO_PASSCRED, names the senders in the entries the kernel filled by virtual pid, and no others', () => {
    const { receiver, sender } = world();
    receiver.world.kernelFds.passCredentials(receiver.process, SOCKET_FD);
    const first = msghdr(receiver, 0);
    const second = msghdr(receiver, CONTROL_ROOM);
    const third = msghdr(receiver, CONTROL_ROOM);
    const vector = mmsghdrs(receiver, [first.header, second.header, third.header]);
    const outcome = receiver.dispatch('recvmmsg', SOCKET_FD, vector, 3, 0, 0);
    expect(outcome).toMatchObject({ kind: 'native', afterExit: expect.any(Function) });
    kernelWritesCredentials(receiver, vector + 64, second.control, sender.process.pid);
    kernelWritesCredentials(receiver, vector + 128, third.control, sender.process.pid);
    expect(receiver.kernelReturns(outcome, 2)).toBe(2);
    expect(receiver.memory.read(second.control + 16, 4).readInt32LE(0)).toBe(sender.process.vpid);
    expect(receiver.memory.read(third.control + 16, 4).readInt32LE(0)).toBe(sender.process.pid);
  });

  it('lets the call run with no exit to see without SO_PASSCRED, or when no entry has room for credentials', () => {
    const { receiver } = world();
    const roomy = mmsghdrs(receiver, [msghdr(receiver, CONTROL_ROOM).header]);
    expect(receiver.dispatch('recvmmsg', SOCKET_FD, roomy, 1, 0, 0)).toEqual({ kind: 'native' });
    receiver.world.kernelFds.passCredentials(receiver.process, SOCKET_FD);
    const cramped = mmsghdrs(receiver, [msghdr(receiver, 0).header, msghdr(receiver, 16).header]);
    expect(receiver.dispatch('recvmmsg', SOCKET_FD, cramped, 2, 0, 0)).toEqual({ kind: 'native' });
  });
});
