import fs, { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadSimulationFromString } from '../../src/sim/index.js';
import { checkConfig, checkPlatform } from '../../src/sim/platform-check.js';
import { platformXml } from '../helpers/platform-xml.js';

const SPEED = 'a speed must be positive and finite, in flop/s (like 1Gf)';
const BANDWIDTH = 'a bandwidth must be positive and finite, in bytes/s (like 125MBps)';
const LATENCY = 'a latency must be zero or positive and finite, in seconds (like 50us)';
const CORES = 'a core count must be a whole number from 1 to 2147483647';
const STATE_PROFILES =
  "hosts and links turning off make SimGrid fail the activities they carry, which this simulation was not loaded to handle (loadSimulation's allowStateProfiles)";

/** The body starts on line 5. */
function refusal(text: string, options = {}): string | undefined {
  return checkPlatform(text, 'p.xml', options)?.message;
}

describe('platform values SimGrid reads but cannot simulate', () => {
  it('accepts sound values, zero latencies, and empty optional cluster attributes', () => {
    expect(
      refusal(
        platformXml(`<host id="a" speed="1Gf,500Mf" core="4" pstate="1"><disk id="d" read_bw="100MBps" write_bw="50MBps"/></host>
<host id="b" speed="1e9"/>
<link id="l" bandwidth="125MBps" latency="0"/>
<link id="m" bandwidth="1Gbps"/>
<route src="a" dst="b"><link_ctn id="l"/></route>
<cluster id="c" prefix="n-" suffix="" radical="0-3" speed="1Gf" bw="125MBps" lat="0us" bb_bw="" bb_lat="0s" limiter_link="" loopback_bw="" loopback_lat=""/>`),
      ),
    ).toBeUndefined();
  });

  it("accepts a zero speed in a pstate the host does not start in, as SimGrid's energy examples give booting and shutting down", () => {
    expect(refusal(platformXml('<host id="a" speed="100.0Mf,50.0Mf,20.0Mf,                    0f,0f" pstate="0"/>'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="0f,1Gf" pstate="1"/>'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="0f,1Gf"/>'))).toBe(
      'p.xml:5: host \'a\': speed="0f,1Gf": pstate 0 (0f) is zero: the host starts in pstate 0, whose speed must be positive and finite',
    );
  });

  it('refuses each speed, bandwidth, latency and core count that is not a number, negative, infinite, or zero where zero means nothing', () => {
    const cases: [string, string][] = [
      ['<host id="a" speed="nanf"/>', `host 'a': speed="nanf" is not a number: ${SPEED}`],
      ['<host id="a" speed="-1Gf"/>', `host 'a': speed="-1Gf" is negative: ${SPEED}`],
      ['<host id="a" speed="0"/>', `host 'a': speed="0" is zero: ${SPEED}`],
      ['<host id="a" speed="infinityf"/>', `host 'a': speed="infinityf" is infinite: ${SPEED}`],
      ['<host id="a" speed="1e308Tf"/>', `host 'a': speed="1e308Tf" is infinite: ${SPEED}`],
      [
        '<host id="a" speed="1Gf,nanf"/>',
        `host 'a': speed="1Gf,nanf": pstate 1 (nanf) is not a number: a pstate's speed must be zero or positive and finite, in flop/s (like 1Gf)`,
      ],
      ['<host id="a" speed="1Gf" core="0"/>', `host 'a': core="0" is zero: ${CORES}`],
      ['<host id="a" speed="1Gf" core="-1"/>', `host 'a': core="-1" is negative: ${CORES}`],
      ['<host id="a" speed="1Gf" core="2147483648"/>', `host 'a': core="2147483648" is out of range: ${CORES}`],
      ['<host id="a" speed="1Gf" pstate="1"/>', `host 'a': pstate="1" names no pstate: with one speed, the only pstate is 0`],
      ['<host id="a" speed="1Gf,2Gf" pstate="-1"/>', `host 'a': pstate="-1" names no pstate: with 2 speeds, the pstates are 0 to 1`],
      ['<host id="a" speed="1Gf"><disk id="d" read_bw="1MBps" write_bw="-1MBps"/></host>', `disk 'd': write_bw="-1MBps" is negative: ${BANDWIDTH}`],
      ['<link id="l" bandwidth="0Bps" latency="1ms"/>', `link 'l': bandwidth="0Bps" is zero: ${BANDWIDTH}`],
      ['<link id="l" bandwidth="infBps" latency="1ms"/>', `link 'l': bandwidth="infBps" is infinite: ${BANDWIDTH}`],
      ['<link id="l" bandwidth="1GBps" latency="nans"/>', `link 'l': latency="nans" is not a number: ${LATENCY}`],
      ['<link id="l" bandwidth="1GBps" latency="-1ms"/>', `link 'l': latency="-1ms" is negative: ${LATENCY}`],
      ['<link id="l" bandwidth="1GBps" latency="infs"/>', `link 'l': latency="infs" is infinite: ${LATENCY}`],
      [
        '<link id="l" bandwidth="1GBps,2GBps" latency="1ms"/>',
        `link 'l': bandwidth="1GBps,2GBps" gives 2 bandwidths: only the link of a Wifi zone has several (one per rate)`,
      ],
      ['<cluster id="c" prefix="n" suffix="" radical="0-1" speed="0f" bw="1GBps" lat="1us"/>', `cluster 'c': speed="0f" is zero: ${SPEED}`],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="0f,1Gf" bw="1GBps" lat="1us"/>',
        `cluster 'c': speed="0f,1Gf": pstate 0 (0f) is zero: its hosts start in pstate 0, whose speed must be positive and finite`,
      ],
      ['<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" core="0" bw="1GBps" lat="1us"/>', `cluster 'c': core="0" is zero: ${CORES}`],
      ['<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="-1GBps" lat="1us"/>', `cluster 'c': bw="-1GBps" is negative: ${BANDWIDTH}`],
      ['<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="infus"/>', `cluster 'c': lat="infus" is infinite: ${LATENCY}`],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="1us" bb_bw="0GBps"/>',
        `cluster 'c': bb_bw="0GBps" is zero: ${BANDWIDTH}`,
      ],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="1us" bb_lat="-1us"/>',
        `cluster 'c': bb_lat="-1us" is negative: ${LATENCY}`,
      ],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="1us" limiter_link="nanBps"/>',
        `cluster 'c': limiter_link="nanBps" is not a number: ${BANDWIDTH}`,
      ],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="1us" loopback_bw="infBps"/>',
        `cluster 'c': loopback_bw="infBps" is infinite: ${BANDWIDTH}`,
      ],
      [
        '<cluster id="c" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="1us" loopback_lat="-0.5s"/>',
        `cluster 'c': loopback_lat="-0.5s" is negative: ${LATENCY}`,
      ],
      ['<cabinet id="k" prefix="n" suffix="" radical="0-1" speed="-1Gf" bw="1GBps" lat="1us"/>', `cabinet 'k': speed="-1Gf" is negative: ${SPEED}`],
      ['<cabinet id="k" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="0Bps" lat="1us"/>', `cabinet 'k': bw="0Bps" is zero: ${BANDWIDTH}`],
      ['<cabinet id="k" prefix="n" suffix="" radical="0-1" speed="1Gf" bw="1GBps" lat="-1us"/>', `cabinet 'k': lat="-1us" is negative: ${LATENCY}`],
      ['<backbone id="b" bandwidth="infGBps" latency="1ms"/>', `backbone 'b': bandwidth="infGBps" is infinite: ${BANDWIDTH}`],
      ['<backbone id="b" bandwidth="1GBps" latency="-1ms"/>', `backbone 'b': latency="-1ms" is negative: ${LATENCY}`],
      ['<peer id="p" speed="nanf" bw_in="1MBps" bw_out="1MBps"/>', `peer 'p': speed="nanf" is not a number: ${SPEED}`],
      ['<peer id="p" speed="1Gf" bw_in="0MBps" bw_out="1MBps"/>', `peer 'p': bw_in="0MBps" is zero: ${BANDWIDTH}`],
      ['<peer id="p" speed="1Gf" bw_in="1MBps" bw_out="-1MBps"/>', `peer 'p': bw_out="-1MBps" is negative: ${BANDWIDTH}`],
    ];
    for (const [body, message] of cases) expect(refusal(platformXml(body)), body).toBe(`p.xml:5: ${message}`);
  });

  it('allows several rates, each a bandwidth, only on the link of a Wifi zone', () => {
    const wifi = (rates: string) =>
      platformXml(
        `<prop id="access_point" value="ap"/><host id="s" speed="1Gf"/><link id="air" bandwidth="${rates}" latency="0ms" sharing_policy="WIFI"/><router id="ap"/>`,
        'WIFI',
      );
    expect(refusal(wifi('54Mbps,36Mbps;24Mbps'))).toBeUndefined();
    expect(refusal(wifi('54Mbps;-36Mbps'))).toBe(`p.xml:5: link 'air': bandwidth="54Mbps;-36Mbps": rate 1 (-36Mbps) is negative: ${BANDWIDTH}`);
  });

  it('names the line of the attribute when a tag spans several lines', () => {
    const body = `<cluster id="c" prefix="n-" suffix=""
             radical="0-3" speed="1Gf"
             bw="125MBps" lat="50us"
             bb_bw="0Bps"/>`;
    expect(refusal(platformXml(body))).toBe(`p.xml:8: cluster 'c': bb_bw="0Bps" is zero: ${BANDWIDTH}`);
  });

  it("leaves malformed XML, numbers it cannot read and unknown units to SimGrid's own message", () => {
    expect(refusal(platformXml('<host id="a" speed="-1Gf">'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="fast"/>'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="-1GBps"/>'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="-1e400f"/>'))).toBeUndefined();
    expect(refusal(platformXml('<host id="a" speed="1Gf" core="none"/>'))).toBeUndefined();
    expect(refusal('<deployment/>')).toBeUndefined();
  });

  it('refuses state profiles unless allowed: state_file on a host, link or peer, a trace connected as HOST_AVAIL (the default kind) or LINK_AVAIL', () => {
    const cases: [string, string][] = [
      ['<host id="a" speed="1Gf" state_file="a.profile"/>', `host 'a': state_file="a.profile": ${STATE_PROFILES}`],
      ['<link id="l" bandwidth="1GBps" state_file="l.profile"/>', `link 'l': state_file="l.profile": ${STATE_PROFILES}`],
      ['<peer id="p" speed="1Gf" bw_in="1MBps" bw_out="1MBps" state_file="p.profile"/>', `peer 'p': state_file="p.profile": ${STATE_PROFILES}`],
      ['<trace_connect trace="t" element="a"/>', `trace_connect kind="HOST_AVAIL" on 'a': ${STATE_PROFILES}`],
      ['<trace_connect kind="LINK_AVAIL" trace="t" element="l"/>', `trace_connect kind="LINK_AVAIL" on 'l': ${STATE_PROFILES}`],
    ];
    for (const [body, message] of cases) {
      expect(refusal(platformXml(body)), body).toBe(`p.xml:5: ${message}`);
      expect(refusal(platformXml(body), { allowStateProfiles: true }), body).toBeUndefined();
    }
  });

  it('accepts speed, bandwidth and latency profiles, which only change values over time', () => {
    const body = `<host id="a" speed="1Gf" speed_file="a.profile" state_file=""/>
<link id="l" bandwidth="1GBps" latency="1ms" bandwidth_file="bw.profile" latency_file="lat.profile"/>
<trace_connect kind="SPEED" trace="t" element="a"/>
<trace_connect kind="BANDWIDTH" trace="t" element="l"/>
<trace_connect kind="LATENCY" trace="t" element="l"/>`;
    expect(refusal(platformXml(body))).toBeUndefined();
  });

  it('refuses a profile value SimGrid would abort on, in a trace or in a file a host, peer, link or trace names, at its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-profiles-'));
    writeFileSync(join(dir, 'bad.profile'), '0 1\n5 -1\n');
    writeFileSync(join(dir, 'good.profile'), '0 1\n5 0\nLOOPAFTER 1\n');
    const check = (body: string) => checkPlatform(platformXml(body), 'p.xml', { directory: dir })?.message;
    const rule = "line 2 of the profile sets -1, which is negative: a profile's values must be zero or positive and finite";
    expect(check('<host id="a" speed="1Gf" speed_file="bad.profile"/>')).toBe(`p.xml:5: host 'a': speed_file="bad.profile": ${rule}`);
    expect(check('<host id="a" speed="1Gf" availability_file="bad.profile"/>')).toBe(`p.xml:5: host 'a': availability_file="bad.profile": ${rule}`);
    expect(check('<peer id="p" speed="1Gf" bw_in="1MBps" bw_out="1MBps" speed_file="bad.profile"/>')).toBe(
      `p.xml:5: peer 'p': speed_file="bad.profile": ${rule}`,
    );
    expect(check('<link id="l" bandwidth="1GBps" bandwidth_file="good.profile" latency_file="bad.profile"/>')).toBe(
      `p.xml:5: link 'l': latency_file="bad.profile": ${rule}`,
    );
    expect(check(`<trace id="t" file="${join(dir, 'bad.profile')}" periodicity="10"/>`)).toBe(
      `p.xml:5: trace 't': file="${join(dir, 'bad.profile')}": ${rule}`,
    );
    expect(check('<trace id="t" periodicity="10">\n0 1\n\n3 -inf\n</trace>')).toBe(
      "p.xml:8: trace 't': -inf is infinite: a profile's values must be zero or positive and finite",
    );
    expect(check('<host id="a" speed="1Gf" speed_file="good.profile"/><trace id="t" periodicity="10">\n0 1\n3 0\n</trace>')).toBeUndefined();
    // A file that is not there is SimGrid's to report.
    expect(check('<host id="a" speed="1Gf" speed_file="missing.profile"/>')).toBeUndefined();
  });

  it('refuses the network models SimGrid was built without, in the platform and in --cfg', () => {
    const missing = "is not available: simterpose's SimGrid is built without SMPI and ns-3 (the network models are LV08, CM02 and Constant)";
    const config = (model: string) =>
      `<?xml version='1.0'?>\n<platform version="4.1">\n  <config>\n    <prop id="network/model" value="${model}"/>\n  </config>\n  <zone id="z" routing="Full"/>\n</platform>\n`;
    for (const model of ['SMPI', 'IB', 'ns-3']) {
      expect(refusal(config(model))).toBe(`p.xml:4: network/model "${model}" ${missing}`);
      expect(checkConfig(`network/model:${model}`)?.message).toBe(`network/model "${model}" (SimGrid configuration network/model:${model}) ${missing}`);
    }
    for (const model of ['LV08', 'CM02', 'Constant']) {
      expect(refusal(config(model))).toBeUndefined();
      expect(checkConfig(`network/model:${model}`)).toBeUndefined();
    }
  });
});

