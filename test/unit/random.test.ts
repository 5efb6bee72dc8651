import { describe, expect, test } from 'vitest';
import { philox4x32, RandomStreams } from '../../src/mediator/host/random.js';

describe('Philox4x32-10', () => {
  // Known answers from Random123's tests/kat_vectors: counter, key, result.
  const KNOWN_ANSWERS = [
    { counter: [0, 0, 0, 0], key: [0, 0], result: [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8] },
    { counter: [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], key: [0xffffffff, 0xffffffff], result: [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd] },
    { counter: [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], key: [0xa4093822, 0x299f31d0], result: [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1] },
  ];
  for (const { counter, key, result } of KNOWN_ANSWERS) {
    test(`gives Random123's known answer for key ${key.map((k) => k.toString(16)).join(' ')}`, () => {
      const out = new Uint32Array(4);
      philox4x32(counter[0]!, counter[1]!, counter[2]!, counter[3]!, key[0]!, key[1]!, out);
      expect([...out]).toEqual(result);
    });
  }
});

describe('random streams', () => {
  test('the same seed, host and pid give the same bytes however they are read', () => {
    const whole = new RandomStreams(7, ['a', 'b']).stream(1, 1000).take(100);
    const stream = new RandomStreams(7, ['a', 'b']).stream(1, 1000);
    const pieces = Buffer.concat([1, 15, 16, 3, 40, 25].map((length) => stream.take(length)));
    expect(pieces.equals(whole)).toBe(true);
  });

  test('another seed, host or pid gives other bytes', () => {
    const reference = new RandomStreams(7, ['a', 'b']).stream(1, 1000).take(32);
    expect(new RandomStreams(8, ['a', 'b']).stream(1, 1000).take(32).equals(reference)).toBe(false);
    expect(new RandomStreams(7, ['a', 'b']).stream(0, 1000).take(32).equals(reference)).toBe(false);
    expect(new RandomStreams(7, ['a', 'b']).stream(1, 1001).take(32).equals(reference)).toBe(false);
  });

  test("seeds above 2^32 use the key's high word", () => {
    const low = new RandomStreams(5, ['a']).stream(0, 1000).take(16);
    const high = new RandomStreams(5 + 2 ** 32, ['a']).stream(0, 1000).take(16);
    expect(high.equals(low)).toBe(false);
  });

  test('bytes look uniform: every byte value appears about as often', () => {
    const bytes = new RandomStreams(0, ['a']).stream(0, 1000).take(256 * 1000);
    const counts = new Array<number>(256).fill(0);
    for (const byte of bytes) counts[byte]!++;
    // Binomial(256000, 1/256): mean 1000, standard deviation ~31.6; 6 sigma either way.
    expect(Math.min(...counts)).toBeGreaterThan(810);
    expect(Math.max(...counts)).toBeLessThan(1190);
  });

  test('a negative or fractional seed is refused', () => {
    expect(() => new RandomStreams(-1, ['a'])).toThrow(/seed/);
    expect(() => new RandomStreams(1.5, ['a'])).toThrow(/seed/);
  });
});
