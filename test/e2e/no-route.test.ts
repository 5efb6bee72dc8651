import { join } from 'node:path';
import { expect, it } from 'vitest';
import { runNative } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// A platform where two hosts that talk have no route between them is a
// mistake in the platform file: the run must say so in one line naming both
// hosts, not fail with an internal error.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

for (const mode of ['full', 'translate']) {
  it(`under --network ${mode}, a TCP client whose host has no route to the server host stops the run with one line naming both hosts, and exits 125`, async () => {
    const result = await runNative([
      process.execPath,
      CLI,
      'run',
      '--quiet',
      '--network',
      mode,
      '--cpu-model',
      'none',
      'test/fixtures/platforms/no-route.xml',
      'test/fixtures/deployments/tcp-echo-blocking.xml',
    ]);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.stderr).toMatch(/^simterpose: no route from host alice to host bob in the platform$/m);
    expect(result.status).toBe(125);
  });
}
