import type { FaultMark, HostRow, ProcessOutcome } from './extract.js';

/** The timeline's geometry, in CSS pixels: drawn at this size, whatever the window. */
export const TIMELINE_WIDTH = 1100;
const LABEL_WIDTH = 140;
const RIGHT_MARGIN = 20;
const LANE_HEIGHT = 20;
const BAR_HEIGHT = 16;
const ROW_PADDING = 6;
const AXIS_HEIGHT = 28;
const TOP_MARGIN = 18;
/** About the widest character of a bar's 11 px label: a name is written on its bar only where it fits. */
const LABEL_CHAR_WIDTH = 7;

export const OUTCOME_COLOURS: Record<ProcessOutcome, string> = {
  succeeded: '#2f7ed8',
  failed: '#d9534f',
  stopped: '#8e6bbf',
};
const FAULT_COLOUR = '#e8830c';

/** Text for SVG and HTML: the five characters markup gives a meaning escaped. */
export function escapeMarkup(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A tick step of 1, 2 or 5 times a power of ten that gives at most about ten ticks over `span`. */
export function tickStep(span: number): number {
  if (!(span > 0)) return 1;
  const rough = span / 10;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((step) => step >= rough)!;
}

/**
 * The timeline as an SVG: a row per host (a `g.host-row` with its name in
 * `data-host`), each process a bar from its start to its end coloured by how
 * it ended (its details in a tooltip), each fault a dashed line across every
 * row, and an axis of virtual seconds below.
 */
export function timelineSvg(rows: readonly HostRow[], faults: readonly FaultMark[], virtualTime: number): string {
  const plotWidth = TIMELINE_WIDTH - LABEL_WIDTH - RIGHT_MARGIN;
  const span = virtualTime > 0 ? virtualTime : 1;
  const xOf = (date: number): number => LABEL_WIDTH + (plotWidth * date) / span;
  const parts: string[] = [];
  let y = TOP_MARGIN;
  for (const [index, row] of rows.entries()) {
    const height = Math.max(1, row.lanes.length) * LANE_HEIGHT + 2 * ROW_PADDING;
    const bars = row.lanes.flatMap((lane, laneIndex) =>
      lane.map((bar) => {
        const x = xOf(bar.start);
        // A process that lived no virtual time still shows as a sliver.
        const width = Math.max(2, xOf(bar.end) - x);
        const barY = y + ROW_PADDING + laneIndex * LANE_HEIGHT + (LANE_HEIGHT - BAR_HEIGHT) / 2;
        const name = `${bar.command} ${bar.pid}`;
        const label =
          name.length * LABEL_CHAR_WIDTH + 8 <= width
            ? `<text x="${fixed(x + 4)}" y="${fixed(barY + BAR_HEIGHT - 4)}" class="bar-label">${escapeMarkup(name)}</text>`
            : '';
        return (
          `<g class="process ${bar.outcome}"><title>${escapeMarkup(bar.detail)}</title>` +
          `<rect x="${fixed(x)}" y="${fixed(barY)}" width="${fixed(width)}" height="${BAR_HEIGHT}" rx="2" fill="${OUTCOME_COLOURS[bar.outcome]}"/>${label}</g>`
        );
      }),
    );
    parts.push(
      `<g class="host-row" data-host="${escapeMarkup(row.host)}">` +
        `<rect x="0" y="${y}" width="${TIMELINE_WIDTH}" height="${height}" fill="${index % 2 === 0 ? '#f4f6f9' : '#ffffff'}"/>` +
        `<text x="8" y="${y + height / 2 + 4}" class="host-label">${escapeMarkup(row.host)}</text>${bars.join('')}</g>`,
    );
    y += height;
  }
  const rowsBottom = y;
  const step = tickStep(span);
  const ticks: string[] = [];
  for (let i = 0; i * step <= span * (1 + 1e-9); i++) {
    const x = xOf(i * step);
    ticks.push(
      `<line x1="${fixed(x)}" y1="${rowsBottom}" x2="${fixed(x)}" y2="${rowsBottom + 5}" stroke="#555"/>` +
        `<text x="${fixed(x)}" y="${rowsBottom + 18}" text-anchor="middle" class="tick">${Number((i * step).toPrecision(6))}</text>`,
    );
  }
  const axis = `<g class="axis"><line x1="${LABEL_WIDTH}" y1="${rowsBottom}" x2="${LABEL_WIDTH + plotWidth}" y2="${rowsBottom}" stroke="#555"/>${ticks.join('')}</g>`;
  const marks = faults.map((mark) => {
    const x = fixed(xOf(mark.date));
    return (
      `<g class="fault"><title>${escapeMarkup(`${mark.fault} at ${mark.date} s`)}</title>` +
      `<line x1="${x}" y1="${TOP_MARGIN - 4}" x2="${x}" y2="${rowsBottom}" stroke="${FAULT_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>` +
      `<text x="${x}" y="${TOP_MARGIN - 6}" text-anchor="${anchorAt(mark.date / span)}" class="fault-label">${escapeMarkup(mark.fault)}</text></g>`
    );
  });
  const height = rowsBottom + AXIS_HEIGHT;
  return (
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${TIMELINE_WIDTH}" height="${height}" viewBox="0 0 ${TIMELINE_WIDTH} ${height}">` +
    `${parts.join('')}${axis}${marks.join('')}</svg>`
  );
}

/** A label near an end of the axis runs inwards, so that it stays on the page. */
function anchorAt(fraction: number): 'start' | 'middle' | 'end' {
  return fraction < 0.2 ? 'start' : fraction > 0.8 ? 'end' : 'middle';
}

/** Coordinates to a hundredth of a pixel: shorter text, the same picture. */
function fixed(value: number): string {
  return String(Math.round(value * 100) / 100);
}
