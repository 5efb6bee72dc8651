import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { loadSimulation, loadSimulationFromString } from '../../src/sim/index.js';
import { platformXml } from '../helpers/platform-xml.js';

/*
 * Dates under simterpose's default settings (src/sim/settings.ts:
 * network/model:CM02, network/crosstraffic:0, network/TCP-gamma:0), from
 * SimGrid 3.32's source:
 *  - src/surf/network_cm02.cpp:72-73: CM02 sets network/latency-factor and
 *    network/bandwidth-factor to 1, so a comm pays the route's latency L and
 *    gets at most the slowest link's bandwidth B;
 *  - without cross-traffic nothing charges the links of the way back, and
 *    with network/TCP-gamma at 0 no window bound caps the rate (a bound of 0
 *    is no bound for the solver, src/kernel/lmm/maxmin.cpp:117).
 * So one comm of N bytes alone on a route ends at L + N/B.
 *
 * SimGrid's own defaults are LV08 (src/surf/network_cm02.cpp:54-55: latency
 * x 13.01, bandwidth x 0.97) with cross-traffic on (NetworkModel.cpp:34:
 * each link of the way back is charged 0.05 of the flow, so on a shared link
 * crossed both ways a flow uses 1.05 units per byte) and network/TCP-gamma at
 * 4 MiB (a flow runs at most at 4 MiB / 2L): 13.01 L + 1.05 N / (0.97 B).
 */
const SIMGRID_DEFAULTS = ['network/model:LV08', 'network/crosstraffic:1', 'network/TCP-gamma:4194304'];

const twoHostsOneLink = platformXml(`
    <host id="a" speed="1Gf"/>
    <host id="b" speed="2Gf" core="2"/>
    <link id="l" bandwidth="10MBps" latency="1ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>`);

const chain = platformXml(`
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="fast" bandwidth="100MBps" latency="1ms"/>
    <link id="slow" bandwidth="10MBps" latency="2ms"/>
    <route src="a" dst="b"><link_ctn id="fast"/><link_ctn id="slow"/></route>`);

function expectDate(actual: number, expected: number): void {
  expect(Math.abs(actual - expected) / expected).toBeLessThan(1e-12);
}

describe('SimGrid WebAssembly engine: dates', () => {
  it('an exec of F flops alone on a host of speed S ends at F/S', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const id = sim.startExec('a', 3e9);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([id]);
    expectDate(clock, 3);
  });

  it('two execs on a one-core host share it: both end at 2F/S', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const x = sim.startExec('a', 1e9);
    const y = sim.startExec('a', 1e9);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([x, y]);
    expectDate(clock, 2);
  });

  it('two execs on a two-core host each get a core', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    sim.startExec('b', 2e9);
    sim.startExec('b', 2e9);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toHaveLength(2);
    expectDate(clock, 1);
  });

  it('one comm on one link ends at L + N/B under the default settings', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const n = 1e6;
    const id = sim.startComm('a', 'b', n);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([id]);
    expectDate(clock, 1e-3 + n / 10e6);
  });

  it("takes SimGrid configuration: under SimGrid's own defaults a comm ends at 13.01 L + 1.05 N / (0.97 B)", async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink, { cfg: SIMGRID_DEFAULTS });
    sim.startComm('a', 'b', 1e6);
    expectDate(sim.advance(Infinity).clock, 13.01 * 1e-3 + (1.05 * 1e6) / (0.97 * 10e6));
  });

  it("a long fat link runs at its bandwidth: no TCP window bound by default, 4 MiB / 2L with SimGrid's", async () => {
    const longFat = platformXml(`
    <host id="a" speed="1Gf"/>
    <host id="b" speed="1Gf"/>
    <link id="l" bandwidth="125MBps" latency="50ms"/>
    <route src="a" dst="b"><link_ctn id="l"/></route>`);
    const n = 100e6;
    const ours = await loadSimulationFromString(longFat);
    ours.startComm('a', 'b', n);
    expectDate(ours.advance(Infinity).clock, 0.05 + n / 125e6);
    const capped = await loadSimulationFromString(longFat, { cfg: ['network/TCP-gamma:4194304'] });
    capped.startComm('a', 'b', n);
    expectDate(capped.advance(Infinity).clock, 0.05 + n / (4194304 / (2 * 0.05)));
  });

  it('concurrent comms share the bottleneck link equally', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const n = 1e6;
    sim.startComm('a', 'b', n);
    sim.startComm('a', 'b', n);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toHaveLength(2);
    expectDate(clock, 1e-3 + (2 * n) / 10e6);
  });

  it('a multi-hop route adds up latencies and runs at its slowest link', async () => {
    const sim = await loadSimulationFromString(chain);
    expect(sim.route('a', 'b')).toEqual({ links: ['fast', 'slow'], latency: 3e-3 });
    const n = 1e6;
    sim.startComm('a', 'b', n);
    const { clock } = sim.advance(Infinity);
    expectDate(clock, 3e-3 + n / 10e6);
  });

  it('a short activity ends first and the longer one then gets the whole host', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const short = sim.startExec('a', 1e9);
    const long = sim.startExec('a', 2e9);
    const first = sim.advance(Infinity);
    expect(first.completed).toEqual([short]);
    expectDate(first.clock, 2); // shared until then: 1 Gflop each
    const second = sim.advance(Infinity);
    expect(second.completed).toEqual([long]);
    expectDate(second.clock, 3); // the last Gflop alone
  });
});

