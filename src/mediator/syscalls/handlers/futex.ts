import { Errno } from '../../abi/errno.js';
import {
  FUTEX_BITSET_MATCH_ANY,
  FUTEX_CLOCK_REALTIME,
  FUTEX_CMD_MASK,
  FUTEX_CMP_REQUEUE,
  FUTEX_CMP_REQUEUE_PI,
  FUTEX_LOCK_PI,
  FUTEX_LOCK_PI2,
  FUTEX_PRIVATE_FLAG,
  FUTEX_REQUEUE,
  FUTEX_TRYLOCK_PI,
  FUTEX_UNLOCK_PI,
  FUTEX_WAIT,
  FUTEX_WAIT_BITSET,
  FUTEX_WAIT_REQUEUE_PI,
  FUTEX_WAKE,
  FUTEX_WAKE_BITSET,
  FUTEX_WAKE_OP,
  decodeWakeOp,
} from '../../abi/futex.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, readTimespec, timespecSeconds, validTimespec } from '../../abi/time.js';
import { asInt, asUint, readI32, readU32, writeI32, writeU32 } from '../../abi/tracee-memory.js';
import { futexKey, sharedFutexKey } from '../../tracees/futex-key.js';
import { inUserSpace } from '../../abi/iovec.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { blocked, done, fail, type Outcome } from '../outcome.js';
import { cmpRequeuePi, lockPi, piDeadline, plainWaitersFirst, unlockPi, waitRequeuePi, type PiWord } from './futex-pi.js';

/**
 * Futexes are emulated entirely: a waiter never sleeps in the kernel (one
 * thread runs at a time, so a kernel wait could never be woken), and wakes
 * are counted against the emulated waiters. Reading and updating the futex
 * word is atomic because every other tracee is stopped meanwhile. A word
 * of shared memory is one futex for every process mapping it (see
 * sharedFutexKey) unless the call says FUTEX_PRIVATE_FLAG.
 */

/** The futex of the word at `address`, as the call's FUTEX_PRIVATE_FLAG says to identify it. */
function keyOf(ctx: SyscallContext, address: number): string {
  const { process } = ctx;
  return (asInt(ctx.args[1]!) & FUTEX_PRIVATE_FLAG) !== 0 ? futexKey(process.addressSpace, address) : sharedFutexKey(process, address);
}

/** A futex word is a 32-bit integer: Linux refuses one at an address that is not a multiple of 4. */
const FUTEX_ALIGNMENT = 4;

/**
 * Why the word has no futex key (get_futex_key), if it has none: an
 * address not a multiple of 4 is EINVAL, one outside user space EFAULT; a
 * shared futex (no FUTEX_PRIVATE_FLAG) in private memory needs its page
 * writable, which the word written back as it is tells (no other thread
 * runs meanwhile).
 */
function keyRefusal(ctx: SyscallContext, address = ctx.args[0]!): number | undefined {
  const op = ctx.args[1]!;
  if (address % FUTEX_ALIGNMENT !== 0) return Errno.EINVAL;
  if (!inUserSpace(address, 4)) return Errno.EFAULT;
  if ((asInt(op) & FUTEX_PRIVATE_FLAG) === 0) writeU32(ctx.memory, address, readU32(ctx.memory, address));
  return undefined;
}

function wait(ctx: SyscallContext, bitset: number, absolute: boolean): Outcome {
  const { thread, args, services } = ctx;
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
    key: keyOf(ctx, address),
    bitset,
    deadline,
    onTimeout: () => fail(Errno.ETIMEDOUT),
    onSignal: 'restartable',
    reason: `futex 0x${address.toString(16)} in ${thread.label}`,
  });
}

/** FUTEX_WAKE, FUTEX_WAKE_BITSET: up to `count` waiters whose bitset matches; EINVAL at a FUTEX_WAIT_REQUEUE_PI waiter. */
function wake(ctx: SyscallContext, bitset: number): Outcome {
  const key = keyOf(ctx, ctx.args[0]!);
  const count = asInt(ctx.args[2]!);
  const { plain, all } = plainWaitersFirst(ctx, key, count, bitset);
  const woken = ctx.services.scheduler.wakeFutex(key, all ? count : plain, bitset);
  return all ? done(woken) : fail(Errno.EINVAL);
}

