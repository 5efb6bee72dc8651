import { Errno } from '../../abi/errno.js';
import {
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMD_MASK,
  FUTEX_CMP_REQUEUE,
  FUTEX_PI_OPERATIONS,
  FUTEX_PRIVATE_FLAG,
  FUTEX_REQUEUE,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
  decodeWakeOp,
} from '../../abi/futex.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, readTimespec, timespecSeconds, validTimespec } from '../../abi/time.js';
import { asInt, asUint, readI32, readU32, writeI32, writeU32 } from '../../abi/tracee-memory.js';
import { futexKey } from '../../tracees/futex-key.js';
import { inUserSpace } from '../../abi/iovec.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { blocked, done, fail, type Outcome } from '../outcome.js';
import { UnsupportedSyscallError } from '../unsupported.js';

/**
 * Futexes are emulated entirely: a waiter never sleeps in the kernel (one
 * thread runs at a time, so a kernel wait could never be woken), and wakes
 * are counted against the emulated waiters. Reading and updating the futex
 * word is atomic because every other tracee is stopped meanwhile.
 */

/** A futex word is a 32-bit integer: Linux refuses one at an address that is not a multiple of 4. */
const FUTEX_ALIGNMENT = 4;

/**
 * Why the word has no futex key (get_futex_key), if it has none: an
 * address not a multiple of 4 is EINVAL, one outside user space EFAULT; a
 * shared futex (no FUTEX_PRIVATE_FLAG) in private memory needs its page
 * writable, which the word written back as it is tells (no other thread
 * runs meanwhile).
 */
function keyRefusal(ctx: SyscallContext): number | undefined {
  const [address, op] = ctx.args as [number, number];
  if (address % FUTEX_ALIGNMENT !== 0) return Errno.EINVAL;
  if (!inUserSpace(address, 4)) return Errno.EFAULT;
  if ((asInt(op) & FUTEX_PRIVATE_FLAG) === 0) writeU32(ctx.memory, address, readU32(ctx.memory, address));
  return undefined;
}

function wait(ctx: SyscallContext, bitset: number, absolute: boolean): Outcome {
  const { process, thread, args, services } = ctx;
  const [address, op, expected, timeout] = args as [number, number, number, number];
  if (bitset === 0) return fail(Errno.EINVAL);
  let deadline: number | undefined;
  if (timeout !== 0) {
    const time = readTimespec(ctx.memory, timeout);
    if (!validTimespec(time)) return fail(Errno.EINVAL);
    deadline = absolute
      ? services.time.at((op & FUTEX_CLOCK_REALTIME) !== 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, time, ctx.process.host)
      : services.time.after(timespecSeconds(time), ctx.process.host);
  }
  const refusal = keyRefusal(ctx);
  if (refusal !== undefined) return fail(refusal);
  if (readU32(ctx.memory, address) !== asUint(expected)) return fail(Errno.EAGAIN);
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

/** FUTEX_WAKE_OP: operates on the second word, wakes waiters of the first, and of the second if the comparison holds. */
function wakeOp(ctx: SyscallContext): Outcome {
  const { process, args, services } = ctx;
  const [address, , wakeCount, wakeCount2, address2, encoded] = args as [number, number, number, number, number, number];
  const { operation, operand, comparison, comparand } = decodeWakeOp(encoded);
  const old = readI32(ctx.memory, address2);
  const updated = [operand, old + operand, old | operand, old & ~operand, old ^ operand][operation];
  if (updated === undefined) return fail(Errno.ENOSYS);
  const holds = [old === comparand, old !== comparand, old < comparand, old <= comparand, old > comparand, old >= comparand][comparison];
  if (holds === undefined) return fail(Errno.ENOSYS);
  writeI32(ctx.memory, address2, updated);
  const space = process.addressSpace;
  let woken = services.scheduler.wakeFutex(futexKey(space, address), asInt(wakeCount));
  if (holds) woken += services.scheduler.wakeFutex(futexKey(space, address2), asInt(wakeCount2));
  return done(woken);
}

function requeue(ctx: SyscallContext, compare: boolean): Outcome {
  const { process, args, services } = ctx;
  const [address, , wakeCount, moveCount, address2, expected] = args as [number, number, number, number, number, number];
  if (compare && readU32(ctx.memory, address) !== asUint(expected)) return fail(Errno.EAGAIN);
  const from = futexKey(process.addressSpace, address);
  const woken = services.scheduler.wakeFutex(from, asInt(wakeCount));
  const moved = services.scheduler.requeueFutex(from, futexKey(process.addressSpace, address2), asInt(moveCount));
  return done(woken + (compare ? moved : 0));
}

/** Linux's order: the timeout (waits), the operation (ENOSYS), its own checks (a zero bitset), then the word's key. */
function futex(ctx: SyscallContext): Outcome {
  const { process, args, services } = ctx;
  const command = asInt(args[1]!) & FUTEX_CMD_MASK;
  if (command === FUTEX_WAKE || command === FUTEX_WAKE_BITSET) {
    if (command === FUTEX_WAKE_BITSET && asUint(args[5]!) === 0) return fail(Errno.EINVAL);
    const refusal = keyRefusal(ctx);
    if (refusal !== undefined) return fail(refusal);
  } else if (command === FUTEX_REQUEUE || command === FUTEX_CMP_REQUEUE || command === FUTEX_WAKE_OP) {
    if (args[0]! % FUTEX_ALIGNMENT !== 0) return fail(Errno.EINVAL);
  }
  switch (command) {
    case FUTEX_WAIT:
      return wait(ctx, FUTEX_BITSET_MATCH_ANY, false);
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
      const name = FUTEX_PI_OPERATIONS[command];
      if (name !== undefined) throw new UnsupportedSyscallError(`futex(${name})`, ctx.thread, 'priority-inheritance futexes are not emulated');
      return fail(Errno.ENOSYS);
    }
  }
}

export const futexSyscalls: FamilyTable = {
  futex: { blocks: true, level: 'emulated', handler: futex, note: 'waits and wakes are emulated; priority-inheritance operations are not supported' },
  futex_waitv: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wait: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wake: { level: 'unsupported', note: 'wakes kernel waiters only' },
  futex_requeue: { level: 'unsupported', note: 'would block inside the kernel' },
};