describe('SimGrid WebAssembly engine: clock and activities', () => {
  it('advance with nothing pending moves the clock to the deadline', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    expect(sim.now()).toBe(0);
    expect(sim.advance(2.5)).toEqual({ clock: 2.5, completed: [], failed: [] });
    expect(sim.now()).toBe(2.5);
  });

  it('advance with nothing pending and no deadline leaves the clock alone', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    sim.advance(1);
    expect(sim.advance(Infinity)).toEqual({ clock: 1, completed: [], failed: [] });
  });

  it('advance stops at the deadline when nothing completes before it, and the work goes on after', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const id = sim.startExec('a', 1e9);
    expect(sim.advance(0.25)).toEqual({ clock: 0.25, completed: [], failed: [] });
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([id]);
    expectDate(clock, 1);
  });

  it('returns all the completions of one date together, in id order', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const ids = [sim.startExec('b', 1e9), sim.startExec('a', 5e8), sim.startExec('b', 1e9)];
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual(ids);
    expectDate(clock, 0.5);
    expect(sim.pending()).toBe(0);
  });

  it('completions are still read right after the instance memory grew', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const first = sim.startExec('a', 1e9);
    expect(sim.advance(Infinity).completed).toEqual([first]); // the view over memory now exists
    // Growing detaches the buffer under that view. SimGrid only grows it after
    // many thousands of activities (seconds of work), so a block larger than
    // the whole memory forces it (a smaller one may fit in memory an earlier
    // simulation of this instance freed).
    const shim = (sim as unknown as { shim: { memory: WebAssembly.Memory; malloc(n: number): number } }).shim;
    const before = shim.memory.buffer.byteLength;
    expect(shim.malloc(before + (16 << 20))).not.toBe(0);
    expect(shim.memory.buffer.byteLength).toBeGreaterThan(before);
    const ids = [sim.startExec('b', 1e9), sim.startExec('b', 1e9)];
    expect(sim.advance(Infinity).completed).toEqual(ids);
  });

  it("a comm's remaining bytes are all of them during its latency, then fall at its share of the bandwidth", async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const n = 1e6;
    const id = sim.startComm('a', 'b', n);
    const latency = 1e-3;
    sim.advance(latency / 2);
    expect(sim.remaining(id)).toBe(n);
    const rate = 10e6;
    sim.advance(latency + 0.02);
    expect(Math.abs(sim.remaining(id) - (n - 0.02 * rate)) / n).toBeLessThan(1e-9);
    // Looking changes nothing: the comm still ends when it would have.
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([id]);
    expectDate(clock, latency + n / rate);
  });

  it("an exec's remaining flops fall at the host's speed; an id that is not running is an error", async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const id = sim.startExec('a', 1e9);
    sim.advance(0.25);
    expect(sim.remaining(id)).toBeCloseTo(0.75e9, 0);
    sim.advance(Infinity);
    sim.advance(Infinity); // the completed id is forgotten at the next advance
    expect(() => sim.remaining(id)).toThrow(/no such running activity/);
  });

  it('a cancelled activity is never reported and gives its share back', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const kept = sim.startExec('a', 1e9);
    const cancelled = sim.startExec('a', 1e9);
    sim.advance(0.5); // each did 0.25 Gflop
    sim.cancel(cancelled);
    const { clock, completed } = sim.advance(Infinity);
    expect(completed).toEqual([kept]);
    expectDate(clock, 1.25);
    expect(sim.advance(Infinity).completed).toEqual([]);
  });

  it('hosts may be designated by their index in platform order', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    const id = sim.startExec(1, 2e9);
    expect(sim.advance(Infinity).completed).toEqual([id]);
    expect(sim.hostId('b')).toBe(1);
  });

  it('each simulation has its own engine and clock', async () => {
    const one = await loadSimulationFromString(twoHostsOneLink);
    const two = await loadSimulationFromString(twoHostsOneLink);
    one.advance(5);
    expect(two.now()).toBe(0);
  });

  it('loading many simulations adds no process-wide handlers', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    for (let i = 0; i < 12; i++) await loadSimulationFromString(twoHostsOneLink);
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it('a comm to the same host crosses the loopback', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    expect(sim.route('a', 'a').links).toEqual(['__loopback__']);
    sim.startComm('a', 'a', 1e6);
    expect(sim.advance(Infinity).completed).toHaveLength(1);
  });

  it('a comm between hosts without a route is refused and the engine goes on', async () => {
    const sim = await loadSimulationFromString(
      twoHostsOneLink.replace('<host id="a" speed="1Gf"/>', '<host id="a" speed="1Gf"/><host id="island" speed="1Gf"/>'),
    );
    expect(() => sim.startComm('a', 'island', 1e6)).toThrow('SimGrid: no route from a to island');
    sim.startComm('b', 'a', 1e6);
    expect(sim.advance(Infinity).completed).toHaveLength(1);
  });

  it('an exec on a host that is turned off is reported as failed', async () => {
    const sim = await loadSimulationFromString(
      platformXml(`
    <host id="a" speed="1Gf"/>
    <trace id="a-off-at-1" periodicity="1000">
0 1
1 0
</trace>
    <trace_connect trace="a-off-at-1" element="a" kind="HOST_AVAIL"/>`),
      { allowStateProfiles: true },
    );
    const id = sim.startExec('a', 2e9);
    expect(sim.advance(Infinity)).toEqual({ clock: 1, completed: [], failed: [id] });
  });
});