/** FUTEX_WAKE_OP: operates on the second word, wakes waiters of the first, and of the second if the comparison holds. */
function wakeOp(ctx: SyscallContext): Outcome {
  const { args, services } = ctx;
  const [address, , wakeCount, wakeCount2, address2, encoded] = args as [number, number, number, number, number, number];
  const { operation, operand, comparison, comparand } = decodeWakeOp(encoded);
  const old = readI32(ctx.memory, address2);
  const updated = [operand, old + operand, old | operand, old & ~operand, old ^ operand][operation];
  if (updated === undefined) return fail(Errno.ENOSYS);
  const holds = [old === comparand, old !== comparand, old < comparand, old <= comparand, old > comparand, old >= comparand][comparison];
  if (holds === undefined) return fail(Errno.ENOSYS);
  writeI32(ctx.memory, address2, updated);
  const first = keyOf(ctx, address);
  const second = keyOf(ctx, address2);
  if (!plainWaitersFirst(ctx, first, asInt(wakeCount)).all || (holds && !plainWaitersFirst(ctx, second, asInt(wakeCount2)).all)) return fail(Errno.EINVAL);
  let woken = services.scheduler.wakeFutex(first, asInt(wakeCount));
  if (holds) woken += services.scheduler.wakeFutex(second, asInt(wakeCount2));
  return done(woken);
}

function requeue(ctx: SyscallContext, compare: boolean): Outcome {
  const { args, services } = ctx;
  const [address, , wakeCount, moveCount, address2, expected] = args as [number, number, number, number, number, number];
  if (compare && readU32(ctx.memory, address) !== asUint(expected)) return fail(Errno.EAGAIN);
  const from = keyOf(ctx, address);
  if (!plainWaitersFirst(ctx, from, asInt(wakeCount) + asInt(moveCount)).all) return fail(Errno.EINVAL);
  const woken = services.scheduler.wakeFutex(from, asInt(wakeCount));
  const moved = services.scheduler.requeueFutex(from, keyOf(ctx, address2), asInt(moveCount));
  // Both return the waiters woken and moved (futex(2) says only the woken for FUTEX_REQUEUE; the kernel counts both).
  return done(woken + moved);
}

/** Linux's order: the timeout (waits), the operation (ENOSYS), its own checks (a zero bitset), then the word's key. */
function futex(ctx: SyscallContext): Outcome {
  const { args } = ctx;
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
      return wake(ctx, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
      return wake(ctx, asUint(args[5]!));
    case FUTEX_REQUEUE:
      return requeue(ctx, false);
    case FUTEX_CMP_REQUEUE:
      return requeue(ctx, true);
    case FUTEX_WAKE_OP:
      return wakeOp(ctx);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
    case FUTEX_TRYLOCK_PI:
    case FUTEX_UNLOCK_PI:
    case FUTEX_WAIT_REQUEUE_PI:
    case FUTEX_CMP_REQUEUE_PI:
      return priorityInheritance(ctx, command);
    default:
      return fail(Errno.ENOSYS);
  }
}

/** The PI operations (futex-pi.ts), after the checks of the words they name and of their timeout. */
function priorityInheritance(ctx: SyscallContext, command: number): Outcome {
  const { args } = ctx;
  const waits = command === FUTEX_LOCK_PI || command === FUTEX_LOCK_PI2 || command === FUTEX_WAIT_REQUEUE_PI;
  const deadline = waits ? piDeadline(ctx, args[3]!, command === FUTEX_LOCK_PI) : undefined;
  if (deadline === null) return fail(Errno.EINVAL);
  const word = checkedWord(ctx, args[0]!);
  if (typeof word === 'number') return fail(word);
  if (command === FUTEX_WAIT_REQUEUE_PI || command === FUTEX_CMP_REQUEUE_PI) {
    const target = checkedWord(ctx, args[4]!);
    if (typeof target === 'number') return fail(target);
    return command === FUTEX_WAIT_REQUEUE_PI ? waitRequeuePi(ctx, word, target, deadline) : cmpRequeuePi(ctx, word, target);
  }
  if (command === FUTEX_UNLOCK_PI) return unlockPi(ctx, word);
  return lockPi(ctx, word, command === FUTEX_TRYLOCK_PI, deadline);
}

/** A word with its key, or the errno that refuses it. */
function checkedWord(ctx: SyscallContext, address: number): PiWord | number {
  const refusal = keyRefusal(ctx, address);
  return refusal ?? { address, key: keyOf(ctx, address) };
}

export const futexSyscalls: FamilyTable = {
  futex: {
    blocks: true,
    level: 'emulated',
    handler: futex,
    note: 'waits, wakes and priority-inheritance locks are emulated; words in shared memory are shared between processes',
  },
  futex_waitv: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wait: { level: 'unsupported', note: 'would block inside the kernel' },
  futex_wake: { level: 'unsupported', note: 'wakes kernel waiters only' },
  futex_requeue: { level: 'unsupported', note: 'would block inside the kernel' },
};
