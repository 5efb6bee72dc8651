import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { cachedStopCost, forgetStopCosts } from '../../src/mediator/host/stop-cost-cache.js';

// What a ptrace stop costs is measured once per boot of the machine (and
// again after ten minutes) and kept in the user's cache folder; each test gets a cache folder of its own.

let cacheHome: string;
const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, SIMTERPOSE_RECALIBRATE: process.env.SIMTERPOSE_RECALIBRATE };

beforeEach(() => {
  cacheHome = mkdtempSync(join(tmpdir(), 'stop-cost-cache-'));
  process.env.XDG_CACHE_HOME = cacheHome;
  delete process.env.SIMTERPOSE_RECALIBRATE;
});

afterEach(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(cacheHome, { recursive: true, force: true });
});

const cacheFile = () => join(cacheHome, 'simterpose', 'stop-costs.json');
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();

/** A measurement that counts how often it ran. */
function counting(cost: number) {
  const measure = () => {
    measure.runs++;
    return cost;
  };
  measure.runs = 0;
  return measure;
}

describe('stop cost cache', () => {
  test('a cost measured once is given back without measuring again, per setup', () => {
    const first = counting(6900);
    expect(cachedStopCost('setup A', first)).toBe(6900);
    expect(cachedStopCost('setup A', counting(1))).toBe(6900);
    expect(first.runs).toBe(1);
    const other = counting(6300);
    expect(cachedStopCost('setup B', other)).toBe(6300);
    expect(other.runs).toBe(1);
    expect(cachedStopCost('setup A', counting(1))).toBe(6900);
  });

  test('the cache is filed under this boot and this CPU', () => {
    cachedStopCost('setup', counting(6900));
    const machine = JSON.parse(readFileSync(cacheFile(), 'utf8')).machine as string;
    expect(machine).toContain(bootId());
    expect(machine).toContain(/^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'latin1'))?.[1] ?? 'unknown CPU');
  });

  test('a cache from another boot or another CPU is measured over', () => {
    cachedStopCost('setup', counting(6900));
    const contents = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    for (const machine of [contents.machine.replace(bootId(), '00000000-0000-0000-0000-000000000000'), `${contents.machine} other CPU`]) {
      writeFileSync(cacheFile(), JSON.stringify({ ...contents, machine }));
      const measure = counting(7100);
      expect(cachedStopCost('setup', measure)).toBe(7100);
      expect(measure.runs).toBe(1);
      cachedStopCost('setup', counting(6900));
    }
  });

  test("a figure ten minutes old, or dated in the future, is measured again: the machine's load has moved since", () => {
    cachedStopCost('setup', counting(6900));
    const contents = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    const measuredAt = contents.costs.setup.measuredAt as number;
    expect(Math.abs(Date.now() - measuredAt)).toBeLessThan(60_000);
    writeFileSync(cacheFile(), JSON.stringify({ ...contents, costs: { setup: { ns: 6900, measuredAt: Date.now() - 9 * 60_000 } } }));
    expect(cachedStopCost('setup', counting(1))).toBe(6900);
    for (const stale of [Date.now() - 10 * 60_000, Date.now() + 60_000]) {
      writeFileSync(cacheFile(), JSON.stringify({ ...contents, costs: { setup: { ns: 6900, measuredAt: stale } } }));
      const measure = counting(7300);
      expect(cachedStopCost('setup', measure)).toBe(7300);
      expect(measure.runs).toBe(1);
    }
  });

  test("a figure in an older version's shape (a bare number) is measured over", () => {
    cachedStopCost('setup', counting(6900));
    const contents = JSON.parse(readFileSync(cacheFile(), 'utf8'));
    writeFileSync(cacheFile(), JSON.stringify({ ...contents, costs: { setup: 6900 } }));
    const measure = counting(7200);
    expect(cachedStopCost('setup', measure)).toBe(7200);
    expect(measure.runs).toBe(1);
  });

  test('SIMTERPOSE_RECALIBRATE=1 measures again and keeps the new cost', () => {
    cachedStopCost('setup', counting(6900));
    process.env.SIMTERPOSE_RECALIBRATE = '1';
    expect(cachedStopCost('setup', counting(7500))).toBe(7500);
    delete process.env.SIMTERPOSE_RECALIBRATE;
    expect(cachedStopCost('setup', counting(1))).toBe(7500);
  });

  test('forgetting the costs makes the next lookup measure', () => {
    cachedStopCost('setup', counting(6900));
    forgetStopCosts();
    const measure = counting(7000);
    expect(cachedStopCost('setup', measure)).toBe(7000);
    expect(measure.runs).toBe(1);
  });

  test('a damaged cache file is measured over', () => {
    mkdirSync(join(cacheHome, 'simterpose'));
    writeFileSync(cacheFile(), '{"machine": ');
    expect(cachedStopCost('setup', counting(6900))).toBe(6900);
    expect(cachedStopCost('setup', counting(1))).toBe(6900);
  });

  test('a cache folder that cannot be made still gives the measured cost', () => {
    // A file where the folder should be: no mkdir succeeds there, not even root's.
    writeFileSync(join(cacheHome, 'simterpose'), '');
    const measure = counting(6900);
    expect(cachedStopCost('setup', measure)).toBe(6900);
    expect(cachedStopCost('setup', measure)).toBe(6900);
    expect(measure.runs).toBe(2);
  });
});
