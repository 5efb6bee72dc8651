import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNative, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// The package as a user gets it: scripts/pack-check.sh packs simterpose and
// its prebuilt addon package, installs both into an empty project on a PATH
// without cargo or rustc, and runs `npx simterpose run` and a vitest test
// importing runExperiment there. Each step fails the script with its reason.

const { version } = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
const tarballs = mkdtempSync(join(tmpdir(), 'simterpose-tarballs-'));
afterAll(() => rmSync(tarballs, { recursive: true, force: true }));

describe('the npm package', () => {
  it('installs from its tarballs without Rust, and runs a program from npx and from runExperiment', { timeout: 240_000 }, async () => {
    const result = await runNative(['bash', join(REPO_ROOT, 'scripts', 'pack-check.sh'), tarballs], { timeoutMs: 200_000 });
    expect(shellStatus(result), `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('npx simterpose run node_modules/simterpose/platforms/two-hosts.xml -- /bin/echo hi');
    expect(result.stdout).toContain('✓ experiment.test.js > runExperiment sleeps an hour of virtual time on a host of the installed package');
    expect(result.stdout).toMatch(/Tests +1 passed/);
    expect(result.stdout).toContain('pack-check: ok');
    expect(readdirSync(tarballs).sort()).toEqual([`simterpose-${version}.tgz`, `simterpose-linux-x64-gnu-${version}.tgz`]);
  });
});
