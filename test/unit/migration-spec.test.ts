import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkMigrationHosts, parseMigration } from '../../src/migration/spec.js';
import { resolveRunOptions } from '../../src/resolve-run-options.js';

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected a UserError');
}

describe('a --migrate', () => {
  it('reads the process (its pid on its host), the date and the destination', () => {
    expect(parseMigration('1000@alice:2.5:bob')).toEqual({ pid: 1000, host: 'alice', at: 2.5, to: 'bob', live: false });
    expect(parseMigration('7@node-1:0:node-2:live')).toEqual({ pid: 7, host: 'node-1', at: 0, to: 'node-2', live: true });
  });

  it('that is wrong is one UserError quoting it and saying what is wrong', () => {
    expect(messageOf(() => parseMigration('alice:1:bob'))).toBe("--migrate 'alice:1:bob': expected PID@HOST:T:DESTINATION, or PID@HOST:T:DESTINATION:live");
    expect(messageOf(() => parseMigration('1@alice:1:bob:fast'))).toBe(
      "--migrate '1@alice:1:bob:fast': expected PID@HOST:T:DESTINATION, or PID@HOST:T:DESTINATION:live",
    );
    expect(messageOf(() => parseMigration('1000@alice:-1:bob'))).toBe(
      "--migrate '1000@alice:-1:bob': the date is a non-negative number of virtual seconds, not '-1'",
    );
    expect(messageOf(() => parseMigration('1000@alice:1:alice'))).toBe("--migrate '1000@alice:1:alice': the process is on alice already");
  });

  it('list given to runExperiment must hold strings', () => {
    expect(messageOf(() => resolveRunOptions({ migrations: [{ pid: 1 }] as unknown as string[] }))).toMatch(/^migrations must be a list of strings/);
  });

  it("must name the platform's hosts", () => {
    expect(messageOf(() => checkMigrationHosts([parseMigration('1@alice:1:carol')], ['alice', 'bob']))).toBe(
      "--migrate 1@alice:1:carol: the platform has no host 'carol'",
    );
  });
});
