import { formatDuration } from './units.js';

export interface ProgressSample {
  /** Virtual seconds. */
  virtualTime: number;
  /** Events handled so far (tracee stops). */
  events: number;
  /** Processes alive. */
  alive: number;
}

/** The text of the progress line: `virtual 1.5 s · 12.3k events/s · 4 processes alive`. */
export function formatProgress(sample: ProgressSample, eventsPerSecond: number): string {
  const rate = eventsPerSecond >= 1000 ? `${Number((eventsPerSecond / 1000).toPrecision(3))}k` : String(Math.round(eventsPerSecond));
  return `simterpose: virtual ${formatDuration(sample.virtualTime)} · ${rate} events/s · ${sample.alive} process${sample.alive === 1 ? '' : 'es'} alive`;
}

const ERASE_LINE = '\r\x1b[K';

/**
 * A line on a terminal, redrawn from a wall-clock timer. The mediator's loop
 * lets the event loop run every few tens of milliseconds, so the timer costs
 * the loop nothing and fires at most every `intervalMs`.
 */
export class ProgressLine {
  private timer: NodeJS.Timeout | undefined;
  private shown = false;
  private last: { at: number; events: number } = { at: 0, events: 0 };

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly sample: () => ProgressSample,
    private readonly intervalMs = 250,
  ) {}

  start(): void {
    this.last = { at: performance.now(), events: this.sample().events };
    this.timer = setInterval(() => this.draw(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes the line away (before other output, and at the end). */
  erase(): void {
    if (!this.shown) return;
    this.stream.write(ERASE_LINE);
    this.shown = false;
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.erase();
  }

  private draw(): void {
    const sample = this.sample();
    const at = performance.now();
    const rate = ((sample.events - this.last.events) * 1000) / Math.max(1, at - this.last.at);
    this.last = { at, events: sample.events };
    this.stream.write(`${ERASE_LINE}${formatProgress(sample, rate)}`);
    this.shown = true;
  }
}
