import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { checkPlaceholders, expandGrid, substitute } from '../../src/sweep/expand.js';
import { prepareSweep } from '../../src/sweep/prepare.js';
import { checkSweep, readSweepFile } from '../../src/sweep/sweep-file.js';
import { applyChanges, startTags } from '../../src/sweep/xml-edit.js';
import { platformXml } from '../helpers/platform-xml.js';

const sweep = (document: Record<string, unknown>) => checkSweep({ platform: 'p.xml', command: ['./app', '{size}'], ...document }, '/s/sweep.yaml');

/** The one-line message a sweep file's mistake gets. */
function mistake(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('no error');
}

describe('a sweep grid', () => {
  it('is every combination of the values times every seed, the first parameter slowest and the seed fastest', () => {
    const spec = sweep({
      parameters: { bandwidth: { element: 'wire', attribute: 'bandwidth', values: ['1MBps', '2MBps'] }, size: [10, 20, 30] },
      seeds: [7, 9],
    });
    const grid = expandGrid(spec);
    expect(grid).toHaveLength(12);
    expect(grid.map((e) => `${e.values['bandwidth']} ${e.values['size']} ${e.seed}`).slice(0, 4)).toEqual([
      '1MBps 10 7',
      '1MBps 10 9',
      '1MBps 20 7',
      '1MBps 20 9',
    ]);
    expect(grid[11]).toEqual({ index: 11, name: 'exp-0011', values: { bandwidth: '2MBps', size: '30' }, seed: 9 });
  });

  it('names experiments with as many digits as the largest index needs, four at least', () => {
    expect(expandGrid(sweep({ parameters: { size: [1] } })).map((e) => e.name)).toEqual(['exp-0000']);
    const large = expandGrid(sweep({ parameters: { size: Array.from({ length: 200 }, (_, i) => i) }, seeds: 60 }));
    expect(large).toHaveLength(12000);
    expect(large.at(-1)!.name).toBe('exp-11999');
    expect(large[0]!.name).toBe('exp-00000');
  });

  it('has one experiment per seed when nothing varies, seed 0 alone by default', () => {
    expect(expandGrid(checkSweep({ platform: 'p.xml', command: ['true'] }, 's.yaml')).map((e) => e.seed)).toEqual([0]);
    expect(expandGrid(checkSweep({ platform: 'p.xml', command: ['true'], seeds: 3 }, 's.yaml')).map((e) => e.seed)).toEqual([0, 1, 2]);
  });

  it('puts values, the seed and the folder name in placeholders, and leaves other braces alone', () => {
    const [experiment] = expandGrid(sweep({ parameters: { size: [4096] }, seeds: [5] }));
    expect(substitute('--size={size}', experiment!)).toBe('--size=4096');
    expect(substitute('{seed}/{experiment}', experiment!)).toBe('5/exp-0000');
    expect(substitute('{"json": 1} {}', experiment!)).toBe('{"json": 1} {}');
  });
});

