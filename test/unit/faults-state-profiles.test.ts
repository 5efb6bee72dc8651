import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseStateProfile, readStateProfiles, stateChanges } from '../../src/faults/state-profiles.js';

const first = (count: number, changes: Generator<{ date: number; on: boolean }>) => Array.from({ length: count }, () => changes.next().value);

describe('a state profile', () => {
  it('turns its resource off at a zero value and on at any other, at the dates written', () => {
    const profile = parseStateProfile('host', 'bob', '# comment\n0 1\n3.2 0\n\n6.5 0.5\n', 0, 'test');
    expect(profile).toEqual({
      kind: 'host',
      name: 'bob',
      events: [
        { date: 0, on: true },
        { date: 3.2, on: false },
        { date: 6.5, on: true },
      ],
      period: undefined,
    });
    expect([...stateChanges(profile)]).toEqual(profile.events);
  });

  it('starts over LOOPAFTER seconds after its last date, or every PERIODICITY seconds, as SimGrid does', () => {
    expect(first(4, stateChanges(parseStateProfile('host', 'a', '1 0\n2 1\nLOOPAFTER 8\n', 0, 'test')))).toEqual([
      { date: 1, on: false },
      { date: 2, on: true },
      { date: 11, on: false },
      { date: 12, on: true },
    ]);
    expect(first(4, stateChanges(parseStateProfile('link', 'l', '9.2 0\n10 1\nPERIODICITY 20\n', 0, 'test')))).toEqual([
      { date: 9.2, on: false },
      { date: 10, on: true },
      { date: 29.2, on: false },
      { date: 30, on: true },
    ]);
    // A <trace>'s periodicity attribute.
    expect(first(3, stateChanges(parseStateProfile('host', 'a', '1 0\n2 1\n', 12, 'test')))[2]).toEqual({ date: 13, on: false });
  });

  it('that draws its dates at random is refused in one line', () => {
    expect(() => parseStateProfile('host', 'a', 'STOCHASTIC\nEXP 1 0\n', 0, "host 'a'")).toThrow(UserError);
    expect(() => parseStateProfile('host', 'a', 'STOCHASTIC LOOP\nEXP 1 0\n', 0, "host 'a'")).toThrow("host 'a': a stochastic state profile");
  });

  it("is read from a platform's host and link state_file, relative to the platform's folder", () => {
    expect(readStateProfiles('test/fixtures/platforms/net-two-hosts-bob-reboots.xml').map(({ kind, name, period }) => ({ kind, name, period }))).toEqual([
      { kind: 'host', name: 'bob', period: undefined },
      { kind: 'link', name: 'wire', period: 20 },
    ]);
  });
});
