import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import { asInt, asUint, memory } from '../../tracees/memory.js';
import { blocked, done, fail, type Outcome } from '../outcome.js';
import { UnsupportedSyscallError } from '../unsupported.js';

/**
 * Futexes are emulated entirely: a waiter never sleeps in the kernel (one
 * thread runs at a time, so a kernel wait could never be woken), and wakes
 * are counted against the emulated waiters. Reading and updating the futex
 * word is atomic because every other tracee is stopped meanwhile.
 */
const FUTEX_WAIT = 0;
const FUTEX_WAKE = 1;
const FUTEX_REQUEUE = 3;
const FUTEX_CMP_REQUEUE = 4;
const FUTEX_WAKE_OP = 5;
const FUTEX_WAIT_BITSET = 9;
const FUTEX_WAKE_BITSET = 10;
const FUTEX_CLOCK_REALTIME = 256;
const FUTEX_CMD_MASK = 127;
const CLOCK_MONOTONIC = 1;
const ALL_BITS = 0xffffffff;

const PI_OPERATIONS: Record<number, string> = {
  6: 'FUTEX_LOCK_PI',
  7: 'FUTEX_UNLOCK_PI',
  8: 'FUTEX_TRYLOCK_PI',
  11: 'FUTEX_WAIT_REQUEUE_PI',
  12: 'FUTEX_CMP_REQUEUE_PI',
  13: 'FUTEX_LOCK_PI2',
};

/** Futex words are identified per address space: threads and CLONE_VM children share them. */
export function futexKey(addressSpace: number, address: number): string {
  return `${addressSpace}:${address}`;
}

function wait(ctx: SyscallContext, bitset: number, absolute: boolean): Outcome {
  const { process, thread, args, services } = ctx;
  const [address, op, expected, timeout] = args as [number, number, number, number];
  if (bitset === 0) return fail(Errno.EINVAL);
  if (memory.u32(process.pid, address) !== asUint(expected)) return fail(Errno.EAGAIN);
  let deadline: number | undefined;
  if (timeout !== 0) {
    const seconds = memory.timespec(process.pid, timeout);
    deadline = absolute
      ? services.time.at((op & FUTEX_CLOCK_REALTIME) !== 0 ? 0 : CLOCK_MONOTONIC, seconds)
      : services.time.after(seconds);
  }
  return blocked({
    kind: 'futex',
    key: futexKey(process.addressSpace, address),
    bitset,
    deadline,
    onTimeout: () => fail(Errno.ETIMEDOUT),
    onSignal: 'restartable',
    reason: `futex 0x${address.toString(16)} in ${thread.label}`,
  });
}

/** FUTEX_WAKE_OP's encoded operation on the second word, and its comparison. */
function wakeOp(ctx: SyscallContext): Outcome {
  const { process, args, services } = ctx;
  const [address, , wakeCount, wakeCount2, address2, encoded] = args as number[] as [number, number, number, number, number, number];
  const operation = (encoded >>> 28) & 7;
  const shiftArgument = ((encoded >>> 28) & 8) !== 0;
  const comparison = (encoded >>> 24) & 15;
  let operand = (encoded << 8) >> 20; // 12-bit signed
  const comparand = (encoded << 20) >> 20;
  if (shiftArgument) operand = 1 << (operand & 31);
  const old = memory.i32(process.pid, address2);
  const updated = [operand, old + operand, old | operand, old & ~operand, old ^ operand][operation];
  if (updated === undefined) return fail(Errno.ENOSYS);
  memory.writeI32(process.pid, address2, updated | 0);
  const space = process.addressSpace;
  let woken = services.scheduler.wakeFutex(futexKey(space, address), asInt(wakeCount));
  const holds = [old === comparand, old !== comparand, old < comparand, old <= comparand, old > comparand, old >= comparand][comparison];
  if (holds === undefined) return fail(Errno.ENOSYS);
  if (holds) woken += services.scheduler.wakeFutex(futexKey(space, address2), asInt(wakeCount2));
  return done(woken);
}

function requeue(ctx: SyscallContext, compare: boolean): Outcome {
  const { process, args, services } = ctx;
  const [address, , wakeCount, moveCount, address2, expected] = args as number[] as [number, number, number, number, number, number];
  if (compare && memory.u32(process.pid, address) !== asUint(expected)) return fail(Errno.EAGAIN);
  const from = futexKey(process.addressSpace, address);
  const woken = services.scheduler.wakeFutex(from, asInt(wakeCount));
  const moved = services.scheduler.requeueFutex(from, futexKey(process.addressSpace, address2), asInt(moveCount));
  return done(woken + (compare ? moved : 0));
}

function futex(ctx: SyscallContext): Outcome {
  const { process, args, services } = ctx;
  const command = asInt(args[1]!) & FUTEX_CMD_MASK;
  switch (command) {
    case FUTEX_WAIT:
      return wait(ctx, ALL_BITS, false);
    case FUTEX_WAIT_BITSET:
      return wait(ctx, asUint(args[5]!), true);
    case FUTEX_WAKE:
      return done(services.scheduler.wakeFutex(futexKey(process.addressSpace, args[0]!), asInt(args[2]!)));
    case FUTEX_WAKE_BITSET:
      return done(services.scheduler.wakeFutex(futexKey(process.addressSpace, args[0]!), asInt(args[2]!), asUint(args[5]!)));
    case FUTEX_REQUEUE:
      return requeue(ctx, false);
    case FUTEX_CMP_REQUEUE:
      return requeue(ctx, true);
    case FUTEX_WAKE_OP:
      return wakeOp(ctx);
    default: {
      const name = PI_OPERATIONS[command];
      if (name !== undefined) throw new UnsupportedSyscallError(`futex(${name})`, ctx.thread, 'priority-inheritance futexes are not emulated');
      return fail(Errno.ENOSYS);
    }
  }
}

export const futexSyscalls: FamilyTable = {
  futex: { level: 'emulated', handler: futex, note: 'waits and wakes are emulated; priority-inheritance operations are not supported' },
  futex_waitv: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wait: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wake: { level: 'unsupported', note: 'wakes kernel waiters only' },
  futex_requeue: { level: 'unsupported', note: 'would block inside the kernel' },
};