describe('a sweep file', () => {
  it('reads paths relative to its own folder', () => {
    const spec = sweep({ deployment: 'd.xml', command: undefined, parameters: { size: [1] } });
    expect(spec.platform).toBe('/s/p.xml');
    expect(spec.deployment).toBe('/s/d.xml');
  });

  it('gets a one-line error for each kind of mistake', () => {
    expect(mistake(() => checkSweep({ command: ['x'] }, 's.yaml'))).toBe('s.yaml: no platform: name a SimGrid platform file');
    expect(mistake(() => checkSweep({ platform: 'p.xml' }, 's.yaml'))).toBe('s.yaml: give either a deployment or a command, not both nor neither');
    expect(mistake(() => sweep({ paramters: {} }))).toBe('/s/sweep.yaml: unknown key paramters');
    expect(mistake(() => sweep({ parameters: { size: [] } }))).toBe('/s/sweep.yaml: parameters.size.values must be a non-empty list');
    expect(mistake(() => sweep({ parameters: { size: [1, 1] } }))).toBe('/s/sweep.yaml: parameters.size.values lists 1 twice');
    expect(mistake(() => sweep({ parameters: { 'a-b': [1] } }))).toMatch(/parameters.a-b: a parameter's name is letters, digits and _/);
    expect(mistake(() => sweep({ parameters: { seed: [1] } }))).toMatch(/'seed' is reserved/);
    expect(mistake(() => sweep({ parameters: { bw: { element: 'wire', values: [1] } } }))).toMatch(/parameters.bw: give both element and attribute/);
    expect(mistake(() => sweep({ parameters: { size: [true] } }))).toBe('/s/sweep.yaml: parameters.size.values[0] must be a string or a number, not true');
    expect(mistake(() => sweep({ seeds: [1, -2] }))).toBe('/s/sweep.yaml: seeds[1] must be an integer from 0, not -2');
    expect(mistake(() => sweep({ seeds: 0 }))).toBe('/s/sweep.yaml: seeds: 0 leaves no experiment');
    expect(mistake(() => sweep({ command: 'app 1' }))).toBe('/s/sweep.yaml: command must be a list of words');
  });

  it('names the line of a YAML syntax error', () => {
    const folder = mkdtempSync(join(tmpdir(), 'sweep-'));
    const file = join(folder, 'bad.yaml');
    writeFileSync(file, 'platform: p.xml\ncommand: [a, b\nseeds: 2\n');
    expect(mistake(() => readSweepFile(file))).toMatch(new RegExp(`^${file}:\\d+: `));
    expect(mistake(() => readSweepFile(join(folder, 'none.yaml')))).toBe(`cannot read sweep file ${join(folder, 'none.yaml')}: no such file`);
  });

  it('refuses a placeholder that names no parameter, and a program argument used nowhere', () => {
    expect(mistake(() => checkPlaceholders(sweep({ command: ['./app', '{szie}'], parameters: { size: [1] } }), []))).toMatch(
      /command uses \{szie\}, which is no parameter/,
    );
    expect(mistake(() => checkPlaceholders(sweep({ command: ['./app'], parameters: { size: [1] } }), []))).toMatch(
      /parameter size sets no platform attribute and no \{size\} uses it/,
    );
    expect(() => checkPlaceholders(sweep({ command: ['./app'], parameters: { size: [1] } }), ['{size}'])).not.toThrow();
  });
});

describe('editing a platform', () => {
  const text = `<?xml version='1.0'?>
<!-- <link id="wire" bandwidth="1"/> in a comment is no element -->
<platform version="4.1">
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf"><prop id="ip" value="10.0.0.1"/></host>
    <link id='wire' bandwidth="125MBps"
          latency="50us"/>
    <route src="a" dst="a"><link_ctn id="wire"/></route>
  </zone>
</platform>
`;

  it('changes only the values it sets, keeping comments and layout, and adds an attribute the element lacks', () => {
    const tags = startTags(text);
    const link = tags.find((t) => t.name === 'link')!;
    const host = tags.find((t) => t.name === 'host')!;
    const edited = applyChanges(text, [
      { tag: link, attribute: 'latency', value: '5ms' },
      { tag: link, attribute: 'bandwidth', value: '1MBps' },
      { tag: host, attribute: 'core', value: '4' },
    ]);
    expect(edited).toBe(
      text
        .replace('bandwidth="125MBps"', 'bandwidth="1MBps"')
        .replace('latency="50us"', 'latency="5ms"')
        .replace('<host id="a" speed="1Gf">', '<host id="a" speed="1Gf" core="4">'),
    );
    expect(tags.map((t) => t.name)).toEqual(['platform', 'zone', 'host', 'prop', 'link', 'route', 'link_ctn']);
  });

  it('escapes what a value cannot hold between quotes', () => {
    const [tag] = startTags('<a b="1"/>');
    expect(applyChanges('<a b="1"/>', [{ tag: tag!, attribute: 'b', value: 'x"<&' }])).toBe('<a b="x&quot;&lt;&amp;"/>');
  });
});

describe('preparing a sweep', () => {
  const folder = mkdtempSync(join(tmpdir(), 'sweep-prepare-'));
  const platform = join(folder, 'p.xml');
  writeFileSync(
    platform,
    platformXml(`    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="l" bandwidth="1MBps" latency="1ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>`),
  );
  const spec = (parameters: Record<string, unknown>) => checkSweep({ platform: 'p.xml', command: ['/bin/true'], parameters }, join(folder, 's.yaml'));

  it('writes each experiment its platform, params and run words', async () => {
    const out = join(folder, 'out');
    const experiments = await prepareSweep(spec({ speed: { element: ['a', 'b'], attribute: 'speed', values: ['2Gf', '3Gf'] } }), out);
    expect(experiments).toHaveLength(2);
    const second = readFileSync(join(out, 'exp-0001', 'platform.xml'), 'utf8');
    expect(second.match(/speed="3Gf"/g)).toHaveLength(2);
    expect(readFileSync(join(out, 'exp-0001', 'run.args'), 'utf8').split('\0')).toEqual([
      'run',
      '--seed',
      '0',
      '--report',
      'report.json',
      'platform.xml',
      '--',
      '/bin/true',
      '',
    ]);
    expect(JSON.parse(readFileSync(join(out, 'exp-0001', 'params.json'), 'utf8'))).toMatchObject({ experiment: 'exp-0001', parameters: { speed: '3Gf' } });
  });

  it('reads the options as simterpose run does, and writes nothing when they are wrong', async () => {
    const withOptions = (options: string[]) =>
      checkSweep({ platform: 'p.xml', command: ['/bin/true'], options, parameters: { stop: [1, 'soon'] } }, join(folder, 's.yaml'));
    const out = join(folder, 'bad-options');
    await expect(prepareSweep(withOptions(['--stop-tme', '{stop}']), out)).rejects.toThrow(`options of exp-0000: unknown option '--stop-tme'`);
    await expect(prepareSweep(withOptions(['--stop-time', '{stop}']), out)).rejects.toThrow(`options of exp-0001: 'soon' is not a number`);
    await expect(prepareSweep(withOptions(['--seed', '3']), out)).rejects.toThrow('options: --seed is the sweep');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an id the platform lacks, a value SimGrid refuses, and a folder of another sweep', async () => {
    await expect(prepareSweep(spec({ bw: { element: 'wire', attribute: 'bandwidth', values: ['1MBps'] } }), join(folder, 'o1'))).rejects.toThrow(
      `has no element with id 'wire'`,
    );
    await expect(prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwidth', values: ['1MBps', 'fast'] } }), join(folder, 'o2'))).rejects.toThrow(
      /exp-0001 \(bw=fast\): .*fast/,
    );
    await expect(prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwith', values: ['1MBps'] } }), join(folder, 'o3'))).rejects.toThrow(/bandwith/);
    await prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwidth', values: ['1MBps'] } }), join(folder, 'o4'));
    await expect(prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwidth', values: ['2MBps'] } }), join(folder, 'o4'))).rejects.toThrow(
      'holds an experiment of another sweep (its params.json differs)',
    );
    await prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwidth', values: ['1MBps', '2MBps'] } }), join(folder, 'o5'));
    await expect(prepareSweep(spec({ bw: { element: 'l', attribute: 'bandwidth', values: ['1MBps'] } }), join(folder, 'o5'))).rejects.toThrow(
      'holds an experiment of another sweep (this one has no exp-0001)',
    );
  });
});
