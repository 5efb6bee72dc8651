import { describe, expect, it } from 'vitest';
import { atLeast, requiredNode } from '../../src/commands/doctor-checks.js';

describe("doctor's version checks", () => {
  it("read package.json's engines as the lowest version that will do", () => {
    expect(requiredNode('>=20.17')).toEqual([20, 17, 0]);
    expect(requiredNode('>= 22')).toEqual([22, 0, 0]);
    expect(() => requiredNode('^20.17 || >=22')).toThrow(/engines/);
  });

  it('compare each part as a number, so 20.9 is older than 20.17 and 6.18 newer than 6.7', () => {
    expect(atLeast('20.9.0', [20, 17, 0])).toBe(false);
    expect(atLeast('20.17.0', [20, 17, 0])).toBe(true);
    expect(atLeast('22.1.0', [20, 17, 0])).toBe(true);
    expect(atLeast('6.18.44', [6, 7])).toBe(true);
    expect(atLeast('6.6', [6, 7])).toBe(false);
    expect(atLeast('5.6', [5, 6])).toBe(true);
  });
});
