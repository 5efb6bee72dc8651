import { describe, expect, it } from 'vitest';
import { describePlatform } from '../../src/commands/platform.js';
import type { Simulation } from '../../src/sim/index.js';
import { effectiveSettings } from '../../src/sim/settings.js';

describe('the listing of simterpose platform', () => {
  it("lists a platform of more hosts and links than a call takes arguments (SimGrid's 65536-host crossbar has 131073 links)", () => {
    const hosts = Array.from({ length: 200_000 }, (_, i) => ({ name: `node-${i}`, speed: 1e9, cores: 1, properties: {} }));
    const links = Array.from({ length: 200_000 }, (_, i) => ({ name: `link-${i}`, bandwidth: 125e6, latency: 50e-6, sharing: 'SHARED' as const }));
    const sim = { hosts: () => hosts, links: () => links, settings: effectiveSettings([], []) } as unknown as Simulation;
    const lines = describePlatform(sim).split('\n');
    expect(lines[0]).toBe('hosts (200000):');
    // Names are padded to the longest, node-199999.
    expect(lines[1]).toBe('  node-0          1 Gflop/s     1 core');
    expect(lines[200_001]).toBe('links (200000):');
    expect(lines[200_002]).toBe('  link-0         125 MB/s     50 us  SHARED');
  });
});
