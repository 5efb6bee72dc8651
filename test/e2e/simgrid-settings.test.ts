import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { runExperiment } from '../../src/index.js';
import { runCli } from '../helpers/apps.js';

/*
 * SimGrid's settings as a run gets them: simterpose's defaults, then the
 * platform's <config>, then --cfg (runExperiment's `cfg`). The link of
 * net-two-hosts.xml has a latency L of 10 ms and a bandwidth B of 10 MB/s.
 * Under the default network model a message of S bytes takes L + S/B; under
 * LV08 (SimGrid's own default) 13.01 L + S / (0.97 B), simterpose's other
 * defaults (no cross-traffic, no TCP window bound) still holding.
 *
 * The timed echo client connects (SYN, SYN-ACK: two segments of H = 90
 * bytes on the wire, headers and framing, 2 (L + H/B)), sends 1000 bytes
 * (one segment, S + H on the wire, beside the handshake's last ACK on the
 * shared link), and the server sends them back once they are all in (beside
 * its ACK of them): its last byte is back 2 (L + (S + 2H)/B) after connect
 * returned.
 */
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
const ECHO = 'test/fixtures/deployments/tcp-echo-timed.xml';
const L = 0.01;
const B = 10e6;
const S = 1000;
const H = 90;

async function simterpose(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await runCli(args);
  return { code: status, stdout, stderr };
}

/** What the timed client printed: how long connect took, and when the last echoed byte came back. */
function echoTimes(stdout: string): { connect: number; echo: number } {
  const connect = Number(/connect took ([\d.]+) s/.exec(stdout)?.[1]);
  const echo = Number(/last echoed byte after ([\d.]+) s/.exec(stdout)?.[1]);
  return { connect, echo };
}

/** net-two-hosts.xml with a <config> choosing LV08. */
function lv08Platform(): string {
  const dir = mkdtempSync(join(tmpdir(), 'simterpose-settings-'));
  const file = join(dir, 'lv08.xml');
  writeFileSync(
    file,
    `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <config>
    <prop id="network/model" value="LV08"/>
  </config>
  <zone id="world" routing="Full">
    <host id="alice" speed="1Gf"/>
    <host id="bob" speed="1Gf"/>
    <link id="wire" bandwidth="10MBps" latency="10ms"/>
    <route src="alice" dst="bob"><link_ctn id="wire"/></route>
  </zone>
</platform>
`,
  );
  return file;
}

