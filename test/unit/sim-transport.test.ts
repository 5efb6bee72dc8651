import { describe, expect, it } from 'vitest';
import type { MediatorObserver } from '../../src/mediator/events.js';
import { Scheduler } from '../../src/mediator/scheduler.js';
import { CROSSING_GRAIN_BYTES, SimTransport } from '../../src/mediator/sim-transport.js';
import { loadSimulationFromString } from '../../src/sim/index.js';

/*
 * The mediator's transport over the real WebAssembly engine: a TCP stream's
 * transfer is looked at while SimGrid carries it, and its reader is told how
 * many bytes crossed. Under SimGrid's default model a comm pays 13.01 times
 * the route's latency, then runs at 0.97 / 1.05 of the bandwidth alone on its
 * link (see sim.test.ts for where these factors come from).
 */
const LATENCY = 13.01 * 1e-3;
const RATE = (0.97 * 10e6) / 1.05;

const platform = `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="l" bandwidth="10MBps" latency="1ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>
  </zone>
</platform>
`;

interface Seen {
  date: number;
  crossed: number;
}

async function setup() {
  const sim = await loadSimulationFromString(platform);
  const scheduler = new Scheduler(sim);
  const comms: string[] = [];
  const observer = {
    commStarted: () => comms.push('started') && comms.length,
    commCrossing: () => comms.push('crossing'),
    commEnded: () => comms.push('ended'),
  } as unknown as MediatorObserver;
  const transport = new SimTransport(sim, scheduler, new Map([['a', 0], ['b', 1]]), observer);
  /** Advances virtual time until nothing is pending; returns the date it stopped at. */
  const runOut = (): number => {
    while (scheduler.advance());
    return scheduler.now;
  };
  return { transport, scheduler, comms, runOut };
}

describe("the mediator's transport", () => {
  it("tells a stream's reader the bytes SimGrid has carried, a grain at a time, then delivers the rest at the end", async () => {
    const { transport, scheduler, comms, runOut } = await setup();
    const bytes = 1e6;
    const seen: Seen[] = [];
    let deliveredAt: number | undefined;
    transport.start('a', 'b', bytes, () => { deliveredAt = scheduler.now; }, (crossed) => seen.push({ date: scheduler.now, crossed }));
    runOut();

    expect(deliveredAt).toBeCloseTo(LATENCY + bytes / RATE, 9);
    const period = CROSSING_GRAIN_BYTES / 10e6;
    expect(seen.length).toBe(Math.floor(deliveredAt! / period) - Math.floor(LATENCY / period));
    for (const [i, { date, crossed }] of seen.entries()) {
      expect(Number.isInteger(crossed)).toBe(true);
      expect(crossed).toBeGreaterThan(i === 0 ? 0 : seen[i - 1]!.crossed);
      expect(crossed).toBeLessThan(bytes);
      expect(Math.abs(crossed - (date - LATENCY) * RATE)).toBeLessThan(1 + 1e-6 * bytes);
    }
    expect(comms).toEqual(['started', 'crossing', 'ended']);
  });

  it('looks at every followed transfer of a route with one timer, and lets a control segment cross whole', async () => {
    const { transport, scheduler, runOut } = await setup();
    const crossings: Array<[string, number]> = [];
    const delivered: Array<[string, number]> = [];
    for (const name of ['x', 'y']) {
      transport.start('a', 'b', 1e6, () => delivered.push([name, scheduler.now]), (crossed) => crossings.push([name, crossed]));
    }
    transport.start('a', 'b', 0, () => delivered.push(['fin', scheduler.now]));
    runOut();
    // Two equal transfers share the link: each runs at half the rate, they end together.
    expect(delivered.map(([name]) => name)).toEqual(['fin', 'x', 'y']);
    expect(delivered[1]![1]).toBeCloseTo(LATENCY + 2e6 / RATE, 9);
    const ofX = crossings.filter(([name]) => name === 'x').map(([, crossed]) => crossed);
    const ofY = crossings.filter(([name]) => name === 'y').map(([, crossed]) => crossed);
    expect(ofX.length).toBeGreaterThan(2);
    expect(ofX).toEqual(ofY);
  });

  it('does not look at a route carrying less than a grain of streams: its transfers arrive whole', async () => {
    const { transport, runOut } = await setup();
    const crossings: number[] = [];
    let delivered = 0;
    for (let i = 0; i < 3; i++) transport.start('a', 'b', CROSSING_GRAIN_BYTES / 4, () => delivered++, (crossed) => crossings.push(crossed));
    expect(runOut()).toBeCloseTo(LATENCY + (3 * CROSSING_GRAIN_BYTES) / 4 / RATE, 9);
    expect(delivered).toBe(3);
    expect(crossings).toEqual([]);
  });
});
