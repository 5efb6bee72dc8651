import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/index.js';
import { runCli, runNative, shellStatus } from '../helpers/apps.js';
import { decodePng, type Picture } from '../helpers/png.js';
import { readReport } from '../helpers/report-schema.js';

// alice sends bob 1 MB over one 10 MB/s link and sleeps on the side; alice crashes at 0.3 s, which kills the sleep.
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
const DEPLOYMENT = 'test/fixtures/deployments/observe.xml';
const FAULT = 'host:alice:off@0.3';
const WINDOW = { width: 1200, height: 1400 };

/** Debian's Chromium, headless, as root (hence no sandbox), at one pixel per CSS pixel so that the page's boxes are the screenshot's. */
function chromium(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'simterpose-chromium-'));
  return runNative(
    [
      'chromium',
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      `--user-data-dir=${profile}`,
      '--force-device-scale-factor=1',
      `--window-size=${WINDOW.width},${WINDOW.height}`,
      ...args,
    ],
    { timeoutMs: 60_000 },
  )
    .then((result) => {
      expect(shellStatus(result), result.stderr).toBe(0);
      return result.stdout;
    })
    .finally(() => rmSync(profile, { recursive: true, force: true }));
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The plotting area the page wrote on a section once drawn (`data-plot-box`). */
function plotBox(dom: string, id: string): Box {
  const match = new RegExp(`<section id="${id}"[^>]*data-plot-box="(\\d+),(\\d+),(\\d+),(\\d+)"`).exec(dom);
  expect(match, `section ${id} has no data-plot-box: its chart was not drawn`).not.toBeNull();
  const [x, y, width, height] = match!.slice(1).map(Number) as [number, number, number, number];
  return { x, y, width, height };
}

/** The HTML of one section of the page. */
function section(dom: string, id: string): string {
  const start = dom.indexOf(`<section id="${id}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return dom.slice(start, dom.indexOf('</section>', start));
}

/** Pixels of a colour (not the white, greys and black of the background, grid, axes and text) in the box's rows from `top` to `bottom` (fractions of its height). */
function colouredPixels(picture: Picture, box: Box, top = 0, bottom = 1): number {
  let count = 0;
  for (let y = Math.round(box.y + top * box.height); y < Math.min(picture.height, box.y + bottom * box.height); y++) {
    for (let x = box.x; x < Math.min(picture.width, box.x + box.width); x++) {
      const [r, g, b] = picture.pixel(x, y);
      if (Math.max(r, g, b) - Math.min(r, g, b) >= 80) count++;
    }
  }
  return count;
}

describe('simterpose plot', () => {
  let dir: string;
  let report: RunReport;
  let page: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'simterpose-plot-'));
    const reportPath = join(dir, 'run.json');
    const run = await runCli(['run', '--quiet', '--fault', FAULT, '--report', reportPath, PLATFORM, DEPLOYMENT]);
    expect(existsSync(reportPath), run.stderr).toBe(true);
    report = readReport(reportPath);
    const plot = await runCli(['plot', reportPath]);
    expect(shellStatus(plot), plot.stderr).toBe(0);
    page = join(dir, 'run.html');
    expect(plot.stdout).toBe(`${page}\n`);
  }, 120_000);

  it('refuses a page it cannot write in one line, with status 2', async () => {
    const result = await runCli(['plot', join(dir, 'run.json'), '--html', join(dir, 'no-such-folder', 'run.html')]);
    expect(result.stderr).toMatch(/^simterpose: cannot write .*no-such-folder\/run\.html: ENOENT.*\n$/);
    expect(shellStatus(result)).toBe(2);
  });

  it('writes one page that needs no network: no external script, style or image', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('uPlot');
    expect(html).not.toMatch(/<(script|link|img)[^>]*(src|href)=/);
  });

  it('shows, in a real browser, one timeline row per host with its processes, the fault, and a line per link and per host', async () => {
    const dom = await chromium(['--dump-dom', `file://${page}`]);
    expect(dom).toContain('data-drawn="yes"');
    const timeline = section(dom, 'timeline');
    const rows = [...timeline.matchAll(/<g class="host-row" data-host="([^"]*)"/g)].map((match) => match[1]);
    expect(rows).toEqual(report.hosts.map((host) => host.name));
    expect(rows).toEqual(['alice', 'bob']);
    // The two net_transfer succeeded; the sleep was stopped by the crash.
    expect(timeline.match(/<g class="process succeeded">/g)).toHaveLength(2);
    expect(timeline.match(/<g class="process stopped">/g)).toHaveLength(1);
    expect(timeline).not.toContain('<g class="process failed">');
    expect(timeline.match(/<g class="fault">/g)).toHaveLength(1);
    expect(timeline).toContain('host alice off');
    const labels = (id: string): string[] => [...section(dom, id).matchAll(/class="u-label">([^<]*)</g)].map((match) => match[1]!).slice(1);
    expect(labels('throughput')).toEqual(['wire']);
    expect(labels('cpu')).toEqual(['alice', 'bob']);
  }, 90_000);

  it('draws, in the screenshot, bars on the timeline and the throughput rising above the axis', async () => {
    const dom = await chromium(['--dump-dom', `file://${page}`]);
    const shot = join(dir, 'shot.png');
    await chromium([`--screenshot=${shot}`, `file://${page}`]);
    const picture = decodePng(readFileSync(shot));
    expect([picture.width, picture.height]).toEqual([WINDOW.width, WINDOW.height]);
    const [timeline, throughput, cpu] = ['timeline', 'throughput', 'cpu'].map((id) => plotBox(dom, id)) as [Box, Box, Box];
    expect(cpu.y + cpu.height).toBeLessThanOrEqual(WINDOW.height);
    // Three bars of 16 px, the shortest a few pixels wide; the megabyte's line reaches well above the chart's bottom tenth; CPU lines are drawn.
    expect(colouredPixels(picture, timeline)).toBeGreaterThan(3 * 16 * 10);
    expect(colouredPixels(picture, throughput, 0, 0.9)).toBeGreaterThan(100);
    expect(colouredPixels(picture, cpu)).toBeGreaterThan(cpu.width);
    // Outside the charts the page is white: a blank page would be white everywhere.
    expect(colouredPixels(picture, { x: 0, y: WINDOW.height - 20, width: WINDOW.width, height: 20 })).toBe(0);
  }, 90_000);
});

describe('simterpose plot, given no report it can draw', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simterpose-plot-bad-'));

  it.each([
    ['a missing file', 'missing.json', undefined, /^simterpose: report not found: .*missing\.json\n$/],
    ['a file that is not JSON', 'text.json', 'hello', /^simterpose: .*text\.json is not JSON: .+\n$/],
    ['a report of an older version', 'old.json', '{"version": 3}', /^simterpose: .*old\.json is not a simterpose report: it is of version 3, .+\n$/],
    [
      'a report without its usage',
      'partial.json',
      JSON.stringify({
        version: 5,
        run: { command: ['x'], platform: { path: 'p.xml' }, deployment: null },
        virtualTime: 1,
        hosts: [],
        processes: [],
        faults: [],
      }),
      /^simterpose: .*partial\.json is not a simterpose report: usage is missing\n$/,
    ],
  ])('says so in one line and exits with 2 for %s', async (_, name, content, message) => {
    const path = join(dir, name);
    if (content !== undefined) writeFileSync(path, content);
    const result = await runCli(['plot', path]);
    expect(result.stderr).toMatch(message);
    expect(shellStatus(result)).toBe(2);
    expect(existsSync(path.replace(/\.json$/, '.html'))).toBe(false);
  });
});
