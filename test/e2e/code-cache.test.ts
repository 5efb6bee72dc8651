import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codeCacheFile, encodeCodeCache, readWasm } from '../../src/sim/code-cache.js';
import { netTransferDeployment, runCli, type RunResult } from '../helpers/apps.js';
import { waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';

// SimGrid's module is loaded from the code V8 compiled of it at an earlier
// run (src/sim/code-cache.ts), kept in the user's cache folder; a run that
// finds none compiles the module and has the cache built in the background.
// Each test has its own cache folder (XDG_CACHE_HOME).

const WASM = join(REPO_ROOT, 'native', 'simgrid-wasm', 'dist', 'simgrid.wasm');
const scratch = mkdtempSync(join(tmpdir(), 'simterpose-code-cache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let caches = 0;
function cacheHome(): string {
  return join(scratch, `cache${caches++}`);
}

/** The cache file of the repository's module under `home`, as a run started with XDG_CACHE_HOME=home names it. */
function cacheFileUnder(home: string): string {
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = home;
  try {
    return codeCacheFile(WASM);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  }
}

/** Builds the cache now, as a run has it built in the background. */
function buildCache(home: string): string {
  const built = spawnSync(process.execPath, [join(REPO_ROOT, 'dist', 'sim', 'build-code-cache.js'), WASM], {
    env: { ...process.env, XDG_CACHE_HOME: home },
    encoding: 'utf8',
  });
  expect(built.status, built.stderr).toBe(0);
  return cacheFileUnder(home);
}

/** alice sends 4 MiB to bob, which prints when its last byte came: a date SimGrid's network model decides. */
const deployment = join(scratch, 'transfer.xml');
writeFileSync(deployment, netTransferDeployment(4 * 1024 * 1024));

function transfer(env: Record<string, string>): Promise<RunResult> {
  return runCli(['run', '--quiet', '--cpu-model', 'none', '--log-level', 'debug', join(REPO_ROOT, 'platforms', 'two-hosts.xml'), deployment], { env });
}

/** Where the run had SimGrid's module from, as it logs it: 'compiled' or 'code cache'. */
function moduleFrom(result: RunResult): string | undefined {
  for (const line of result.stderr.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; from?: string };
    if (entry.msg === 'SimGrid WebAssembly module ready') return entry.from;
  }
  return undefined;
}

function lastByte(result: RunResult): string | undefined {
  return /last byte at ([\d.]+)/.exec(result.stdout)?.[1];
}

describe("SimGrid's code cache", () => {
  it('is built in the background by a run that found none; the next runs load SimGrid from it and simulate the same dates', async () => {
    const home = cacheHome();
    const first = await transfer({ XDG_CACHE_HOME: home });
    expect(first.status, first.stderr).toBe(0);
    expect(moduleFrom(first)).toBe('compiled');
    const file = cacheFileUnder(home);
    await waitFor(() => (existsSync(file) && !existsSync(`${file}.building`) ? true : undefined), 60_000);
    const second = await transfer({ XDG_CACHE_HOME: home });
    expect(second.status, second.stderr).toBe(0);
    expect(moduleFrom(second)).toBe('code cache');
    expect(lastByte(first)).toBeDefined();
    expect(lastByte(second)).toBe(lastByte(first));
    expect(second.stdout).toBe(first.stdout);
  });

  it('is not read with SIMTERPOSE_NO_CODE_CACHE=1', async () => {
    const home = cacheHome();
    buildCache(home);
    const result = await transfer({ XDG_CACHE_HOME: home, SIMTERPOSE_NO_CODE_CACHE: '1' });
    expect(result.status, result.stderr).toBe(0);
    expect(moduleFrom(result)).toBe('compiled');
    expect(moduleFrom(await transfer({ XDG_CACHE_HOME: home }))).toBe('code cache');
  });

  it('compiled from another module file (its stamp differs) is not loaded: the run compiles, and a build replaces it', async () => {
    const home = cacheHome();
    const file = buildCache(home);
    const { stamp } = readWasm(WASM);
    const serialized = readFileSync(file).subarray(4 + readFileSync(file).readUInt32LE(0));
    writeFileSync(file, encodeCodeCache({ ...stamp, size: stamp.size + 1 }, new Uint8Array(serialized).buffer));
    const result = await transfer({ XDG_CACHE_HOME: home });
    expect(result.status, result.stderr).toBe(0);
    expect(moduleFrom(result)).toBe('compiled');
    await waitFor(() => {
      const written = readFileSync(file);
      const header = JSON.parse(written.subarray(4, 4 + written.readUInt32LE(0)).toString()) as { size: number };
      return header.size === stamp.size && !existsSync(`${file}.building`) ? true : undefined;
    }, 60_000);
    expect(moduleFrom(await transfer({ XDG_CACHE_HOME: home }))).toBe('code cache');
  });

  it('that V8 refuses (not code V8 serialized) is not loaded: the run compiles and goes on, and a build replaces it', async () => {
    const home = cacheHome();
    const file = cacheFileUnder(home);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, encodeCodeCache(readWasm(WASM).stamp, new Uint8Array(4096).fill(7).buffer));
    const result = await transfer({ XDG_CACHE_HOME: home });
    expect(result.status, result.stderr).toBe(0);
    expect(moduleFrom(result)).toBe('compiled');
    expect(result.stderr).toContain('V8 refused the code cache');
    expect(lastByte(result)).toBeDefined();
    await waitFor(() => (readFileSync(file).length > 1_000_000 && !existsSync(`${file}.building`) ? true : undefined), 60_000);
    expect(moduleFrom(await transfer({ XDG_CACHE_HOME: home }))).toBe('code cache');
  });

  it("forgets the caches of module files that are gone when it builds one, and keeps the others'", () => {
    const home = cacheHome();
    const folder = dirname(cacheFileUnder(home)).slice(0, -dirname(WASM).length);
    const gone = `${folder}${scratch}/removed-package/simgrid.wasm.v8-${process.versions.v8}`;
    const there = `${folder}${deployment}.v8-${process.versions.v8}`;
    for (const file of [gone, there]) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, 'a cache');
    }
    buildCache(home);
    expect(existsSync(gone)).toBe(false);
    expect(existsSync(there)).toBe(true);
  });
});
