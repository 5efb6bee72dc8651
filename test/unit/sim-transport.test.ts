import { describe, expect, it } from 'vitest';
import type { MediatorObserver } from '../../src/mediator/observer.js';
import { Scheduler } from '../../src/mediator/loop/scheduler.js';
import { SHORTEST_LOOK_PERIOD, SimTransport } from '../../src/mediator/sockets/sim-transport.js';
import { loadSimulationFromString } from '../../src/sim/index.js';

/*
 * The mediator's transport over the real WebAssembly engine: a followed
 * connection is looked at as often as it asks while SimGrid carries its
 * transfers, and each transfer says how many of its bytes crossed. Under
 * simterpose's default settings a comm pays the route's latency, then runs
 * at the bandwidth of its link when alone on it (see sim.test.ts for where
 * this comes from).
 */
const LATENCY = 1e-3;
const RATE = 10e6;
/** How often the tests ask to look. */
const PERIOD = 0.025;

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
  it('looks at a followed connection as often as asked, and its transfer says how many bytes SimGrid carried', async () => {
    const { transport, scheduler, comms, runOut } = await setup();
    const bytes = 1e6;
    let deliveredAt: number | undefined;
    const transfer = transport.start('a', 'b', bytes, bytes, () => {
      deliveredAt = scheduler.now;
    });
    const seen: Array<{ date: number; crossed: number }> = [];
    transport.follow('a', 'b', PERIOD, () => {
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

  it('runs protocol timers at their date on the virtual clock', async () => {
    const { transport, scheduler, runOut } = await setup();
    const fired: number[] = [];
    transport.after(0.04, () => fired.push(transport.now()));
    transport.after(0.2, () => fired.push(transport.now()));
    transport.start('a', 'b', 1000, 1000, () => fired.push(scheduler.now));
    runOut();
    expect(fired).toEqual([LATENCY + 1000 / RATE, 0.04, 0.2]);
  });

  it('looks no more often than every SHORTEST_LOOK_PERIOD, whatever a connection asks', async () => {
    const bandwidth = 12.5e9; // 100 Gbit/s
    const { transport, scheduler, runOut } = await setup(bandwidth);
    const start = scheduler.now;
    let delivered = false;
    // Delivered at L + N/B = 13.24 ms, between two looks: one look every 100 µs until then.
    const bytes = 153e6;
    transport.start('a', 'b', bytes, bytes, () => {
      delivered = true;
    });
    const dates: number[] = [];
    transport.follow('a', 'b', SHORTEST_LOOK_PERIOD / 10, () => {
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
    const transfers = [0, 1].map(() => transport.start('a', 'b', 1e6, 1e6, () => delivered.push(scheduler.now)));
    const seen: number[][] = [];
    transport.follow('a', 'b', PERIOD, () => {
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

describe("a route's bottleneck, where its queue forms", () => {
  async function bottleneckOf(platformXml: string, hosts: string[], from: string, to: string) {
    const sim = await loadSimulationFromString(platformXml);
    const transport = new SimTransport(sim, new Scheduler(sim), new Map(hosts.map((host, index) => [host, index])), undefined);
    return transport.bottleneck(from, to);
  }

  it("is the sender's own link when the first of several is the narrowest (the first of equals): its interface queue", async () => {
    // Each node's private link (10 Gbit/s) is narrower than the backbone: the route crosses the sender's, the backbone and the receiver's.
    const cluster = `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="c" prefix="n" suffix="" radical="0-2" speed="1Gf" bw="1.25GBps" lat="2us" bb_bw="12.5GBps" bb_lat="1us"/>
</platform>
`;
    const found = await bottleneckOf(cluster, ['n0', 'n1', 'n2'], 'n1', 'n2');
    expect(found).toMatchObject({ link: 'c_link_1_UP', bytesPerSecond: 1.25e9, atSender: true });
    expect(found!.routeLatency).toBeCloseTo(5e-6, 12);
  });

  it("is a router's on the way when the route is one link (the whole path), or when it narrows further on", async () => {
    expect(await bottleneckOf(platform(10e6), ['a', 'b'], 'a', 'b')).toMatchObject({ link: 'l', atSender: false });
    const narrowingFurther = `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <zone id="z" routing="Full">
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="nic" bandwidth="125MBps" latency="10us"/>
    <link id="wan" bandwidth="12.5MBps" latency="10ms"/>
    <route src="a" dst="b"><link_ctn id="nic"/><link_ctn id="wan"/></route>
  </zone>
</platform>
`;
    expect(await bottleneckOf(narrowingFurther, ['a', 'b'], 'a', 'b')).toMatchObject({ link: 'wan', atSender: false });
  });
});
