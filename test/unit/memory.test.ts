import { describe, expect, it } from 'vitest';
import { readInt64LE, writeInt64LE } from '../../src/mediator/abi/tracee-memory.js';

const SAFE_INT64S = [
  0,
  1,
  -1,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 32 - 1,
  2 ** 32,
  -(2 ** 32),
  946_684_800,
  999_999_999,
  -1_234_567_890_123,
  2 ** 53 - 1,
  -(2 ** 53 - 1),
];

describe('writeInt64LE', () => {
  it('writes what writeBigInt64LE writes, for every safe integer size and sign', () => {
    for (const value of SAFE_INT64S) {
      const ours = Buffer.alloc(12, 0xaa);
      const reference = Buffer.alloc(12, 0xaa);
      writeInt64LE(ours, value, 2);
      reference.writeBigInt64LE(BigInt(value), 2);
      expect(ours.toString('hex'), String(value)).toBe(reference.toString('hex'));
    }
  });
});

describe('readInt64LE', () => {
  it('reads what readBigInt64LE reads, for every safe integer size and sign', () => {
    for (const value of SAFE_INT64S) {
      const data = Buffer.alloc(12, 0xaa);
      data.writeBigInt64LE(BigInt(value), 3);
      expect(readInt64LE(data, 3), String(value)).toBe(Number(data.readBigInt64LE(3)));
    }
  });
});
