import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildNativeDriver } from '../../native/simgrid-wasm/native-driver.mjs';
import { loadSimulation, type Simulation } from '../../src/sim/index.js';
import { engineArguments } from '../../src/sim/settings.js';

/*
 * The WebAssembly build must decide exactly the same dates as SimGrid built
 * natively. The same shim (native/simgrid-wasm/shim.cpp) is compiled with g++
 * against Debian's libsimgrid-dev 3.32 into a driver that reads commands; a
 * seeded random sequence of execs, comms, cancellations, deadlines and
 * looks at what activities have left to do (which brings SimGrid's lazy
 * bookkeeping of them up to date, as simterpose does for streams) goes
 * through src/sim (WebAssembly) and, as a script, through the native driver,
 * and both print every answer with clocks as IEEE-754 bits.
 */

const PLATFORMS = [
  'test/fixtures/platforms/fat-cluster.xml',
  'test/fixtures/platforms/zones.xml',
  'test/fixtures/platforms/profiles.xml',
  'platforms/cluster16.xml',
  'platforms/two-sites.xml',
];
const OPERATIONS = 4000;

/** mulberry32: small, seeded, the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function bits(x: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  return view.getBigUint64(0).toString(16).padStart(16, '0');
}

/** Runs the sequence on the WebAssembly build; returns the script and the answers. */
function runWasm(sim: Simulation, file: string, seed: number): { script: string[]; answers: string[] } {
  const rnd = random(seed);
  const pick = (n: number) => Math.floor(rnd() * n);
  const hosts = sim.hosts().length;
  const live: number[] = [];
  // The native engine gets the settings the WebAssembly one was given: simterpose's defaults differ from SimGrid's.
  const settings = engineArguments(sim.settings).map((setting) => `cfg ${setting}`);
  const script = [...settings, `load ${file}`];
  const answers = [...settings.map(() => 'ok'), 'ok'];

  const start = (line: string, fn: () => number) => {
    script.push(line);
    try {
      const id = fn();
      live.push(id);
      answers.push(String(id));
    } catch {
      answers.push('-1');
    }
  };
  const advance = (deadline: number) => {
    script.push(`advance ${deadline === Infinity ? -1 : deadline}`);
    const { clock, completed, failed } = sim.advance(deadline);
    const ended = [...completed, ...failed.map((id) => -id)].sort((a, b) => Math.abs(a) - Math.abs(b));
    for (const id of ended) live.splice(live.indexOf(Math.abs(id)), 1);
    answers.push([bits(clock), ...ended].join(' '));
    return ended.length;
  };

  for (let i = 0; i < OPERATIONS; i++) {
    const r = rnd();
    if (r < 0.27) {
      const h = pick(hosts);
      const flops = rnd() < 0.05 ? 0 : Math.floor(rnd() * 5e9);
      start(`exec ${h} ${flops}`, () => sim.startExec(h, flops));
    } else if (r < 0.5) {
      const src = pick(hosts);
      const dst = pick(hosts);
      const bytes = rnd() < 0.05 ? 0 : Math.floor(rnd() * 1e8);
      start(`comm ${src} ${dst} ${bytes}`, () => sim.startComm(src, dst, bytes));
    } else if (r < 0.6 && live.length > 0) {
      const id = live[pick(live.length)]!;
      script.push(`remaining ${id}`);
      answers.push(bits(sim.remaining(id)));
    } else if (r < 0.65 && live.length > 0) {
      const id = live.splice(pick(live.length), 1)[0]!;
      script.push(`cancel ${id}`);
      sim.cancel(id);
      answers.push('ok');
    } else if (r < 0.85) {
      advance(Infinity);
    } else {
      advance(sim.now() + rnd() * 0.5);
    }
  }
  while (live.length > 0 && advance(Infinity) > 0);
  return { script, answers };
}

describe('SimGrid WebAssembly against SimGrid native (libsimgrid-dev 3.32)', () => {
  let driver: string;
  beforeAll(() => {
    driver = buildNativeDriver();
  }, 120_000);

  for (const [i, platform] of PLATFORMS.entries()) {
    it(`gives bit-identical dates for ${OPERATIONS} random operations on ${platform}`, async () => {
      const file = resolve(platform);
      // Hosts and links turning off are part of what the two builds must agree on.
      const sim = await loadSimulation(file, { allowStateProfiles: true });
      const { script, answers } = runWasm(sim, file, 1000 + i);
      const native = execFileSync(driver, { input: `${script.join('\n')}\n`, encoding: 'utf8', maxBuffer: 64 << 20 })
        .trimEnd()
        .split('\n');
      const firstDifference = answers.findIndex((answer, k) => answer !== native[k]);
      if (firstDifference >= 0) {
        expect
          .soft({ command: script[firstDifference], wasm: answers[firstDifference] })
          .toEqual({ command: script[firstDifference], wasm: native[firstDifference] });
      }
      expect(native.length).toBe(answers.length);
      expect(firstDifference).toBe(-1);
      // The sequence must exercise what it claims to: completions, failures, deadlines.
      expect(answers.filter((a) => a.includes(' ')).length).toBeGreaterThan(OPERATIONS / 10);
      if (platform.includes('profiles')) {
        expect(answers.some((a) => / -\d/.test(a))).toBe(true); // activities failed with their host or link
        expect(answers).toContain('-1'); // starts refused while a host was off
      }
    });
  }
});
