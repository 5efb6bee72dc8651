import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/apps.js';

async function simterpose(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await runCli(args);
  return { code: status, stdout, stderr };
}

describe('simterpose platform', () => {
  it('prints hosts with speed, cores and properties, and links', async () => {
    const { code, stdout } = await simterpose('platform', 'platforms/two-hosts.xml');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^hosts \(2\):\n {2}alice +1 Gflop\/s +1 core +ip=10\.0\.0\.1\n {2}bob +1 Gflop\/s +1 core +ip=10\.0\.0\.2\n/);
    expect(stdout).toMatch(/\n {2}wire +125 MB\/s +50 us +SHARED\n/);
  });

  it('prints the route between two hosts on request', async () => {
    const { code, stdout } = await simterpose('platform', 'platforms/two-sites.xml', '--routes', 'paris-0', 'lyon-3');
    expect(code).toBe(0);
    expect(stdout).toContain('route paris-0 -> lyon-3: latency 20.02 ms, 3 link(s)\n  paris_link_0_UP\n  paris-lyon\n  lyon_link_3_DOWN\n');
  });

  it('lists every host of the example cluster in platform order', async () => {
    const { stdout } = await simterpose('platform', 'platforms/cluster16.xml');
    const hosts = [...stdout.matchAll(/^ {2}(node-\d+) /gm)].map((m) => m[1]);
    expect(hosts).toEqual(Array.from({ length: 16 }, (_, i) => `node-${i}`));
  });

  it('a malformed platform file gives one line with the file and line, and a non-zero exit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-platform-'));
    const file = join(dir, 'bad.xml');
    writeFileSync(
      file,
      `<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">\n<platform version="4.1">\n  <zone id="z" routing="Full">\n    <host id="a" speed="1Gf">\n  </zone>\n</platform>\n`,
    );
    const { code, stdout, stderr } = await simterpose('platform', file);
    expect(code).not.toBe(0);
    expect(stdout).toBe('');
    const [first] = stderr.split('\n');
    expect(first).toBe(`simterpose: ${file}:6: Unexpected end-tag \`</zone>': \`</host>' expected.`);
  });

  it('an unknown host in --routes is named with the valid ones', async () => {
    const { code, stderr } = await simterpose('platform', 'platforms/two-hosts.xml', '--routes', 'alice', 'carol');
    expect(code).toBe(2);
    expect(stderr).toBe("simterpose: unknown host 'carol'; the platform's hosts are: alice, bob\n");
  });

  it('a missing platform file is a clear error', async () => {
    const { code, stderr } = await simterpose('platform', 'platforms/nope.xml');
    expect(code).toBe(2);
    expect(stderr).toBe('simterpose: platform file not found: platforms/nope.xml\n');
  });
});
