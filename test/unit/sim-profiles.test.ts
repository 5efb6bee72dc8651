import { describe, expect, it } from 'vitest';
import { profileFault } from '../../src/sim/profiles.js';

describe('the values of a SimGrid profile', () => {
  it('finds the first written value that is negative, not a number or infinite, with its line', () => {
    expect(profileFault('0 1.0\n11 0.5\n20 -0.9\n')).toEqual({ line: 3, value: '-0.9', why: 'negative' });
    expect(profileFault('\n# comment\n0 NaN\n')).toEqual({ line: 3, value: 'NaN', why: 'not a number' });
    expect(profileFault('0 1\r\n1 inf\r\n')).toEqual({ line: 2, value: 'inf', why: 'infinite' });
  });

  it('accepts zero and positive values, comments, blank lines, PERIODICITY and LOOPAFTER', () => {
    expect(profileFault('% a comment\n# another\n\n  0 1.0  \n1 0\nPERIODICITY 12\nLOOPAFTER 8\n2 1e9\n')).toBeUndefined();
  });

  it('reads a value after a date drawn from a law, and a DET value; drawn values cannot be known', () => {
    expect(profileFault('STOCHASTIC\nNORM 10 1 DET -3\n')).toEqual({ line: 2, value: '-3', why: 'negative' });
    expect(profileFault('STOCHASTIC LOOP\nEXP 5 -2\n')).toEqual({ line: 2, value: '-2', why: 'negative' });
    expect(profileFault('STOCHASTIC\nDET 1 UNIF -1 1\nUNIF 1 2 NORM 0 5\n')).toBeUndefined();
  });

  it('leaves values strtod cannot read to SimGrid', () => {
    expect(profileFault('0 fast\n')).toBeUndefined();
    expect(profileFault('0\n')).toBeUndefined();
  });
});
