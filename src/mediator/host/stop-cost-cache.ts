import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { switchedOn, userCacheFolder } from '../../user-cache.js';
import { simterposeVersion } from '../../version.js';

/**
 * What a ptrace stop costs a tracee, kept on disk between runs: measuring it
 * takes 2000 stops (30-50 ms of CPU, as much as the rest of a short run).
 * A figure holds for one boot of one machine: it is filed under the kernel's
 * boot id, the CPU's model and simterpose's version, and any of them
 * changing discards the whole file. SIMTERPOSE_RECALIBRATE=1 makes a run
 * measure again (and keep the new figure); `simterpose calibrate` forgets
 * them all.
 */

function cacheFile(): string {
  return join(userCacheFolder(), 'stop-costs.json');
}

interface CacheContents {
  machine: string;
  /** Nanoseconds a stop costs, by measurement setup. */
  costs: Record<string, number>;
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

function read(machine: string): Record<string, number> {
  try {
    const contents = JSON.parse(readFileSync(cacheFile(), 'utf8')) as CacheContents;
    return contents.machine === machine && typeof contents.costs === 'object' && contents.costs !== null ? contents.costs : {};
  } catch {
    return {};
  }
}

/** The cached cost for `setup`, or the one `measure` gives, then cached (a cache that cannot be written only costs the next run a measurement). */
export function cachedStopCost(setup: string, measure: () => number): number {
  const machine = machineIdentity();
  const costs = read(machine);
  const cached = costs[setup];
  if (!switchedOn('SIMTERPOSE_RECALIBRATE') && typeof cached === 'number' && Number.isFinite(cached) && cached >= 0) return cached;
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
    writeFileSync(temporary, JSON.stringify({ machine, costs: { ...costs, [setup]: cost } } satisfies CacheContents));
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
