import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadSimulationFromString } from '../../src/sim/index.js';
import { parseBandwidths, parseInt32, parseQuantity, parseSpeeds } from '../../src/sim/units.js';
import { platformXml } from '../helpers/platform-xml.js';

/* Every reading is checked against SimGrid itself: the same text in a platform, loaded by the WebAssembly build. */

/** Hosts of these speeds, and links of these bandwidths and latencies, as SimGrid reads them. */
async function simgridReads(speeds: string[], bandwidths: string[], latencies: string[]) {
  const hosts = speeds.map((speed, i) => `<host id="h${i}" speed="${speed}"/>`);
  const links = bandwidths.map((bandwidth, i) => `<link id="b${i}" bandwidth="${bandwidth}" latency="0"/>`);
  const delays = latencies.map((latency, i) => `<link id="l${i}" bandwidth="1GBps" latency="${latency}"/>`);
  const sim = await loadSimulationFromString(platformXml([...hosts, ...links, ...delays].join('\n')));
  const link = (name: string) => sim.links().find((l) => l.name === name)!;
  return {
    speeds: sim.hosts().map((h) => h.speed),
    bandwidths: bandwidths.map((_, i) => link(`b${i}`).bandwidth),
    latencies: latencies.map((_, i) => link(`l${i}`).latency),
  };
}

async function simgridRefuses(body: string): Promise<string> {
  const error = await loadSimulationFromString(platformXml(body)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UserError);
  return (error as Error).message;
}

describe('units of a platform file', () => {
  it('reads numbers and units to the same double as SimGrid: prefixes, long names, bits, binary prefixes, hex, signs, no unit', async () => {
    const speeds = ['1Gf', '98.095Mf', '1e9', '1kiloflops', '2.5megaflops', '0x1p30f', '+.5e1kf', ' 1Gf', '3Yf', '16.673E9f'];
    const bandwidths = ['125MBps', '1Gbps', '1KiBps', '3Mibps', '10kBps', '100', '1.25E8Bps', '2TiBps', '41.279125MBps'];
    const latencies = ['50us', '1ms', '0', '1.5s', '2m', '1h', '1d', '1w', '3ps', '7ns', '0x1p-10s', '5.70455ms', '1.0E-4s'];
    const simgrid = await simgridReads(speeds, bandwidths, latencies);
    expect(speeds.map((s) => parseQuantity(s, 'speed'))).toEqual(simgrid.speeds);
    expect(bandwidths.map((b) => parseQuantity(b, 'bandwidth'))).toEqual(simgrid.bandwidths);
    expect(latencies.map((l) => parseQuantity(l, 'time'))).toEqual(simgrid.latencies);
  });

  it('gives nothing for what SimGrid refuses itself (no number, an unknown unit, out of range), so its message names the mistake', async () => {
    const cases: [string, 'speed' | 'bandwidth', string][] = [
      ['fast', 'speed', 'cannot parse number:fast'],
      ['1 Gf', 'speed', 'unknown unit: Gf'],
      ['1gf', 'speed', 'unknown unit: gf'],
      ['1GBps', 'speed', 'unknown unit: GBps'],
      ['1e400f', 'speed', 'value out of range: 1e400f'],
      ['1e-310f', 'speed', 'value out of range: 1e-310f'],
      ['1GBps ', 'bandwidth', 'unknown unit: GBps'],
      ['1Gf', 'bandwidth', 'unknown unit: Gf'],
    ];
    for (const [text, quantity, message] of cases) {
      expect(parseQuantity(text, quantity), text).toBeUndefined();
      const body = quantity === 'speed' ? `<host id="a" speed="${text}"/>` : `<link id="l" bandwidth="${text}" latency="0"/>`;
      expect(await simgridRefuses(body)).toMatch(new RegExp(`:5: ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    }
  });

  it('reads infinities and NaNs as strtod does, and a finite number whose unit overflows as infinite', () => {
    expect(parseQuantity('inff', 'speed')).toBe(Infinity);
    expect(parseQuantity('-INFINITYf', 'speed')).toBe(-Infinity);
    expect(parseQuantity('nanf', 'speed')).toBeNaN();
    expect(parseQuantity('nan(7)Bps', 'bandwidth')).toBeNaN();
    expect(parseQuantity('1e308Tf', 'speed')).toBe(Infinity);
    expect(parseQuantity('-0s', 'time')).toBe(-0);
  });

  it('splits pstate speeds on commas and trims them, and link bandwidths on commas and semicolons, where only strtod skips leading space', () => {
    expect(parseSpeeds('100.0Mf, 50.0Mf,  0f')).toEqual([
      { text: '100.0Mf', value: 100e6 },
      { text: '50.0Mf', value: 50e6 },
      { text: '0f', value: 0 },
    ]);
    expect(parseBandwidths('54Mbps;36Mbps, 24Mbps')).toEqual([
      { text: '54Mbps', value: 54e6 / 8 },
      { text: '36Mbps', value: 36e6 / 8 },
      { text: ' 24Mbps', value: 24e6 / 8 },
    ]);
    expect(parseBandwidths('24Mbps ')).toEqual([{ text: '24Mbps ', value: undefined }]);
  });

  it('reads a core count as std::stoi does: leading digits after white space, the rest ignored, past an int out of range', async () => {
    expect(['4', ' 2', '1.5', '2abc', '-3', '+7'].map(parseInt32)).toEqual([4, 2, 1, 2, -3, 7]);
    expect(parseInt32('abc')).toBeUndefined();
    expect(parseInt32('')).toBeUndefined();
    expect(parseInt32('2147483647')).toBe(2147483647);
    expect(parseInt32('2147483648')).toBe('out of range');
    const sim = await loadSimulationFromString(platformXml('<host id="a" speed="1Gf" core="1.5"/><host id="b" speed="1Gf" core="2abc"/>'));
    expect(sim.hosts().map((h) => h.cores)).toEqual([1, 2]);
    expect(await simgridRefuses('<host id="a" speed="1Gf" core="abc"/>')).toMatch(/:5: abc is not an int$/);
  });
});
