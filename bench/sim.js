// Benchmark of the SimGrid WebAssembly engine (src/sim), section "sim" of
// bench/run.js; also runnable alone: `node bench/sim.js` (after npm run build:ts).
//
// Measures CPU µs per activity (start + completion) for 100,000 activities with
// 4 and 100 in flight on platforms/cluster16.xml, through src/sim (WASM) and
// through the same shim built natively (native/simgrid-wasm/driver.cpp, which
// times the identical loop itself), plus the cold load time in a fresh process,
// with SimGrid compiled there and loaded from its code cache (src/sim/code-cache.ts),
// which the activities run from, as users' runs do after their first.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freshCodeCache } from './measure.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const platform = `${root}platforms/cluster16.xml`;
const simModule = new URL('../dist/sim/index.js', import.meta.url);
const TOTAL = 100_000;
const SEED = 1;
const TARGET_RATIO = 1.5;
const REPEATS = 3;

/* The workload of driver.cpp's `bench` command, step for step. */
function xorshift32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s;
  };
}

function benchWasm(sim, total, inflight, seed) {
  const hosts = sim.hosts().length;
  const next = xorshift32(seed);
  const startOne = (k) => {
    const h = next() % hosts;
    if (k % 2 === 0) {
      sim.startExec(h, 1e6 + (next() % 1000000));
    } else {
      const dst = (h + 1 + (next() % (hosts - 1))) % hosts;
      sim.startComm(h, dst, 1e3 + (next() % 1000000));
    }
  };
  const completed = [];
  const failed = [];
  let started = 0;
  let done = 0;
  // CPU time of the process (all its threads: compiler and GC included), as
  // driver.cpp measures its own: other processes' share of the machine stays out.
  const begin = process.cpuUsage();
  while (started < inflight && started < total) startOne(started++);
  while (done < total) {
    completed.length = 0;
    const n = sim.advanceInto(Infinity, completed, failed);
    if (n <= 0) throw new Error(`bench: advance returned ${n}`);
    if (failed.length > 0) throw new Error(`bench: activity ${failed[0]} failed`);
    done += n;
    for (let i = 0; i < n && started < total; i++) startOne(started++);
  }
  const used = process.cpuUsage(begin);
  return (used.user + used.system) / total;
}

/** Module compile (or load from the code cache) + engine + platform, in a fresh node process. */
function coldLoad(env = process.env) {
  const script = `
    const t0 = performance.now();
    const sim = await import(${JSON.stringify(simModule.href)});
    const t1 = performance.now();
    await sim.loadModule();
    const t2 = performance.now();
    await sim.loadSimulation(${JSON.stringify(platform)});
    const t3 = performance.now();
    console.log(JSON.stringify({ module: t2 - t1, platform: t3 - t2, total: t3 - t0 }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
  return JSON.parse(out.trim().split('\n').pop());
}

async function nativeDriver() {
  try {
    const { buildNativeDriver } = await import('../native/simgrid-wasm/native-driver.mjs');
    return { path: buildNativeDriver() };
  } catch (error) {
    return { error: error?.message ?? String(error) };
  }
}

export async function run() {
  if (!existsSync(simModule)) throw new Error('dist/sim is missing: run `npm run build:ts` first');
  const rows = [];
  const compiled = coldLoad({ ...process.env, SIMTERPOSE_NO_CODE_CACHE: '1' });
  rows.push({
    name: 'cold load: module, compiled',
    value: compiled.module,
    unit: 'ms',
    note: 'compile simgrid.wasm (once per process; SIMTERPOSE_NO_CODE_CACHE=1)',
  });
  rows.push({
    name: 'cold load: engine + platform, compiled',
    value: compiled.platform,
    unit: 'ms',
    note: 'cluster16.xml, new instance, its functions compiled as they first run',
  });
  // What users' runs do after their first, and what the activities below run: SimGrid's optimized code from its code cache.
  const cached = freshCodeCache();
  const loaded = coldLoad();
  const from = cached ? 'from the code cache' : 'compiled: the code cache could not be built';
  rows.push({ name: 'cold load: module, code cache', value: loaded.module, unit: 'ms', note: from });
  rows.push({ name: 'cold load: engine + platform, code cache', value: loaded.platform, unit: 'ms', note: 'cluster16.xml, new instance' });

  const { loadSimulation } = await import(simModule.href);
  const native = await nativeDriver();
  // The native engine gets the SimGrid settings src/sim gives the WebAssembly one (simterpose's defaults differ from SimGrid's).
  const settings = (await loadSimulation(platform)).settings
    .filter((setting) => setting.origin.kind !== 'platform')
    .map((setting) => `cfg ${setting.name}:${setting.value}\n`);
  const runNative = (inflight) => {
    const script = `${settings.join('')}load ${platform}\nbench ${TOTAL} ${inflight} ${SEED}\n`;
    const out = execFileSync(native.path, { input: script, encoding: 'utf8' }).trim().split('\n');
    return Number(out[settings.length + 1]) / 1e3;
  };
  // Warm up the JIT (the compiled module is shared by every instance).
  benchWasm(await loadSimulation(platform), 20_000, 4, SEED + 1);
  for (const inflight of [4, 100]) {
    // Alternate the two builds and keep each one's best run: the machine may be shared.
    let wasmUs = Infinity;
    let nativeUs = Infinity;
    for (let rep = 0; rep < REPEATS; rep++) {
      if (native.path !== undefined) nativeUs = Math.min(nativeUs, runNative(inflight));
      wasmUs = Math.min(wasmUs, benchWasm(await loadSimulation(platform), TOTAL, inflight, SEED));
    }
    const what = `${TOTAL} execs+comms on cluster16, start + completion, CPU time, best of ${REPEATS}`;
    rows.push({ name: `activity, ${inflight} in flight: wasm`, value: wasmUs, unit: 'µs', note: what });
    if (native.path === undefined) {
      rows.push({ name: `activity, ${inflight} in flight: native`, value: null, unit: 'µs', note: `skipped: ${native.error}` });
      continue;
    }
    const ratio = wasmUs / nativeUs;
    rows.push({
      name: `activity, ${inflight} in flight: native`,
      value: nativeUs,
      unit: 'µs',
      note: 'same shim and loop, g++ -O3, libsimgrid-dev 3.32 (without patch 03: see native/simgrid-wasm/README.md)',
    });
    rows.push({
      name: `activity, ${inflight} in flight: wasm/native`,
      value: ratio,
      unit: '×',
      note: ratio <= TARGET_RATIO ? `target ≤ ${TARGET_RATIO}× met` : `MISSED target ≤ ${TARGET_RATIO}×`,
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const row of await run()) {
    const value = typeof row.value === 'number' ? row.value.toPrecision(4) : '—';
    console.log(`${row.name.padEnd(38)} ${value.padStart(9)} ${row.unit.padEnd(3)} ${row.note}`);
  }
}
