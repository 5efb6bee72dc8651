import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { switchedOn, userCacheFolder } from '../../user-cache.js';
import { simterposeVersion } from '../../version.js';

/**
 * What a ptrace stop costs a tracee, kept on disk between runs: measuring it
 * takes 2000 stops (30-50 ms of CPU, as much as the rest of a short run).
 * A figure holds for one boot of one machine: it is filed under the kernel's
 * boot id, the CPU's model and simterpose's version, and any of them
 * changing discards the whole file. It holds for ten minutes too: what a
 * stop costs moves with the machine's load (2.8 µs measured on a quiet
 * 2-vCPU VM, 3.6-5.2 µs on the same VM while a test suite ran), and a
 * figure from a quiet moment kept for the whole boot charged programs run
 * later, on a busy machine, their stops as their own work.
 * SIMTERPOSE_RECALIBRATE=1 makes a run measure again (and keep the new
 * figure); `simterpose calibrate` forgets them all.
 */

function cacheFile(): string {
  return join(userCacheFolder(), 'stop-costs.json');
}

/** Long enough for a test suite or a sweep to measure a few times, not once per run. */
const FIGURE_LIFETIME_MS = 10 * 60_000;

interface CachedCost {
  /** Nanoseconds a stop costs. */
  ns: number;
  /** When it was measured (milliseconds since the epoch). */
  measuredAt: number;
}

interface CacheContents {
  machine: string;
  /** By measurement setup. */
  costs: Record<string, CachedCost>;
}

let identity: string | undefined;

/** This boot of this machine, with the simterpose that measured: a cached figure holds for nothing else. Read once per process (a run asks twice). */
function machineIdentity(): string {
  if (identity === undefined) {
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'))?.[1] ?? 'unknown CPU';
    identity = `${bootId} ${cpuModel} simterpose ${simterposeVersion()}`;
  }
  return identity;
}

function read(machine: string): Record<string, CachedCost> {
  try {
    const contents = JSON.parse(readFileSync(cacheFile(), 'utf8')) as CacheContents;
    return contents.machine === machine && typeof contents.costs === 'object' && contents.costs !== null ? contents.costs : {};
  } catch {
    return {};
  }
}

/** A figure measured in the last ten minutes (and not in the future: a clock set back), of the shape this version writes. */
function stillHolds(cached: CachedCost | undefined): cached is CachedCost {
  if (typeof cached !== 'object' || cached === null) return false;
  const { ns, measuredAt } = cached;
  if (typeof ns !== 'number' || !Number.isFinite(ns) || ns < 0 || typeof measuredAt !== 'number') return false;
  const age = Date.now() - measuredAt;
  return age >= 0 && age < FIGURE_LIFETIME_MS;
}

/** The cached cost for `setup`, or the one `measure` gives, then cached (a cache that cannot be written only costs the next run a measurement). */
export function cachedStopCost(setup: string, measure: () => number): number {
  const machine = machineIdentity();
  const costs = read(machine);
  const cached = costs[setup];
  if (!switchedOn('SIMTERPOSE_RECALIBRATE') && stillHolds(cached)) return cached.ns;
  const cost = measure();
  const file = cacheFile();
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch {
    // No cache folder (a read-only or missing home): the figure is still right for this run.
    return cost;
  }
  // Runs started together may write at once: each renames a whole file into place.
  const temporary = `${file}.${process.pid}`;
  try {
    writeFileSync(temporary, JSON.stringify({ machine, costs: { ...costs, [setup]: { ns: cost, measuredAt: Date.now() } } } satisfies CacheContents));
    renameSync(temporary, file);
  } catch {
    rmSync(temporary, { force: true });
  }
  return cost;
}

/** Forgets every cached cost: the next run measures again. */
export function forgetStopCosts(): void {
  rmSync(cacheFile(), { force: true });
}
