import { describe, expect, it } from 'vitest';
import { Errno } from '../../src/mediator/abi/errno.js';
import { F_GETOWN, F_GETOWN_EX, F_OWNER_PID, F_OWNER_TID, F_SETOWN, F_SETOWN_EX } from '../../src/mediator/abi/fd.js';
import { PTRACE_ATTACH, PTRACE_TRACEME } from '../../src/mediator/abi/process.js';
import { OUTSIDE_PID } from '../../src/mediator/tracees/virtual-pids.js';
import { FakeWorld } from '../helpers/fake-tracee.js';

const PTRACE_PEEKDATA = 2;
const SIGUSR1 = 10;

/**
 * alice's program has real pid 1000 and virtual 1000; bob's two have real
 * pids 1001 and 1002 and virtual 1000 and 1001 on bob: real and virtual
 * numbers overlap, as they do on a real machine.
 */
function setup() {
  const world = new FakeWorld();
  const alice = world.spawn('alice');
  const bob = world.spawn('bob');
  const bob2 = world.spawn('bob');
  return { world, alice, bob, bob2 };
}

const errno = (value: number) => ({ kind: 'errno', errno: value });

describe('what a tracee can name', () => {
  it("a virtual pid of its own host is made real; another host's, or a raw real pid of a tracee elsewhere, is no process", () => {
    const { alice, bob, bob2 } = setup();
    expect(bob.call('kill', 1001, SIGUSR1)).toMatchObject({ kind: 'instead', args: [bob2.process.pid, SIGUSR1, 0, 0, 0, 0] });
    // 1001 is bob's, and the real pid of bob's first program: neither is alice's to name.
    expect(alice.call('kill', 1001, SIGUSR1)).toEqual(errno(Errno.ESRCH));
    expect(alice.call('pidfd_open', 1001, 0)).toEqual(errno(Errno.ESRCH));
    expect(alice.call('process_vm_readv', 1002, 0, 0, 0, 0, 0)).toEqual(errno(Errno.ESRCH));
    expect(alice.call('kcmp', 1000, 1001, 0, 0, 0)).toEqual(errno(Errno.ESRCH));
  });

  it('pid 1, every process outside the run, is out of reach: EPERM, or EINVAL for a signal Linux would refuse first', () => {
    const { alice } = setup();
    expect(alice.call('kill', OUTSIDE_PID, 0)).toEqual(errno(Errno.EPERM));
    expect(alice.call('kill', OUTSIDE_PID, 99)).toEqual(errno(Errno.EINVAL));
    expect(alice.call('tgkill', OUTSIDE_PID, OUTSIDE_PID, SIGUSR1)).toEqual(errno(Errno.EPERM));
    expect(alice.call('process_vm_writev', OUTSIDE_PID, 0, 0, 0, 0, 0)).toEqual(errno(Errno.EPERM));
    expect(alice.call('pidfd_open', OUTSIDE_PID, 0)).toEqual(errno(Errno.EPERM));
    expect(alice.call('setpriority', 0, OUTSIDE_PID, 10)).toEqual(errno(Errno.EPERM));
    // It is a group and session leader, like init; it is none of the caller's children.
    expect(alice.call('getpgid', OUTSIDE_PID)).toEqual({ kind: 'done', value: OUTSIDE_PID });
    expect(alice.call('getsid', OUTSIDE_PID)).toEqual({ kind: 'done', value: OUTSIDE_PID });
    expect(alice.call('setpgid', OUTSIDE_PID, 0)).toEqual(errno(Errno.ESRCH));
  });

  it('0 and negative pids reach the kernel as they are, which answers with its own result or errno', () => {
    const { alice } = setup();
    expect(alice.call('tkill', 0, SIGUSR1)).toMatchObject({ kind: 'instead', args: [0, SIGUSR1, 0, 0, 0, 0] });
    expect(alice.call('tgkill', -5, -5, SIGUSR1)).toMatchObject({ kind: 'instead', args: [-5, -5, SIGUSR1, 0, 0, 0] });
    expect(alice.call('pidfd_open', -5, 0)).toMatchObject({ kind: 'instead', args: [-5, 0, 0, 0, 0, 0] });
    expect(alice.call('sched_getparam', 0, 0)).toMatchObject({ kind: 'instead', args: [0, 0, 0, 0, 0, 0] });
  });

  it('a zombie its parent has not collected can still be named; once collected it is no process', () => {
    const { world, bob, bob2 } = setup();
    bob2.process.parent = bob.process;
    bob2.process.exitStatus = { code: 0 };
    world.tracees.removeThread(bob2.thread);
    bob.process.zombies.add(bob2.process);
    expect(bob.call('kill', 1001, 0)).toMatchObject({ kind: 'instead', args: [bob2.process.pid, 0, 0, 0, 0, 0] });
    bob.process.zombies.delete(bob2.process);
    expect(bob.call('kill', 1001, 0)).toEqual(errno(Errno.ESRCH));
  });
});

