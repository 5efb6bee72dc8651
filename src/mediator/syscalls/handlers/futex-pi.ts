import { Errno } from '../../abi/errno.js';
import { FUTEX_BITSET_MATCH_ANY, FUTEX_CLOCK_REALTIME, FUTEX_OWNER_DIED, FUTEX_TID_MASK, FUTEX_WAITERS } from '../../abi/futex.js';
import { CLOCK_MONOTONIC, CLOCK_REALTIME, readTimespec, validTimespec } from '../../abi/time.js';
import { asInt, asUint, readU32, writeU32 } from '../../abi/tracee-memory.js';
import type { Thread } from '../../tracees/tracees.js';
import type { SyscallContext } from '../context.js';
import { type Outcome, blocked, done, fail } from '../outcome.js';

/**
 * Priority-inheritance futexes (pthread mutexes with PTHREAD_PRIO_INHERIT),
 * emulated: their word holds the owner's tid as the program knows it, a
 * virtual one, which the kernel would look up among real tids. Priorities
 * mean nothing where one thread runs at a time in the scheduler's order:
 * an unlocked word goes to its waiters first come, first served, handed
 * over by the unlocker as the kernel does (the word then names the new
 * owner, with FUTEX_WAITERS while others still wait).
 */

/** A futex word: its address, and its key (private or shared), checked already by the futex handler. */
export interface PiWord {
  address: number;
  key: string;
}

/** The PI waiters of a word are queued apart from its plain waiters. */
const piKey = (key: string): string => `pi:${key}`;

/** The live thread of the caller's host whose virtual tid is `vtid`, if any. */
function threadOf(ctx: SyscallContext, vtid: number): Thread | undefined {
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, vtid);
  return real === undefined ? undefined : ctx.services.tracees.threads.get(real);
}

/** Takes an unowned word for `thread` (keeping FUTEX_OWNER_DIED for the program to see), with FUTEX_WAITERS if others still wait. */
function takeFor(ctx: SyscallContext, word: PiWord, thread: Thread, othersWait: boolean): void {
  const value = readU32(ctx.memory, word.address);
  writeU32(ctx.memory, word.address, (thread.vtid | (value & FUTEX_OWNER_DIED) | (othersWait ? FUTEX_WAITERS : 0)) >>> 0);
}

/**
 * The absolute deadline of FUTEX_LOCK_PI (CLOCK_REALTIME) or FUTEX_LOCK_PI2
 * and FUTEX_WAIT_REQUEUE_PI (CLOCK_MONOTONIC unless FUTEX_CLOCK_REALTIME);
 * null for an invalid timespec (EINVAL), undefined for none.
 */
export function piDeadline(ctx: SyscallContext, timeoutAddress: number, realtime: boolean): number | null | undefined {
  if (timeoutAddress === 0) return undefined;
  const time = readTimespec(ctx.memory, timeoutAddress);
  if (!validTimespec(time)) return null;
  const clock = realtime || (asInt(ctx.args[1]!) & FUTEX_CLOCK_REALTIME) !== 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC;
  return ctx.services.time.at(clock, time, ctx.process.host);
}

/**
 * FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_TRYLOCK_PI. An unowned word is
 * taken at once. Otherwise FUTEX_WAITERS is set (even when the call then
 * fails, as Linux does) and: the caller owning it is EDEADLK, an owner
 * that does not exist ESRCH, a trylock EAGAIN; a lock waits for the
 * unlocker's hand-over, or its deadline (ETIMEDOUT).
 */
export function lockPi(ctx: SyscallContext, word: PiWord, trylock: boolean, deadline: number | undefined): Outcome {
  const { thread, memory, services } = ctx;
  const value = readU32(memory, word.address);
  const owner = value & FUTEX_TID_MASK;
  const waiters = services.scheduler.futexWaitersOf(piKey(word.key));
  if (owner === 0) {
    takeFor(ctx, word, thread, waiters.length > 0);
    return done(0);
  }
  if (owner === thread.vtid) return fail(Errno.EDEADLK);
  writeU32(memory, word.address, (value | FUTEX_WAITERS) >>> 0);
  if (threadOf(ctx, owner) === undefined) return fail(Errno.ESRCH);
  if (trylock) return fail(Errno.EAGAIN);
  return blocked({
    kind: 'futex',
    key: piKey(word.key),
    bitset: FUTEX_BITSET_MATCH_ANY,
    deadline,
    onTimeout: () => fail(Errno.ETIMEDOUT),
    onSignal: 'restartable',
    reason: `the PI futex 0x${word.address.toString(16)} held by thread ${owner}, in ${thread.label}`,
  });
}

