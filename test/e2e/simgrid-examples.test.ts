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

/** Platforms that need a network model SimGrid was built without: refused by every command. */
const REFUSED: Record<string, string> = {
  'config.xml': `8: network/model "SMPI" ${MISSING_MODEL}`,
  'wifi_ns3.xml': `4: network/model "ns-3" ${MISSING_MODEL}`,
};

/** Platforms whose hosts turn off and on (state profiles): they run like the others. */
const WITH_FAILURES = ['faulty_host.xml', 'small_platform_failures.xml', 'two_hosts_platform_with_availability_included.xml', 'two_hosts_profiles.xml'];

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
    expect(platforms).toEqual(expect.arrayContaining([...Object.keys(REFUSED), ...WITH_FAILURES]));
  });

  describe.concurrent.each(platforms)('%s', (name) => {
    const file = join(folder, name);
    const refused = REFUSED[name];

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

    it('is listed by simterpose platform, and /bin/true runs on its first host', async () => {
      const listing = await simterpose('platform', file);
      expect(listing.stderr).toBe('');
      expect(listing.status).toBe(0);
      const host = firstHost(listing.stdout);
      const run = await simterpose('run', file, '--', '/bin/true');
      const row = new RegExp(`^${host.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +\\d+ +/bin/true +(0|SIGKILL) `, 'm').exec(run.stderr);
      expect(row?.[1], run.stderr).toBeDefined();
      // On a 10-flop/s host, /bin/true is still computing when its host crashes (a state profile): killed, as planned.
      if (row![1] === 'SIGKILL') {
        expect(WITH_FAILURES).toContain(name);
        expect(run.stderr).toContain(`host ${host} off: killed ${host} `);
      }
      expect(run.status).toBe(0);
    });
  });
});