describe('SimGrid settings in a run', () => {
  it('under the default model a message of S bytes takes L + S/B: connect 2 (L + H/B), a 1000-byte echo 2 (L + (S + 2H)/B) more', async () => {
    const result = await runExperiment({ platform: PLATFORM, deployment: ECHO, cpuModel: 'none' });
    expect(result.exitCodes).toEqual([0, 0]);
    const { connect, echo } = echoTimes(result.outputs.find((p) => p.host === 'alice')!.stdout);
    expect(connect).toBeCloseTo(2 * (L + H / B), 9);
    expect(echo).toBeCloseTo(2 * (L + H / B) + 2 * (L + (S + 2 * H) / B), 9);
  });

  it("runExperiment's cfg chooses the network model: LV08 stretches latencies by 13.01 and bandwidths by 0.97", async () => {
    const result = await runExperiment({ platform: PLATFORM, deployment: ECHO, cpuModel: 'none', cfg: { 'network/model': 'LV08' } });
    expect(result.exitCodes).toEqual([0, 0]);
    const { connect, echo } = echoTimes(result.outputs.find((p) => p.host === 'alice')!.stdout);
    expect(connect).toBeCloseTo(2 * (13.01 * L + H / (0.97 * B)), 9);
    expect(echo).toBeCloseTo(2 * (13.01 * L + H / (0.97 * B)) + 2 * (13.01 * L + (S + 2 * H) / (0.97 * B)), 9);
  });

  it("--cfg, in both spellings, overrides the platform file's <config>", async () => {
    const platform = lv08Platform();
    const fromPlatform = await simterpose('run', '--cpu-model', 'none', '--quiet', platform, ECHO);
    expect(fromPlatform.code, fromPlatform.stderr).toBe(0);
    expect(echoTimes(fromPlatform.stdout).connect).toBeCloseTo(2 * (13.01 * L + H / (0.97 * B)), 9);
    for (const spelling of [['--cfg', 'network/model:CM02'], ['--cfg=network/model:CM02']]) {
      const overridden = await simterpose('run', '--cpu-model', 'none', '--quiet', ...spelling, platform, ECHO);
      expect(overridden.code, overridden.stderr).toBe(0);
      expect(echoTimes(overridden.stdout).connect).toBeCloseTo(2 * (L + H / B), 9);
    }
  });

  it('an unknown setting or a bad value is one line naming it, with status 2, before anything runs', async () => {
    const unknown = await simterpose('run', '--cfg', 'network/latency_factor:2', PLATFORM, ECHO);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toBe(
      'simterpose: --cfg network/latency_factor:2: SimGrid has no setting named network/latency_factor\nhint: did you mean network/latency-factor?\n',
    );
    const notNumber = await simterpose('run', '--cfg', 'network/model:CM02', '--cfg=network/TCP-gamma:big', PLATFORM, ECHO);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toBe("simterpose: --cfg network/TCP-gamma:big: 'big' is not a number\n");
    const noModel = await simterpose('run', '--cfg', 'network/model:LV09', PLATFORM, ECHO);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toBe("simterpose: --cfg network/model:LV09: SimGrid has no model 'LV09' (its models: LV08, Constant, CM02)\n");
    const malformed = await simterpose('run', '--cfg', 'network/model', PLATFORM, ECHO);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr.split('\n')[0]).toBe('simterpose: --cfg network/model: a setting is NAME:VALUE, like network/model:LV08');
  });

  it("a bad value in runExperiment's cfg rejects with the same line", async () => {
    await expect(runExperiment({ platform: PLATFORM, deployment: ECHO, cfg: { 'network/crosstraffic': 'maybe' } })).rejects.toThrow(
      new UserError("--cfg network/crosstraffic:maybe: 'maybe' is not a boolean (yes, no, on, off, true, false, 1 or 0)"),
    );
  });

  it("a bad value in a platform's <config> names the file and line", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-settings-'));
    const file = join(dir, 'bad.xml');
    writeFileSync(
      file,
      `<?xml version='1.0'?>\n<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">\n<platform version="4.1">\n  <config>\n    <prop id="network/TCP-gamma" value="lots"/>\n  </config>\n  <zone id="z" routing="Full"><host id="a" speed="1Gf"/></zone>\n</platform>\n`,
    );
    const { code, stderr } = await simterpose('platform', file);
    expect(code).toBe(2);
    expect(stderr).toBe(`simterpose: ${file}:5: <config> network/TCP-gamma:lots: 'lots' is not a number\n`);
  });
});

describe('simterpose platform and SimGrid settings', () => {
  it('shows the network model, each setting and where it came from, and a route under the model', async () => {
    const { code, stdout } = await simterpose('platform', PLATFORM, '--routes', 'alice', 'bob');
    expect(code).toBe(0);
    expect(stdout).toContain(
      [
        'network model: CM02',
        "SimGrid settings (simterpose defaults, then the platform's <config>, then --cfg: the later wins):",
        '  network/model:CM02      simterpose default',
        '  network/crosstraffic:0  simterpose default',
        '  network/TCP-gamma:0     simterpose default',
        'route alice -> bob: latency 10 ms, 1 link(s)',
        '  wire',
        '  under CM02: latency 10 ms, bandwidth 10 MB/s (what a message of S bytes takes: latency + S / bandwidth)',
      ].join('\n'),
    );
  });

  it("shows a platform's <config> overridden by --cfg, and the route's latency and bandwidth with the model's factors", async () => {
    const platform = lv08Platform();
    const fromPlatform = await simterpose('platform', platform, '--routes', 'alice', 'bob');
    expect(fromPlatform.code).toBe(0);
    expect(fromPlatform.stdout).toContain(`network model: LV08\n`);
    expect(fromPlatform.stdout).toContain(`  network/model:LV08      ${platform}:5 <config>\n`);
    // 13.01 x 10 ms and 0.97 x 10 MB/s.
    expect(fromPlatform.stdout).toContain('  under LV08: latency 130.1 ms, bandwidth 9.7 MB/s');

    const overridden = await simterpose('platform', platform, '--routes', 'alice', 'bob', '--cfg', 'network/model:CM02', '--cfg=network/crosstraffic:1');
    expect(overridden.code).toBe(0);
    expect(overridden.stdout).toContain('network model: CM02\n');
    expect(overridden.stdout).toContain('  network/TCP-gamma:0     simterpose default\n  network/model:CM02      --cfg\n  network/crosstraffic:1  --cfg\n');
    // Cross-traffic charges a flow 5% more on its own shared link, crossed both ways: B / 1.05.
    expect(overridden.stdout).toContain(`  under CM02: latency 10 ms, bandwidth ${Number((B / 1.05 / 1e6).toPrecision(6))} MB/s`);
  });
});