/**
 * Whether the first `count` waiters of `key` whose bitset matches are all
 * plain waiters: a FUTEX_WAKE or FUTEX_REQUEUE that would reach a
 * FUTEX_WAIT_REQUEUE_PI waiter fails with EINVAL (after waking those
 * before it, for a wake: their number is returned otherwise).
 */
export function plainWaitersFirst(ctx: SyscallContext, key: string, count: number, bitset = FUTEX_BITSET_MATCH_ANY): { plain: number; all: boolean } {
  const reached = ctx.services.scheduler
    .futexWaitersOf(key)
    .filter((waiter) => waiter.wait?.kind === 'futex' && (waiter.wait.bitset & bitset) !== 0)
    .slice(0, Math.max(0, count));
  const first = reached.findIndex((waiter) => waiter.wait?.kind === 'futex' && waiter.wait.requeuePi !== undefined);
  return first < 0 ? { plain: reached.length, all: true } : { plain: first, all: false };
}

/** FUTEX_UNLOCK_PI: only the owner may; the word goes to the first waiter, or back to 0. */
export function unlockPi(ctx: SyscallContext, word: PiWord): Outcome {
  const { thread, memory, services } = ctx;
  if ((readU32(memory, word.address) & FUTEX_TID_MASK) !== thread.vtid) return fail(Errno.EPERM);
  const [next, ...others] = services.scheduler.futexWaitersOf(piKey(word.key));
  writeU32(memory, word.address, next === undefined ? 0 : (next.vtid | (others.length > 0 ? FUTEX_WAITERS : 0)) >>> 0);
  if (next !== undefined) services.scheduler.handOverFutex(next);
  return done(0);
}

/**
 * FUTEX_WAIT_REQUEUE_PI(word, expected, deadline, target): waits on `word`
 * like FUTEX_WAIT, to be moved to the PI futex `target` by
 * FUTEX_CMP_REQUEUE_PI and return owning it. Plain wakes and requeues
 * that reach it fail with EINVAL instead (see plainWaitersFirst).
 */
export function waitRequeuePi(ctx: SyscallContext, word: PiWord, target: PiWord, deadline: number | undefined): Outcome {
  if (word.address === target.address) return fail(Errno.EINVAL);
  if (readU32(ctx.memory, word.address) !== asUint(ctx.args[2]!)) return fail(Errno.EAGAIN);
  return blocked({
    kind: 'futex',
    key: word.key,
    bitset: FUTEX_BITSET_MATCH_ANY,
    requeuePi: piKey(target.key),
    deadline,
    onTimeout: () => fail(Errno.ETIMEDOUT),
    onSignal: 'restartable',
    reason: `futex 0x${word.address.toString(16)} (to be requeued to a PI futex) in ${ctx.thread.label}`,
  });
}

/**
 * FUTEX_CMP_REQUEUE_PI(word, 1, count, target, expected): the first waiter
 * of `word` takes `target` if it is unowned and wakes; up to `count` others
 * become waiters of `target`. Returns how many were woken or moved. Every
 * waiter must wait for this target (FUTEX_WAIT_REQUEUE_PI), else EINVAL.
 */
export function cmpRequeuePi(ctx: SyscallContext, word: PiWord, target: PiWord): Outcome {
  const { args, memory, services } = ctx;
  const { scheduler } = services;
  if (asInt(args[2]!) !== 1 || word.address === target.address) return fail(Errno.EINVAL);
  if (readU32(memory, word.address) !== asUint(args[5]!)) return fail(Errno.EAGAIN);
  const waiters = scheduler.futexWaitersOf(word.key);
  if (waiters.some((waiter) => waiter.wait?.kind !== 'futex' || waiter.wait.requeuePi !== piKey(target.key))) return fail(Errno.EINVAL);
  const [first, ...rest] = waiters;
  if (first === undefined) return done(0);
  let count = 0;
  const targetFree = (readU32(memory, target.address) & FUTEX_TID_MASK) === 0;
  const moving = Math.max(0, asInt(args[3]!));
  if (targetFree) {
    takeFor(ctx, target, first, rest.length > 0 && moving > 0);
    scheduler.handOverFutex(first);
    count++;
  } else {
    rest.unshift(first);
  }
  const moved = scheduler.requeueFutex(word.key, piKey(target.key), Math.min(moving, rest.length));
  if (moved > 0) writeU32(memory, target.address, (readU32(memory, target.address) | FUTEX_WAITERS) >>> 0);
  return done(count + moved);
}
