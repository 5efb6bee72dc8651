import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allowedCpus } from '../../src/mediator/cpu-placement.js';
import { liveDescendants, startSimterpose, waitFor } from '../helpers/cli-process.js';

// Two runs started side by side (a test suite, a sweep) each take a CPU of
// their own while others are free, instead of both taking the first.

/** The CPUs a process's main thread may run on, as its status says (a list such as `1` or `0-3`). */
const cpusOf = (pid: number) => /^Cpus_allowed_list:\t(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))![1];

const cpus = allowedCpus().length;

describe('--cpu auto, the default', () => {
  it.skipIf(cpus < 2)(`two runs at once take two different CPUs (skipped when this process may use only one; it may use ${cpus})`, async () => {
    // A private TMPDIR: the claims of runs of the rest of the suite stay out of sight.
    const claims = mkdtempSync(join(tmpdir(), 'simterpose-claims-'));
    try {
      const runs = [0, 1].map(() => startSimterpose(['run', '--quiet', 'platforms/two-hosts.xml', '--', '/bin/sh', '-c', 'read line'], { TMPDIR: claims }));
      // Each is pinned before its program starts.
      await waitFor(() => runs.every((run) => liveDescendants(run.pid).length > 0) || undefined);
      const [first, second] = runs.map((run) => cpusOf(run.pid));
      expect(first).toMatch(/^\d+$/);
      expect(second).toMatch(/^\d+$/);
      expect(first).not.toBe(second);
      for (const run of runs) run.child.stdin!.end('go\n');
      for (const run of runs) expect((await run.finished).status).toBe(0);
    } finally {
      rmSync(claims, { recursive: true, force: true });
    }
  });
});
