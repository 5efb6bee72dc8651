import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadSimulationFromString } from '../../src/sim/index.js';
import { effectiveSettings, engineArguments, parseSetting, platformSettings } from '../../src/sim/settings.js';

const withConfig = (props: string): string => `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <config>
${props}
  </config>
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="l" bandwidth="10MBps" latency="1ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>
  </zone>
</platform>
`;

describe("SimGrid's settings", () => {
  it('reads NAME:VALUE as SimGrid does, and refuses what SimGrid would split or misread', () => {
    expect(parseSetting('network/model:LV08')).toEqual({ name: 'network/model', value: 'LV08' });
    expect(parseSetting('smpi/lat-factor:0:1;100:2')).toEqual({ name: 'smpi/lat-factor', value: '0:1;100:2' });
    expect(() => parseSetting('network/model')).toThrow('--cfg network/model: a setting is NAME:VALUE, like network/model:LV08');
    expect(() => parseSetting(':CM02')).toThrow(UserError);
    expect(() => parseSetting('network/model:CM02,network/crosstraffic:1')).toThrow(/give one setting per --cfg/);
  });

  it('applies defaults, then the platform, then the run: each name once, where it was last set', () => {
    const platform = platformSettings(withConfig('    <prop id="network/crosstraffic" value="1"/>\n    <prop id="network/weight-S" value="8775"/>'), 'p.xml');
    expect(platform).toEqual([
      { name: 'network/crosstraffic', value: '1', origin: { kind: 'platform', file: 'p.xml', line: 5 } },
      { name: 'network/weight-S', value: '8775', origin: { kind: 'platform', file: 'p.xml', line: 6 } },
    ]);
    const settings = effectiveSettings(platform, [{ name: 'network/weight-S', value: '0' }]);
    expect(settings.map((s) => [s.name, s.value, s.origin.kind])).toEqual([
      ['network/model', 'CM02', 'default'],
      ['network/TCP-gamma', '0', 'default'],
      ['network/crosstraffic', '1', 'platform'],
      ['network/weight-S', '0', 'cfg'],
    ]);
    // SimGrid reads the platform's own; a default it sets would silence it on SimGrid's command line.
    expect(engineArguments(settings)).toEqual(['network/model:CM02', 'network/TCP-gamma:0', 'network/weight-S:0']);
  });

  it("a platform's <config> overrides a default of simterpose: cross-traffic back on charges a flow 1.05 N / B on its shared link", async () => {
    const sim = await loadSimulationFromString(withConfig('    <prop id="network/crosstraffic" value="1"/>'));
    sim.startComm('a', 'b', 1e6);
    expect(sim.advance(Infinity).clock).toBeCloseTo(1e-3 + (1.05 * 1e6) / 10e6, 12);
  });

  it("the run's settings override the platform's <config>", async () => {
    const sim = await loadSimulationFromString(withConfig('    <prop id="network/model" value="LV08"/>'), { cfg: ['network/model:CM02'] });
    sim.startComm('a', 'b', 1e6);
    expect(sim.advance(Infinity).clock).toBeCloseTo(1e-3 + 1e6 / 10e6, 12);
  });
});
