// `npm run fidelity [-- options]`: the whole suite, as a table. Exits 1 when
// a checked row, or the relay itself, is out of its bound; 2 on a usage
// mistake or without root.
import { parseArgs } from 'node:util';
import { type Profile, PROFILES, type RowName, ROWS } from './config.js';
import { Link } from './link.js';
import { missingPrivilege, type ProfileResult, runProfile } from './suite.js';
import { failures, formatCsv, formatJson, formatText } from './table.js';

const USAGE = `usage: npm run fidelity -- [--profile NAME[,NAME]] [--rows ROW[,ROW]] [--runs N] [--json | --csv]
  profiles: ${PROFILES.map((profile) => profile.name).join(', ')} (default: all)
  rows: ${ROWS.map((row) => row.name).join(', ')} (default: all)
  --runs N: real-kernel runs per row (default 5); simterpose runs once (it is reproducible)`;

function list(value: string | undefined, known: readonly string[], what: string): string[] {
  if (value === undefined) return [...known];
  const chosen = value.split(',').filter((name) => name !== '');
  const unknown = chosen.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`unknown ${what} ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return chosen;
}

interface Options {
  profiles: Profile[];
  rows: RowName[];
  runs: number;
  format: 'text' | 'json' | 'csv';
}

/** The options, or null after printing the usage (--help); throws on a mistake. */
function parseOptions(): Options | null {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string' },
      rows: { type: 'string' },
      runs: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return null;
  }
  const profileNames = list(
    values.profile,
    PROFILES.map((profile) => profile.name),
    'profile',
  );
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs takes a whole number of runs, at least 1 (got ${values.runs})`);
  if (values.json && values.csv) throw new Error('--json and --csv: choose one');
  return {
    profiles: PROFILES.filter((profile) => profileNames.includes(profile.name)),
    rows: list(
      values.rows,
      ROWS.map((row) => row.name),
      'row',
    ) as RowName[],
    runs,
    format: values.json ? 'json' : values.csv ? 'csv' : 'text',
  };
}

const FORMATS = { text: formatText, json: formatJson, csv: formatCsv };

async function main(): Promise<number> {
  let options: Options | null;
  try {
    options = parseOptions();
  } catch (error) {
    console.error(`fidelity: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options === null) return 0;
  const privilege = missingPrivilege();
  if (privilege !== null) {
    console.error(privilege);
    return 2;
  }
  const results: ProfileResult[] = [];
  for (const profile of options.profiles) {
    const result = await runProfile(profile, options.rows, options.runs, (line) => console.error(line));
    results.push(result);
  }
  const allRows = results.flatMap((result) => result.rows);
  const relays = results.map((result) => result.relay);
  process.stdout.write(FORMATS[options.format](allRows, relays));
  const failed = failures(allRows, relays);
  if (failed.length > 0) {
    console.error(`fidelity: out of bounds: ${failed.join('; ')}`);
    return 1;
  }
  return 0;
}

// An interrupted run leaves no namespace, relay or server behind.
for (const [signal, status] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.on(signal, () => {
    void Link.closeAll().finally(() => process.exit(status));
  });
}

process.exitCode = await main();
