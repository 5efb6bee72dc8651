import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, type RunResult } from '../helpers/apps.js';

/*
 * A platform whose values SimGrid reads but cannot simulate is refused in one
 * line, with the file, the line and the attribute, and exit status 2, by
 * `simterpose platform` and `simterpose run` alike: never a stack trace.
 */

const dir = mkdtempSync(join(tmpdir(), 'simterpose-refusals-'));
// A profile file beside the platforms: SimGrid looks for it in the platform's folder.
writeFileSync(join(dir, 'bandwidth.profile'), '# bytes per second\n0 125e6\n10 nan\nLOOPAFTER 5\n');

function simterpose(...args: string[]): Promise<RunResult> {
  return runCli(args, { cwd: dir });
}

const SPEED = 'a speed must be positive and finite, in flop/s (like 1Gf)';
const BANDWIDTH = 'a bandwidth must be positive and finite, in bytes/s (like 125MBps)';
const LATENCY = 'a latency must be zero or positive and finite, in seconds (like 50us)';
const CORES = 'a core count must be a whole number from 1 to 2147483647';
const PROFILE = "a profile's values must be zero or positive and finite";

/** Line 4 of each file is the body's first line. */
function platform(zone: string, ...body: string[]): string {
  return [
    "<?xml version='1.0'?>",
    '<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">',
    '<platform version="4.1">',
    `<zone id="z" routing="${zone}">`,
    ...body,
    '</zone>',
    '</platform>',
    '',
  ].join('\n');
}

const TWO_HOSTS = ['<host id="a" speed="1Gf"/>', '<host id="b" speed="1Gf"/>'];
const link = (attributes: string) => [...TWO_HOSTS, `<link id="l" ${attributes}/>`, '<route src="a" dst="b"><link_ctn id="l"/></route>'];
const cluster = (attributes: string) => [`<cluster id="c" prefix="n-" suffix="" radical="0-3" speed="1Gf" bw="125MBps" lat="50us" ${attributes}/>`];

