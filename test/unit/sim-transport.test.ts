import { describe, expect, it } from 'vitest';
import type { MediatorObserver } from '../../src/mediator/observer.js';
import { Scheduler } from '../../src/mediator/loop/scheduler.js';
import { CROSSING_GRAIN_BYTES, SHORTEST_LOOK_PERIOD, SimTransport } from '../../src/mediator/sockets/sim-transport.js';
import { loadSimulationFromString } from '../../src/sim/index.js';

/*
 * The mediator's transport over the real WebAssembly engine: a followed
 * stream is looked at while SimGrid carries its transfers, and each transfer
 * says how many of its bytes crossed. Under simterpose's default settings a
 * comm pays the route's latency, then runs at the bandwidth of its link when
 * alone on it (see sim.test.ts for where this comes from).
 */
const LATENCY = 1e-3;
const RATE = 10e6;
const PERIOD = CROSSING_GRAIN_BYTES / 10e6;

/** Two hosts joined by one link of this bandwidth (bytes per second) and a latency of 1 ms. */
const platform = (bandwidth: number): string => `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="l" bandwidth="${bandwidth}Bps" latency="1ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>
  </zone>
</platform>
`;

async function setup(bandwidth = 10e6) {
  const sim = await loadSimulationFromString(platform(bandwidth));
  const scheduler = new Scheduler(sim);
  const comms: string[] = [];
  const observer = {
    commStarted: () => comms.push('started') && comms.length,
    commCrossing: () => comms.push('crossing'),
    commEnded: () => comms.push('ended'),
  } as unknown as MediatorObserver;
  const transport = new SimTransport(
    sim,
    scheduler,
    new Map([
      ['a', 0],
      ['b', 1],
    ]),
    observer,
  );
  /** Advances virtual time until nothing is pending or due. */
  const runOut = (): void => {
    while (scheduler.advance());
  };
  return { transport, scheduler, comms, runOut };
}

describe("the mediator's transport", () => {
  it('looks at a followed stream every grain of bandwidth, and its transfer says how many bytes SimGrid carried', async () => {
    const { transport, scheduler, comms, runOut } = await setup();
    const bytes = 1e6;
    let deliveredAt: number | undefined;
    const transfer = transport.start('a', 'b', bytes, () => {
      deliveredAt = scheduler.now;
    });
    const seen: Array<{ date: number; crossed: number }> = [];
    transport.follow('a', 'b', () => {
      if (deliveredAt !== undefined) return false;
      seen.push({ date: scheduler.now, crossed: transfer.crossed() });
      return true;
    });
    runOut();

    expect(deliveredAt).toBeCloseTo(LATENCY + bytes / RATE, 9);
    expect(seen.map(({ date }) => date)).toEqual(seen.map((_, i) => (i + 1) * PERIOD));
    expect(seen).toHaveLength(Math.floor(deliveredAt! / PERIOD));
    for (const { date, crossed } of seen) {
      expect(Number.isInteger(crossed)).toBe(true);
      expect(Math.abs(crossed - Math.max(0, Math.floor((date - LATENCY) * RATE)))).toBeLessThanOrEqual(1);
    }
    expect(seen.at(-1)!.crossed).toBeLessThan(bytes);
    // The observer hears of the first bytes across once, before the transfer ends.
    expect(comms).toEqual(['started', 'crossing', 'ended']);
  });

  it('lets a stream hold bytes once a control segment measured the latency: what the link carries meanwhile, and until the next look', async () => {
    const { transport, runOut } = await setup();
    expect(transport.holdAbove('a', 'b')).toBe(Infinity);
    transport.start('a', 'b', 1000, () => {});
    runOut();
    expect(transport.holdAbove('a', 'b')).toBe(Infinity); // a transfer with bytes takes more than the latency
    transport.start('a', 'b', 0, () => {});
    runOut();
    expect(transport.holdAbove('a', 'b')).toBeCloseTo(LATENCY * 10e6 + CROSSING_GRAIN_BYTES, 3);
    expect(transport.holdAbove('b', 'a')).toBe(Infinity); // measured for one direction only
  });

  it('on a link where a grain crosses faster than SHORTEST_LOOK_PERIOD, looks that often and holds what crosses meanwhile', async () => {
    const bandwidth = 12.5e9; // 100 Gbit/s: a grain crosses in 21 µs
    expect(CROSSING_GRAIN_BYTES / bandwidth).toBeLessThan(SHORTEST_LOOK_PERIOD);
    const { transport, scheduler, runOut } = await setup(bandwidth);
    transport.start('a', 'b', 0, () => {});
    runOut();
    const start = scheduler.now;
    expect(transport.holdAbove('a', 'b')).toBeCloseTo((LATENCY + SHORTEST_LOOK_PERIOD) * bandwidth, 0);
    let delivered = false;
    // Delivered at L + N/B = 13.24 ms, between two looks: one look every 100 µs until then.
    const bytes = 153e6;
    transport.start('a', 'b', bytes, () => {
      delivered = true;
    });
    const dates: number[] = [];
    transport.follow('a', 'b', () => {
      if (delivered) return false;
      dates.push(scheduler.now - start);
      return true;
    });
    runOut();
    expect(dates).toHaveLength(Math.floor((LATENCY + bytes / bandwidth) / SHORTEST_LOOK_PERIOD));
    for (const [i, date] of dates.entries()) expect(date).toBeCloseTo((i + 1) * SHORTEST_LOOK_PERIOD, 12);
  });

  it('two transfers sharing the link cross alike, each at half the rate', async () => {
    const { transport, scheduler, runOut } = await setup();
    const delivered: number[] = [];
    const transfers = [0, 1].map(() => transport.start('a', 'b', 1e6, () => delivered.push(scheduler.now)));
    const seen: number[][] = [];
    transport.follow('a', 'b', () => {
      if (delivered.length > 0) return false;
      seen.push(transfers.map((transfer) => transfer.crossed()));
      return true;
    });
    runOut();
    expect(delivered[0]).toBeCloseTo(LATENCY + 2e6 / RATE, 9);
    expect(delivered).toEqual([delivered[0], delivered[0]]);
    expect(seen.length).toBeGreaterThan(5);
    for (const [i, [first, second]] of seen.entries()) {
      expect(first).toBe(second);
      expect(Math.abs(first! - Math.max(0, ((i + 1) * PERIOD - LATENCY) * (RATE / 2)))).toBeLessThanOrEqual(1);
    }
  });
});