describe('SimGrid WebAssembly engine: platform description', () => {
  it('lists hosts in platform order with speed, cores and properties', async () => {
    const sim = await loadSimulation('platforms/two-hosts.xml');
    expect(sim.hosts()).toEqual([
      { name: 'alice', speed: 1e9, cores: 1, properties: { ip: '10.0.0.1' } },
      { name: 'bob', speed: 1e9, cores: 1, properties: { ip: '10.0.0.2' } },
    ]);
  });

  it('keeps the platform order of cluster hosts rather than sorting their names', async () => {
    const sim = await loadSimulation('platforms/cluster16.xml');
    const names = sim.hosts().map((h) => h.name);
    expect(names).toEqual(Array.from({ length: 16 }, (_, i) => `node-${i}`));
    expect(sim.hosts()[0]!.cores).toBe(4);
  });

  it('lists links with bandwidth, latency and sharing policy', async () => {
    const sim = await loadSimulation('platforms/two-hosts.xml');
    const wire = sim.links().find((l) => l.name === 'wire');
    expect(wire).toMatchObject({ bandwidth: 125e6, sharing: 'SHARED' });
    expect(wire!.latency).toBeCloseTo(50e-6, 15);
  });

  it('routes between the sites of the wide-area example cross the wide-area link', async () => {
    const sim = await loadSimulation('platforms/two-sites.xml');
    const route = sim.route('paris-0', 'lyon-3');
    expect(route.links).toContain('paris-lyon');
    expect(route.latency).toBeGreaterThan(20e-3);
  });
});

describe('SimGrid WebAssembly engine: errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'simterpose-sim-'));

  it('malformed XML gives the file and the line', async () => {
    const file = join(dir, 'broken.xml');
    writeFileSync(file, platformXml(`\n    <host id="a" speed="1Gf">\n    <host id="b" speed="1Gf"/>`));
    const error = await loadSimulation(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}:\\d+: `));
    expect((error as Error).message).not.toContain('\n');
  });

  it('a platform that is valid XML but not a valid platform names the line', async () => {
    const file = join(dir, 'bad-speed.xml');
    writeFileSync(file, platformXml(`    <host id="a" speed="fast"/>`));
    const error = await loadSimulation(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}:5: .*fast`));
  });

  it('a missing platform file is a clear error', async () => {
    const error = await loadSimulation(join(dir, 'nope.xml')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(`platform file not found: ${join(dir, 'nope.xml')}`);
  });

  it('an unknown host is named along with the valid ones', async () => {
    const sim = await loadSimulation('platforms/two-hosts.xml');
    expect(() => sim.startExec('carol', 1)).toThrow(UserError);
    expect(() => sim.startExec('carol', 1)).toThrow("unknown host 'carol'; the platform's hosts are: alice, bob");
  });

  it('a deadline in the past is refused and the engine goes on', async () => {
    const sim = await loadSimulationFromString(twoHostsOneLink);
    sim.advance(2);
    expect(() => sim.advance(1)).toThrow('deadline is in the past');
    expect(sim.advance(3).clock).toBe(3);
  });
});
