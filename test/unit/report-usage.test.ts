import { describe, expect, it } from 'vitest';
import type { Thread } from '../../src/mediator/tracees/tracees.js';
import { RunRecorder } from '../../src/report/recorder.js';
import { FIRST_INTERVAL, MAX_INTERVALS, UsageSeries } from '../../src/report/usage.js';

const exact = (amount: number): number => amount;
const sum = (amounts: number[]): number => amounts.reduce((total, amount) => total + amount, 0);

describe("the report's usage over time", () => {
  it('spreads an amount evenly over the intervals its activity covers, in proportion to the time it spent in each', () => {
    const series = new UsageSeries();
    const interval = series.interval;
    // From the middle of interval 1 to the end of interval 3: half an interval, then two whole ones.
    series.add('wire', 500, 1.5 * interval, 4 * interval);
    expect(series.amountsUntil(5 * interval, 'wire', exact).map((amount) => Math.round(amount))).toEqual([0, 100, 200, 200, 0]);
  });

  it('puts an amount without duration in the interval of its date', () => {
    const series = new UsageSeries();
    series.add('cpu', 7, 2.5 * FIRST_INTERVAL, 2.5 * FIRST_INTERVAL);
    expect(series.amountsUntil(3 * FIRST_INTERVAL, 'cpu', exact)).toEqual([0, 0, 7]);
  });

  it('keeps every name apart, and gives zeros for a name never used', () => {
    const series = new UsageSeries();
    series.add('a', 1, 0, 0);
    series.add('b', 2, 0, 0);
    expect(series.amountsUntil(FIRST_INTERVAL, 'a', exact)).toEqual([1]);
    expect(series.amountsUntil(FIRST_INTERVAL, 'b', exact)).toEqual([2]);
    expect(series.amountsUntil(2 * FIRST_INTERVAL, 'c', exact)).toEqual([0, 0]);
  });

  it('doubles its interval, merging intervals in pairs, to hold a long run in at most MAX_INTERVALS numbers, with the same total', () => {
    const series = new UsageSeries();
    for (let i = 0; i < 50; i++) series.add('wire', 1, i * FIRST_INTERVAL, i * FIRST_INTERVAL);
    // An hour later: the interval is a millisecond times a power of two, at least an hour over MAX_INTERVALS.
    series.add('wire', 1000, 3600, 3601);
    const amounts = series.amountsUntil(3700, 'wire', exact);
    const { interval } = series;
    expect(Number.isInteger(Math.log2(interval / 1e-3))).toBe(true);
    expect(interval).toBeGreaterThanOrEqual(3700 / MAX_INTERVALS);
    expect(interval / 2).toBeLessThan(3700 / MAX_INTERVALS);
    expect(amounts).toHaveLength(Math.ceil(3700 / interval));
    expect(amounts.length).toBeLessThanOrEqual(MAX_INTERVALS);
    expect(amounts[0]).toBe(50);
    expect(sum(amounts)).toBeCloseTo(1050, 9);
    // The hour's second falls in the interval that holds date 3600 (and the next, where it crosses one).
    const first = Math.floor(3600 / interval);
    expect(amounts[first]! + (amounts[first + 1] ?? 0)).toBeCloseTo(1000, 9);
  });

  it('gives one interval for a run that took no time', () => {
    expect(new UsageSeries().amountsUntil(0, 'any', exact)).toEqual([0]);
  });

  it('rounds each amount as asked', () => {
    const series = new UsageSeries();
    series.add('cpu', 1 / 3, 0, 0);
    expect(series.amountsUntil(FIRST_INTERVAL, 'cpu', (amount) => Math.round(amount * 100) / 100)).toEqual([0.33]);
  });
});

describe("a link's usage in the report", () => {
  const I = FIRST_INTERVAL;
  const recorder = (latency: number) =>
    new RunRecorder({ timeline: false, hostOf: () => undefined, route: () => ({ links: ['wire', 'router'], latency }), hostSpeed: () => 1e9 });
  /** What the mediator's loop tells the recorder when a thread runs: the recorder may look at transfers then. */
  const someThread = {} as Thread;
  const bytesOf = (report: ReturnType<RunRecorder['usageReport']>, link: string) =>
    report.links.find((l) => l.name === link)!.bytes.map((bytes) => Math.round(bytes * 10) / 10);

  it('counts the bytes a transfer carried since it was last looked at, once the clock enters a new interval, then the rest at its end', () => {
    const run = recorder(0);
    let crossed = 0;
    const token = run.commStarted('alice', 'bob', 1000, 0, () => crossed);
    crossed = 0.6;
    // Not looked at within the first interval: the bytes that crossed by then are counted in the next look.
    run.running(someThread, 0.5 * I);
    run.running(someThread, 1.5 * I);
    crossed = 1;
    run.commEnded(token, 3 * I);
    const report = run.usageReport(
      3 * I,
      [],
      [
        { name: 'wire', bandwidth: 1e9 },
        { name: 'router', bandwidth: 1e9 },
      ],
    );
    // 600 bytes over [0, 1.5 I), then 400 over [1.5 I, 3 I), on every link of the route.
    expect(bytesOf(report, 'wire')).toEqual([400, 333.3, 266.7]);
    expect(bytesOf(report, 'router')).toEqual(bytesOf(report, 'wire'));
  });

  it("counts no bytes during the route's latency, when none flow", () => {
    const run = recorder(0.5 * I);
    let crossed = 0;
    const token = run.commStarted('alice', 'bob', 1000, 0, () => crossed);
    crossed = 0.6;
    run.running(someThread, 1.5 * I);
    crossed = 1;
    run.commEnded(token, 2 * I);
    const report = run.usageReport(2 * I, [], [{ name: 'wire', bandwidth: 1e9 }]);
    expect(bytesOf(report, 'wire')).toEqual([300, 700]);
  });

  it('counts what crossed of a cancelled transfer, all of one cut where SimGrid no longer tells (as the link totals), and never looks at either again', () => {
    const run = recorder(0);
    let lost = false;
    const shareUntilLost = (share: number) => () => {
      if (lost) throw new Error('SimGrid: no such running activity');
      return share;
    };
    const cancelled = run.commStarted('alice', 'bob', 1000, 0, shareUntilLost(0.25));
    const cut = run.commStarted('alice', 'bob', 400, 0, shareUntilLost(0.5));
    // At I the cancelled one's 250 bytes count, and the other's 200 that crossed by then; the cut one's other 200 when it is cut.
    run.commLost(cancelled, I, 0.25);
    run.commLost(cut, I, undefined);
    lost = true;
    run.running(someThread, 2.5 * I);
    const report = run.usageReport(3 * I, [], [{ name: 'wire', bandwidth: 1e9 }]);
    expect(bytesOf(report, 'wire')).toEqual([450, 200, 0]);
  });

  it('counts a transfer still under way at the end of the run as ending then, and none of a control segment', () => {
    const run = recorder(0);
    run.commStarted('alice', 'bob', 0, 0, () => 0);
    run.commStarted('alice', 'bob', 800, I, () => 0);
    const report = run.usageReport(3 * I, [], [{ name: 'wire', bandwidth: 1e9 }]);
    expect(bytesOf(report, 'wire')).toEqual([0, 400, 400]);
  });
});
