export const FUTEX_WAIT = 0;
export const FUTEX_WAKE = 1;
export const FUTEX_REQUEUE = 3;
export const FUTEX_CMP_REQUEUE = 4;
export const FUTEX_WAKE_OP = 5;
export const FUTEX_WAIT_BITSET = 9;
export const FUTEX_WAKE_BITSET = 10;
export const FUTEX_PRIVATE_FLAG = 128;
export const FUTEX_CLOCK_REALTIME = 256;
export const FUTEX_CMD_MASK = 127;
export const FUTEX_BITSET_MATCH_ANY = 0xffffffff;

/** The priority-inheritance operations. */
export const FUTEX_LOCK_PI = 6;
export const FUTEX_UNLOCK_PI = 7;
export const FUTEX_TRYLOCK_PI = 8;
export const FUTEX_WAIT_REQUEUE_PI = 11;
export const FUTEX_CMP_REQUEUE_PI = 12;
export const FUTEX_LOCK_PI2 = 13;
/** A PI futex word: its owner's tid, and two flags: others wait for it, its owner died (robust futexes). */
export const FUTEX_TID_MASK = 0x3fffffff;
export const FUTEX_WAITERS = 0x80000000;
export const FUTEX_OWNER_DIED = 0x40000000;

/** FUTEX_WAKE_OP's fourth argument: an operation on the second word and a comparison of its old value. */
export interface WakeOp {
  /** FUTEX_OP_SET, ADD, OR, ANDN, XOR (0-4). */
  operation: number;
  operand: number;
  /** FUTEX_OP_CMP_EQ, NE, LT, LE, GT, GE (0-5). */
  comparison: number;
  comparand: number;
}

/** Decodes FUTEX_OP(op, oparg, cmp, cmparg): op in bits 28-31 (bit 31: oparg is a shift), cmp in 24-27, oparg and cmparg 12-bit signed. */
export function decodeWakeOp(encoded: number): WakeOp {
  const shift = ((encoded >>> 28) & 8) !== 0;
  const operand = (encoded << 8) >> 20;
  return {
    operation: (encoded >>> 28) & 7,
    operand: shift ? 1 << (operand & 31) : operand,
    comparison: (encoded >>> 24) & 15,
    comparand: (encoded << 20) >> 20,
  };
}
