import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type RunResult } from '../helpers/apps.js';
import { simgridExamplePlatforms } from '../helpers/simgrid-examples.js';

/*
 * SimGrid's own example platforms (examples/platforms of SimGrid 3.32, the
 * version simterpose embeds), fetched from Debian's source package: each one
 * is listed by `simterpose platform`, and a program runs on its first host,
 * except where it needs what simterpose deliberately lacks, which one line says.
 * Fetching them is part of the test: no source, a failed test.
 */
const folder = await simgridExamplePlatforms();
const platforms = readdirSync(folder)
  .filter((name) => name.endsWith('.xml'))
  .sort();

const MISSING_MODEL = "is not available: simterpose's SimGrid is built without SMPI and ns-3 (the network models are LV08, CM02 and Constant)";
const STATE_PROFILES =
  'simterpose does not simulate hosts or links turning off (programs would run on as if nothing happened), so a run refuses state profiles';

/** Platforms that need a network model SimGrid was built without: refused by every command. */
const REFUSED: Record<string, string> = {
  'config.xml': `8: network/model "SMPI" ${MISSING_MODEL}`,
  'wifi_ns3.xml': `4: network/model "ns-3" ${MISSING_MODEL}`,
};

/** Platforms whose hosts turn off and on: listed, but no program runs on them. */
const NOT_RUN: Record<string, string> = {
  'faulty_host.xml': `5: host 'Faulty Host': state_file="profiles/faulty_host.profile": ${STATE_PROFILES}`,
  'small_platform_failures.xml': `6: host 'Jupiter': state_file="profiles/jupiter_state.profile": ${STATE_PROFILES}`,
  'two_hosts_platform_with_availability_included.xml': `29: trace_connect kind="HOST_AVAIL" on 'Cpu A': ${STATE_PROFILES}`,
  'two_hosts_profiles.xml': `5: host 'Cpu A': state_file="profiles/trace_A_failure.txt": ${STATE_PROFILES}`,
};

// config_tracing.xml has SimGrid write a trace into the current folder.
const cwd = mkdtempSync(join(tmpdir(), 'simterpose-simgrid-examples-'));

function simterpose(...args: string[]): Promise<RunResult> {
  return runCli(args, { cwd, timeoutMs: 120_000 });
}

/** The first host that `simterpose platform` lists. */
function firstHost(listing: string): string {
  const name = /^hosts \(\d+\):\n {2}(.+?) {2,}/.exec(listing)?.[1];
  if (name === undefined) throw new Error(`no host in:\n${listing}`);
  return name;
}

describe("SimGrid's example platforms", () => {
  it('are all there, the exceptions below included', () => {
    expect(platforms.length).toBeGreaterThanOrEqual(45);
    expect(platforms).toEqual(expect.arrayContaining([...Object.keys(REFUSED), ...Object.keys(NOT_RUN)]));
  });

  describe.concurrent.each(platforms)('%s', (name) => {
    const file = join(folder, name);
    const refused = REFUSED[name];
    const notRun = NOT_RUN[name];

    if (refused !== undefined) {
      it('is refused in one line by simterpose platform and simterpose run', async () => {
        for (const command of [
          ['platform', file],
          ['run', file, '--', '/bin/true'],
        ]) {
          const result = await simterpose(...command);
          expect(result.stderr).toBe(`simterpose: ${file}:${refused}\n`);
          expect(result.status).toBe(2);
          expect(result.stdout).toBe('');
        }
      });
      return;
    }

    it(
      notRun === undefined
        ? 'is listed by simterpose platform, and /bin/true runs on its first host'
        : 'is listed by simterpose platform, and a run is refused in one line',
      async () => {
        const listing = await simterpose('platform', file);
        expect(listing.stderr).toBe('');
        expect(listing.status).toBe(0);
        const host = firstHost(listing.stdout);
        const run = await simterpose('run', file, '--', '/bin/true');
        if (notRun !== undefined) {
          expect(run.stderr).toBe(`simterpose: ${file}:${notRun}\n`);
          expect(run.status).toBe(2);
          return;
        }
        expect(run.stderr).toMatch(new RegExp(`^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d+ +/bin/true +0 `, 'm'));
        expect(run.status).toBe(0);
      },
    );
  });
});