describe('loading a platform SimGrid cannot simulate', () => {
  it('is refused before SimGrid sees it, with the line and the attribute', async () => {
    const error = await loadSimulationFromString(platformXml('<host id="a" speed="1Gf" core="0"/>')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`<platform string>:5: host 'a': core="0" is zero: ${CORES}`);
  });

  it('refuses state profiles unless allowed', async () => {
    const body = '<host id="a" speed="1Gf"/><trace id="t" periodicity="10">\n0 1\n1 0\n</trace><trace_connect trace="t" element="a"/>';
    await expect(loadSimulationFromString(platformXml(body))).rejects.toThrow(`<platform string>:8: trace_connect kind="HOST_AVAIL" on 'a': ${STATE_PROFILES}`);
    expect((await loadSimulationFromString(platformXml(body), { allowStateProfiles: true })).hosts()).toHaveLength(1);
  });

  it('refuses a network model SimGrid was built without, given as --cfg', async () => {
    await expect(loadSimulationFromString(platformXml('<host id="a" speed="1Gf"/>'), { cfg: ['network/model:SMPI'] })).rejects.toThrow(
      /^network\/model "SMPI" \(SimGrid configuration network\/model:SMPI\) is not available/,
    );
  });

  it("turns SimGrid's abort while loading into one UserError with its reason, and keeps SimGrid's words off stderr", async () => {
    const writeSync = vi.spyOn(fs, 'writeSync');
    try {
      const error = await loadSimulationFromString(platformXml('<peer id="p" coordinates="1 2 3" speed="1Gf" bw_in="1MBps" bw_out="1MBps"/>')).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe('<platform string>: SimGrid cannot build this platform: <peer> tag can only be used in Vivaldi netzones.');
      expect(writeSync.mock.calls.filter(([fd]) => fd === 2)).toEqual([]);
    } finally {
      writeSync.mockRestore();
    }
  });
});
