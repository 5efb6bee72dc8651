import { describe, expect, it } from 'vitest';
import { writeInt64LE } from '../../src/mediator/abi/tracee-memory.js';

describe('writeInt64LE', () => {
  it('writes what writeBigInt64LE writes, for every safe integer size and sign', () => {
    const values = [
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
    for (const value of values) {
      const ours = Buffer.alloc(12, 0xaa);
      const reference = Buffer.alloc(12, 0xaa);
      writeInt64LE(ours, value, 2);
      reference.writeBigInt64LE(BigInt(value), 2);
      expect(ours.toString('hex'), String(value)).toBe(reference.toString('hex'));
    }
  });
});