/** [what, platform text, the message after "FILE:"] */
const CASES: [string, string, string][] = [
  ['a host speed that is not a number', platform('Full', '<host id="a" speed="nanf"/>'), `5: host 'a': speed="nanf" is not a number: ${SPEED}`],
  ['a negative host speed', platform('Full', '<host id="a" speed="-1Gf"/>'), `5: host 'a': speed="-1Gf" is negative: ${SPEED}`],
  ['a zero host speed', platform('Full', '<host id="a" speed="0f"/>'), `5: host 'a': speed="0f" is zero: ${SPEED}`],
  ['an infinite host speed', platform('Full', '<host id="a" speed="inff"/>'), `5: host 'a': speed="inff" is infinite: ${SPEED}`],
  [
    'a negative speed among pstates',
    platform('Full', '<host id="a" speed="1Gf, -2Gf"/>'),
    `5: host 'a': speed="1Gf, -2Gf": pstate 1 (-2Gf) is negative: a pstate's speed must be zero or positive and finite, in flop/s (like 1Gf)`,
  ],
  [
    'a zero speed in the pstate a host starts in',
    platform('Full', '<host id="a" speed="1Gf,0f" pstate="1"/>'),
    `5: host 'a': speed="1Gf,0f": pstate 1 (0f) is zero: the host starts in pstate 1, whose speed must be positive and finite`,
  ],
  [
    'a pstate a host does not have',
    platform('Full', '<host id="a" speed="1Gf,2Gf" pstate="2"/>'),
    `5: host 'a': pstate="2" names no pstate: with 2 speeds, the pstates are 0 to 1`,
  ],
  ['zero cores', platform('Full', '<host id="a" speed="1Gf" core="0"/>'), `5: host 'a': core="0" is zero: ${CORES}`],
  ['a negative core count', platform('Full', '<host id="a" speed="1Gf" core="-4"/>'), `5: host 'a': core="-4" is negative: ${CORES}`],
  ['a core count past an int', platform('Full', '<host id="a" speed="1Gf" core="4294967296"/>'), `5: host 'a': core="4294967296" is out of range: ${CORES}`],
  [
    'a zero disk bandwidth',
    platform('Full', '<host id="a" speed="1Gf">', '<disk id="d" read_bw="0MBps" write_bw="50MBps"/>', '</host>'),
    `6: disk 'd': read_bw="0MBps" is zero: ${BANDWIDTH}`,
  ],
  ['an infinite link bandwidth', platform('Full', ...link('bandwidth="infBps" latency="1ms"')), `7: link 'l': bandwidth="infBps" is infinite: ${BANDWIDTH}`],
  ['a zero link bandwidth', platform('Full', ...link('bandwidth="0" latency="1ms"')), `7: link 'l': bandwidth="0" is zero: ${BANDWIDTH}`],
  [
    'a link bandwidth that is not a number',
    platform('Full', ...link('bandwidth="NaNBps" latency="1ms"')),
    `7: link 'l': bandwidth="NaNBps" is not a number: ${BANDWIDTH}`,
  ],
  ['a negative link latency', platform('Full', ...link('bandwidth="1GBps" latency="-50us"')), `7: link 'l': latency="-50us" is negative: ${LATENCY}`],
  ['an infinite link latency', platform('Full', ...link('bandwidth="1GBps" latency="infs"')), `7: link 'l': latency="infs" is infinite: ${LATENCY}`],
  [
    'several bandwidths on a link outside a Wifi zone',
    platform('Full', ...link('bandwidth="54Mbps;36Mbps" latency="1ms" sharing_policy="WIFI"')),
    `7: link 'l': bandwidth="54Mbps;36Mbps" gives 2 bandwidths: only the link of a Wifi zone has several (one per rate)`,
  ],
  [
    'a zero Wifi rate',
    platform(
      'Wifi',
      '<prop id="access_point" value="ap"/>',
      '<host id="station" speed="1Gf"/>',
      '<link id="air" bandwidth="54Mbps;0Mbps" latency="0ms" sharing_policy="WIFI"/>',
      '<router id="ap"/>',
    ),
    `7: link 'air': bandwidth="54Mbps;0Mbps": rate 1 (0Mbps) is zero: ${BANDWIDTH}`,
  ],
  [
    'a negative cluster speed',
    platform('Full', '<cluster id="c" prefix="n-" suffix="" radical="0-3" speed="-1Gf" bw="125MBps" lat="50us"/>'),
    `5: cluster 'c': speed="-1Gf" is negative: ${SPEED}`,
  ],
  ['zero cores in a cluster', platform('Full', ...cluster('core="0"')), `5: cluster 'c': core="0" is zero: ${CORES}`],
  [
    'a zero cluster bandwidth',
    platform('Full', '<cluster id="c" prefix="n-" suffix="" radical="0-3" speed="1Gf" bw="0Bps" lat="50us"/>'),
    `5: cluster 'c': bw="0Bps" is zero: ${BANDWIDTH}`,
  ],
  [
    'a negative cluster latency',
    platform('Full', '<cluster id="c" prefix="n-" suffix="" radical="0-3" speed="1Gf" bw="125MBps" lat="-1us"/>'),
    `5: cluster 'c': lat="-1us" is negative: ${LATENCY}`,
  ],
  ['an infinite backbone bandwidth of a cluster', platform('Full', ...cluster('bb_bw="infGBps"')), `5: cluster 'c': bb_bw="infGBps" is infinite: ${BANDWIDTH}`],
  [
    'a negative backbone latency of a cluster',
    platform('Full', ...cluster('bb_bw="10GBps" bb_lat="-1ms"')),
    `5: cluster 'c': bb_lat="-1ms" is negative: ${LATENCY}`,
  ],
  ['a zero limiter link of a cluster', platform('Full', ...cluster('limiter_link="0Bps"')), `5: cluster 'c': limiter_link="0Bps" is zero: ${BANDWIDTH}`],
  ['a zero loopback bandwidth of a cluster', platform('Full', ...cluster('loopback_bw="0Bps"')), `5: cluster 'c': loopback_bw="0Bps" is zero: ${BANDWIDTH}`],
  [
    'a negative loopback latency of a cluster',
    platform('Full', ...cluster('loopback_bw="1GBps" loopback_lat="-1us"')),
    `5: cluster 'c': loopback_lat="-1us" is negative: ${LATENCY}`,
  ],
  [
    'a backbone bandwidth that is not a number',
    platform('Cluster', '<host id="a" speed="1Gf"/>', '<backbone id="bb" bandwidth="nanGBps" latency="1ms"/>'),
    `6: backbone 'bb': bandwidth="nanGBps" is not a number: ${BANDWIDTH}`,
  ],
  [
    'a negative backbone latency',
    platform('Cluster', '<host id="a" speed="1Gf"/>', '<backbone id="bb" bandwidth="1GBps" latency="-1s"/>'),
    `6: backbone 'bb': latency="-1s" is negative: ${LATENCY}`,
  ],
  [
    'a zero cabinet speed',
    platform(
      'Cluster',
      '<cabinet id="cab" prefix="n-" suffix="" radical="0-3" speed="0Gf" bw="125MBps" lat="50us"/>',
      '<backbone id="bb" bandwidth="1GBps" latency="1ms"/>',
    ),
    `5: cabinet 'cab': speed="0Gf" is zero: ${SPEED}`,
  ],
  [
    'a negative peer bandwidth',
    platform('Vivaldi', '<peer id="p" coordinates="1 2 3" speed="1Gf" bw_in="-1MBps" bw_out="1MBps"/>'),
    `5: peer 'p': bw_in="-1MBps" is negative: ${BANDWIDTH}`,
  ],
  [
    'a negative value in a trace',
    platform(
      'Full',
      '<host id="a" speed="1Gf"/>',
      '<trace id="slow" periodicity="10">',
      '0 1.0',
      '5 -0.5',
      '</trace>',
      '<trace_connect kind="SPEED" trace="slow" element="a"/>',
    ),
    `8: trace 'slow': -0.5 is negative: ${PROFILE}`,
  ],
  [
    'a value that is not a number in a profile file',
    platform('Full', ...link('bandwidth="1GBps" latency="1ms" bandwidth_file="bandwidth.profile"')),
    `7: link 'l': bandwidth_file="bandwidth.profile": line 3 of the profile sets nan, which is not a number: ${PROFILE}`,
  ],
  [
    'a network model SimGrid was built without',
    [
      "<?xml version='1.0'?>",
      '<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">',
      '<platform version="4.1">',
      '<config>',
      '<prop id="network/model" value="SMPI"/>',
      '</config>',
      '<zone id="z" routing="Full"><host id="a" speed="1Gf"/></zone>',
      '</platform>',
    ].join('\n'),
    `5: network/model "SMPI" is not available: simterpose's SimGrid is built without SMPI and ns-3 (the network models are LV08, CM02 and Constant)`,
  ],
  [
    'what makes SimGrid abort, with its reason',
    platform('Full', '<peer id="p" coordinates="1 2 3" speed="1Gf" bw_in="1MBps" bw_out="1MBps"/>'),
    ' SimGrid cannot build this platform: <peer> tag can only be used in Vivaldi netzones.',
  ],
];

describe.concurrent('a platform SimGrid cannot simulate is refused in one line', () => {
  for (const [what, text, message] of CASES) {
    it(`${what}: simterpose platform and simterpose run exit 2 with the file, the line and the attribute`, async () => {
      const file = join(dir, `${what.replaceAll(' ', '-')}.xml`);
      writeFileSync(file, text);
      for (const command of [
        ['platform', file],
        ['run', file, '--', '/bin/true'],
      ]) {
        const result = await simterpose(...command);
        expect(result.stderr).toBe(`simterpose: ${file}:${message}\n`);
        expect(result.status).toBe(2);
        expect(result.stdout).toBe('');
      }
    });
  }
});