describe('ptrace: a tracee is traced by simterpose and traces nothing', () => {
  it('PTRACE_TRACEME and attaching to a process it can name fail with EPERM, other requests and unnamed pids with ESRCH', () => {
    const { bob } = setup();
    expect(bob.call('ptrace', PTRACE_TRACEME)).toEqual(errno(Errno.EPERM));
    expect(bob.call('ptrace', PTRACE_ATTACH, 1001)).toEqual(errno(Errno.EPERM));
    expect(bob.call('ptrace', PTRACE_ATTACH, OUTSIDE_PID)).toEqual(errno(Errno.EPERM));
    expect(bob.call('ptrace', PTRACE_ATTACH, 4242)).toEqual(errno(Errno.ESRCH));
    expect(bob.call('ptrace', PTRACE_ATTACH, 0)).toEqual(errno(Errno.ESRCH));
    expect(bob.call('ptrace', PTRACE_PEEKDATA, 1001, 0)).toEqual(errno(Errno.ESRCH));
  });
});

describe('descriptor owners, who get SIGIO', () => {
  it('F_SETOWN takes a virtual pid or a negated group and refuses what the caller cannot name; F_GETOWN reads them back virtual', () => {
    const { bob, bob2 } = setup();
    expect(bob.call('fcntl', 3, F_SETOWN, 1001)).toMatchObject({ kind: 'instead', args: [3, F_SETOWN, bob2.process.pid] });
    expect(bob.call('fcntl', 3, F_SETOWN, 4242)).toEqual(errno(Errno.ESRCH));
    expect(bob.call('fcntl', 3, F_SETOWN, OUTSIDE_PID)).toEqual(errno(Errno.EPERM));
    // A group none of the host's processes belongs to (the fake tracees have no real group).
    expect(bob.call('fcntl', 3, F_SETOWN, -1001)).toEqual(errno(Errno.ESRCH));
    const getOwner = bob.call('fcntl', 3, F_GETOWN);
    expect(bob.kernelReturns(getOwner, bob2.process.pid)).toBe(1001);
  });

  it('F_SETOWN_EX gets a copy of struct f_owner_ex with the real id; F_GETOWN_EX makes the one the kernel wrote virtual', () => {
    const { bob, bob2 } = setup();
    const owner = Buffer.alloc(8);
    owner.writeInt32LE(F_OWNER_TID, 0);
    owner.writeInt32LE(1001, 4);
    const address = bob.map(owner);
    const set = bob.dispatch('fcntl', 3, F_SETOWN_EX, address);
    expect(set.kind).toBe('instead');
    const [fd, command, copy] = (set as { args: readonly number[] }).args;
    expect([fd, command]).toEqual([3, F_SETOWN_EX]);
    expect(copy).not.toBe(address);
    expect(bob.memory.read(copy!, 8).readInt32LE(4)).toBe(bob2.process.pid);
    expect(bob.memory.read(address, 8)).toEqual(owner);

    const written = bob.map(8);
    const get = bob.call('fcntl', 3, F_GETOWN_EX, written);
    const kernelWrote = Buffer.alloc(8);
    kernelWrote.writeInt32LE(F_OWNER_PID, 0);
    kernelWrote.writeInt32LE(bob2.process.pid, 4);
    bob.memory.write(written, kernelWrote);
    expect(bob.kernelReturns(get, 0)).toBe(0);
    expect(bob.memory.read(written, 8).readInt32LE(4)).toBe(1001);
  });
});
