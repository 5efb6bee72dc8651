import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { lockBuild } from '../background-build.js';
import { packagePath } from '../package-root.js';
import { codeCacheFile, codeCacheFolder, deserializeModule, encodeCodeCache, readCodeCache, readWasm, serializeModule, type WasmStamp } from './code-cache.js';
import { setModuleFlags, useModule } from './module.js';
import { loadSimulation } from './simulation.js';

/**
 * Builds the code cache of SimGrid's module (code-cache.ts), in the
 * background of the run that found none: `node build-code-cache.js WASM`.
 *
 * The module is compiled with V8's optimizing compiler only (V8 serializes
 * no baseline code), lazily: only the functions SimGrid runs while this
 * process loads each platform the package bundles and runs activities of
 * every kind on it, which is what a run calls. The flags of a run are then
 * restored, the code serialized under another name, and tried by a second
 * process (`build-code-cache.js WASM --check FILE`), which loads it as a run
 * does and runs the same activities on it; only then is the file renamed
 * into place. A failed build leaves FILE.failed with the module's stamp: no
 * build is tried again for the same module file.
 */
const [wasm, mode, attempt] = process.argv.slice(2);
if (wasm === undefined || (mode !== undefined && (mode !== '--check' || attempt === undefined))) {
  throw new Error('usage: node build-code-cache.js WASM [--check FILE]');
}
const file = codeCacheFile(wasm);

/** The platforms the package bundles, and the scale example's cluster. */
function platforms(): string[] {
  const bundled = packagePath('platforms');
  return [
    ...readdirSync(bundled)
      .filter((name) => name.endsWith('.xml'))
      .map((name) => join(bundled, name)),
    packagePath('examples/scale/cluster.xml'),
  ];
}

/** Loads each platform and runs what a run asks of SimGrid on it: its description, routes, computations and transfers, one cancelled, followed to their end. */
async function exercise(): Promise<void> {
  for (const platform of platforms()) {
    const sim = await loadSimulation(platform);
    const hosts = sim.hosts().length;
    sim.links();
    sim.route(0, hosts - 1);
    for (let host = 0; host < hosts; host++) {
      sim.startExec(host, 1e9 * (host + 1));
      sim.startComm(host, (host + 1) % hosts, 1e6 * (host + 1));
    }
    const cancelled = sim.startComm(0, hosts - 1, 1e9);
    sim.advance(1e-3);
    sim.remaining(cancelled);
    sim.cancel(cancelled);
    while (sim.pending() > 0) sim.advance(Number.POSITIVE_INFINITY);
  }
}

/** Compiles what a run uses with the optimizing compiler, and serializes it under the flags of a run. */
async function compileAndSerialize(wire: Buffer<ArrayBuffer>, stamp: WasmStamp): Promise<Buffer> {
  setModuleFlags();
  // Without Liftoff, V8 compiles each function with TurboFan when it is first called.
  setFlagsFromString('--no-liftoff');
  const module = new WebAssembly.Module(wire);
  useModule(module);
  await exercise();
  // The flags of a run again (--no-liftoff turned dynamic tiering off as well): V8 stamps the code with them.
  setFlagsFromString('--liftoff --wasm-dynamic-tiering');
  return encodeCodeCache(stamp, serializeModule(module));
}

/** The check: `attempt` loads as a run loads it, and SimGrid runs from it. */
async function check(): Promise<void> {
  setModuleFlags();
  const { wire, stamp } = readWasm(wasm!);
  const serialized = readCodeCache(attempt!, stamp);
  const module = typeof serialized === 'string' ? undefined : deserializeModule(serialized, wire);
  if (module === undefined) process.exit(1);
  useModule(module);
  await exercise();
}

/** Removes the caches of module files that are gone (a package removed, or a temporary install as npx makes): each takes 1.6 MB. */
function forgetGoneModules(): void {
  const folder = codeCacheFolder();
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const cached = join(entry.parentPath, entry.name);
    const module = /^(.*)\.v8-[^/]*$/.exec(cached.slice(folder.length))?.[1];
    if (entry.isFile() && module !== undefined && !statSync(module, { throwIfNoEntry: false })?.isFile()) rmSync(cached, { force: true });
  }
}

async function build(): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  const lock = `${file}.building`;
  if (!lockBuild(lock)) return;
  const tried = `${file}.${process.pid}`;
  const { wire, stamp } = readWasm(wasm!);
  try {
    writeFileSync(tried, await compileAndSerialize(wire, stamp));
    const checked = spawnSync(process.execPath, [fileURLToPath(import.meta.url), wasm!, '--check', tried], { stdio: 'ignore' });
    if (checked.status !== 0) throw new Error(`the code cache built in ${tried} failed its check`);
    renameSync(tried, file);
    rmSync(`${file}.failed`, { force: true });
    forgetGoneModules();
  } catch (error) {
    writeFileSync(`${file}.failed`, JSON.stringify(stamp));
    throw error;
  } finally {
    rmSync(tried, { force: true });
    rmSync(lock, { force: true });
  }
}

await (mode === '--check' ? check() : build());
