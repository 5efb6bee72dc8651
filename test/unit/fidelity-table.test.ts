import { describe, expect, test } from 'vitest';
import { AWAITING_TCP_MODEL, PROFILES } from '../fidelity/config.js';
import { measuredLatencyMs } from '../fidelity/relay-check.js';
import { median, spread } from '../fidelity/stats.js';
import { failures, formatCsv, judgeRelay, judgeRow, relayLine } from '../fidelity/table.js';

const profile = PROFILES.find((candidate) => candidate.name === '10ms-10MBps')!;

describe('the fidelity table', () => {
  test("a row's spread is the interquartile range over the median: one delayed run does not widen it", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(spread([10, 10.1, 10.2, 10.3, 30])).toBeCloseTo(0.2 / 10.2);
    expect(spread([10, 12, 11])).toBeCloseTo(2 / 11);
  });

  test('a row is in within 10% of the real median, or 20% when the real runs spread more than 10%', () => {
    const steady = judgeRow(profile, '100MB', 's', [10, 10, 10, 10, 10], 10.9);
    expect([steady.bound, steady.verdict, steady.checked]).toEqual([0.1, 'in', true]);
    expect(judgeRow(profile, '100MB', 's', [10, 10, 10, 10, 10], 11.1).verdict).toBe('out');
    const spreading = judgeRow(profile, '100MB', 's', [8, 9, 10, 11, 12], 11.9);
    expect([spreading.bound, spreading.verdict]).toEqual([0.2, 'in']);
  });

  test('every row is checked today: none awaits the TCP model', () => {
    expect(AWAITING_TCP_MODEL).toEqual([]);
    expect(judgeRow(profile, 'two-flows-first', 's', [1.8, 1.8, 1.8], 2.2).checked).toBe(true);
  });

  test('rows awaiting the TCP model are judged and printed but fail nothing; checked rows and relays out of bounds do', () => {
    const awaiting = judgeRow(profile, 'two-flows-first', 's', [1.8, 1.8, 1.8], 2.2, ['10ms-10MBps/two-flows-first']);
    expect([awaiting.verdict, awaiting.checked]).toEqual(['out', false]);
    const checkedOut = judgeRow(profile, 'iperf3', 'Mbit/s', [75, 75, 75], 50);
    const relay = judgeRelay(
      profile,
      { pingRttMs: 20.1, expectedRttMs: 20, linkLatencyMs: 10.05, rateBytesPerSecond: 9.99e6, expectedBytesPerSecond: 10e6 },
      { late: 0, relayed: 10 },
    );
    expect(relay.verdict).toBe('in');
    expect(failures([awaiting, checkedOut], [relay])).toEqual(['10ms-10MBps iperf3']);
    const slowRelay = judgeRelay(
      profile,
      { pingRttMs: 20.1, expectedRttMs: 20, linkLatencyMs: 10.05, rateBytesPerSecond: 8e6, expectedBytesPerSecond: 10e6 },
      { late: 0, relayed: 10 },
    );
    expect(failures([awaiting], [slowRelay])).toEqual(['relay 10ms-10MBps']);
    expect(formatCsv([checkedOut], [relay]).split('\n')[3]).toBe('10ms-10MBps,iperf3,Mbit/s,75,0,50,0.6666666666666666,0.1,out,true,75 75 75');
  });

  test("simterpose's link has the latency the relay's ping measured, never under L, and the table says so", () => {
    expect(measuredLatencyMs(profile, 20.3)).toBeCloseTo(10.15);
    expect(measuredLatencyMs(profile, 19.9)).toBe(10);
    const relay = judgeRelay(
      profile,
      { pingRttMs: 20.3, expectedRttMs: 20, linkLatencyMs: 10.15, rateBytesPerSecond: 10e6, expectedBytesPerSecond: 10e6 },
      { late: 0, relayed: 10 },
    );
    expect(relayLine(relay)).toContain("simterpose's link latency 10.15 ms (ping RTT / 2)");
  });
});
