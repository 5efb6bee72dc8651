import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { packagePath } from '../package-root.js';
import { formatDuration } from '../report/units.js';
import type { Chart, PlotData } from './extract.js';
import { OUTCOME_COLOURS, TIMELINE_WIDTH, escapeMarkup, timelineSvg } from './timeline-svg.js';

/** uPlot's script and style, read from its package to be inlined: the page needs no network to be viewed. */
function uplotAssets(): { script: string; style: string } {
  const require = createRequire(packagePath('package.json'));
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    style: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** JSON inside a script element: `<` escaped so that no string in it can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * Draws the charts from the data element with uPlot, one line per series,
 * in steps (each value holds over its interval); then writes on each chart's
 * section the box of its plotting area (`data-plot-box`: x,y,width,height in
 * CSS pixels of the page), which tests read to look at those pixels.
 */
const CHARTS_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('plot-data').textContent);
  var palette = ['#2f7ed8', '#e8830c', '#3aa655', '#d9534f', '#8e6bbf', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var width = ${TIMELINE_WIDTH};
  function draw(id, chart) {
    var section = document.getElementById(id);
    var target = section.querySelector('.chart');
    if (chart.series.length === 0) {
      target.textContent = section.getAttribute('data-empty');
      return;
    }
    var step = uPlot.paths.stepped({ align: 1 });
    var series = [{ label: 'virtual time (s)' }].concat(chart.series.map(function (s, i) {
      return { label: s.name, stroke: palette[i % palette.length], width: 2, paths: step, points: { show: false } };
    }));
    new uPlot({
      width: width,
      height: 260,
      scales: { x: { time: false }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.05 : 1]; } } },
      axes: [{ label: 'virtual time (s)' }, { label: chart.unit, size: 70 }],
      series: series,
    }, [chart.x].concat(chart.series.map(function (s) { return s.values; })), target);
  }
  draw('throughput', data.throughput);
  draw('cpu', data.cpu);
  queueMicrotask(function () {
    document.querySelectorAll('section').forEach(function (section) {
      var area = section.querySelector('.u-over') || section.querySelector('svg.timeline');
      if (area === null) return;
      var box = area.getBoundingClientRect();
      section.setAttribute('data-plot-box', [box.left + window.scrollX, box.top + window.scrollY, box.width, box.height].map(Math.round).join(','));
    });
    document.body.setAttribute('data-drawn', 'yes');
  });
})();
`;

const PAGE_STYLE = `
body { font-family: system-ui, sans-serif; margin: 16px 24px; color: #222; background: #ffffff; }
h1 { font-size: 18px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 20px 0 6px; }
p.run { margin: 0 0 8px; color: #555; font-size: 13px; }
.legend { font-size: 12px; color: #555; }
.legend span { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; border-radius: 2px; }
svg.timeline text { font-size: 12px; fill: #222; }
svg.timeline text.bar-label { fill: #fff; font-size: 11px; pointer-events: none; }
svg.timeline text.fault-label { fill: #b35c00; font-size: 11px; }
svg.timeline text.tick { fill: #555; font-size: 11px; }
.chart { font-size: 12px; }
`;

function counted(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** The whole self-contained page for `simterpose plot`: the timeline drawn here, the two charts by uPlot in the browser. */
export function plotPage(data: PlotData): string {
  const { script, style } = uplotAssets();
  const legend = Object.entries(OUTCOME_COLOURS)
    .map(([outcome, colour]) => `<span style="background:${colour}"></span>${outcome}`)
    .join('');
  const chartSection = (id: string, title: string, chart: Chart, what: string, empty: string): string => {
    const which = chart.series.length < chart.of ? `, the ${chart.series.length} busiest of ${chart.of} ${what}` : '';
    return `<section id="${id}" data-empty="${escapeMarkup(empty)}"><h2>${escapeMarkup(`${title} (${chart.unit}${which})`)}</h2><div class="chart"></div></section>`;
  };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeMarkup(`simterpose: ${data.title}`)}</title>
<!-- uPlot (https://github.com/leeoniya/uPlot), MIT license, copyright Leon Sorokin: its script and style are inlined below. -->
<style>${style}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<h1>${escapeMarkup(data.title)}</h1>
<p class="run">virtual time ${escapeMarkup(formatDuration(data.virtualTime))}, ${counted(
    data.rows.reduce((sum, row) => sum + row.lanes.flat().length, 0),
    'process',
    'processes',
  )} on ${counted(data.rows.length, 'host', 'hosts')}${data.faults.length > 0 ? `, ${counted(data.faults.length, 'fault', 'faults')}` : ''}</p>
<section id="timeline"><h2>Hosts and processes</h2><div class="legend">${legend}</div>${timelineSvg(data.rows, data.faults, data.virtualTime)}</section>
${chartSection('throughput', 'Throughput of each link', data.throughput, 'links', 'No payload crossed a link.')}
${chartSection('cpu', 'CPU use of each host', data.cpu, 'hosts', 'No host of the report.')}
<script type="application/json" id="plot-data">${scriptJson({ throughput: data.throughput, cpu: data.cpu })}</script>
<script>${script}</script>
<script>${CHARTS_SCRIPT}</script>
</body>
</html>
`;
}
