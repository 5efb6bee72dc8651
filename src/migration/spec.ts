import { UserError } from '../errors.js';

/**
 * A scripted migration, as `--migrate PID@HOST:T:B` and runExperiment's
 * `migrations` give it: the process PID of HOST (the pid it sees, in its
 * host's namespace) moves to host B at virtual date T (seconds from the
 * start of the run); with `:live` after B, by pre-copy (see migrator.ts).
 */
export interface Migration {
  pid: number;
  host: string;
  at: number;
  to: string;
  live: boolean;
}

const EXAMPLE = 'e.g. 1000@alice:2.5:bob (process 1000 of alice moves to bob at 2.5 s), 1000@alice:2.5:bob:live (by pre-copy)';

/** Reads one migration; a mistake is a UserError quoting it. */
export function parseMigration(text: string): Migration {
  const bad = (why: string): UserError => new UserError(`--migrate '${text}': ${why}`, EXAMPLE);
  const match = /^(\d+)@([^:]+):([^:]+):([^:]+)(:live)?$/.exec(text);
  if (match === null) throw bad('expected PID@HOST:T:DESTINATION, or PID@HOST:T:DESTINATION:live');
  const at = Number(match[3]);
  if (match[3]!.trim() === '' || !Number.isFinite(at) || at < 0) throw bad(`the date is a non-negative number of virtual seconds, not '${match[3]}'`);
  const migration = { pid: Number(match[1]), host: match[2]!, at, to: match[4]!, live: match[5] !== undefined };
  if (migration.host === migration.to) throw bad(`the process is on ${migration.to} already`);
  return migration;
}

/** Checks that the migrations name hosts of the platform; a mistake is a UserError naming the migration and the hosts. */
export function checkMigrationHosts(migrations: readonly Migration[], hosts: readonly string[]): void {
  for (const migration of migrations) {
    for (const host of [migration.host, migration.to]) {
      if (!hosts.includes(host)) {
        const listed = hosts.length <= 20 ? hosts.join(', ') : `${hosts.slice(0, 20).join(', ')}, ...`;
        throw new UserError(`--migrate ${describeMigration(migration)}: the platform has no host '${host}'`, `its hosts: ${listed}`);
      }
    }
  }
}

/** A migration as errors name it. */
export function describeMigration(migration: Migration): string {
  return `${migration.pid}@${migration.host}:${migration.at}:${migration.to}${migration.live ? ':live' : ''}`;
}
