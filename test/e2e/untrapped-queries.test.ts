import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/index.js';
import { appPath, runNative } from '../helpers/apps.js';

// The queries a program makes by the dozen and simterpose would only let run
// (isatty's TCGETS on each file python3 opens, sigaction reading the
// handlers of all 64 signals as python3 starts) run without a stop: the
// seccomp filter looks at their arguments. The program sees what it sees
// natively, and the calls simterpose follows still stop.

const PLATFORM = 'platforms/two-hosts.xml';
const QUERIES = 200;

async function underSimterpose(count: number): Promise<{ stdout: string; stops: number }> {
  const result = await runExperiment({ platform: PLATFORM, command: [appPath('untrapped_queries'), String(count)], cpuModel: 'none' });
  expect(result.exitCodes).toEqual([0]);
  return { stdout: result.outputs[0]!.stdout, stops: result.stops };
}

describe('queries simterpose would only let run', () => {
  it('give the answers Linux gives, and the calls it follows still take effect', async () => {
    const native = await runNative([appPath('untrapped_queries'), String(QUERIES)]);
    expect(native.status).toBe(0);
    expect(native.stdout).toBe(
      `${QUERIES} TCGETS: ${QUERIES} ENOTTY\n${QUERIES} SIGUSR1 queries: ${QUERIES} SIG_DFL\nafter FIOCLEX: F_GETFD 1\nSIGUSR1 handled: 1\n`,
    );
    expect((await underSimterpose(QUERIES)).stdout).toBe(native.stdout);
  });

  it('cost no ptrace stop: the stops of a run do not grow with their number', async () => {
    const none = await underSimterpose(0);
    const many = await underSimterpose(QUERIES);
    // Two queries a round: each round that stopped would add two.
    expect(many.stops - none.stops).toBeLessThan(QUERIES / 10);
  });
});
