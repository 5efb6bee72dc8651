import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPath, DEFAULT_PLATFORM, runNative, runSimterpose } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// Every line a program writes reaches whoever reads simterpose's output,
// however slowly it reads: the program's stdout is the open file simterpose
// was given, blocking as a shell gives it, not the non-blocking one Node
// makes of it (where writes failed with EAGAIN once the reader fell behind,
// and the last lines of a run went missing).

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const LINES = 20_000;

describe("a program's output under a slow reader", () => {
  it('finds its stdout and stderr blocking, as natively (a test runner reads them through sockets)', async () => {
    const native = await runNative([appPath('many_lines'), '0']);
    const simulated = await runSimterpose([appPath('many_lines'), '0']);
    expect(native.stdout.split('\n')[0]).toBe('stdout non-blocking: 0, stderr non-blocking: 0');
    expect(simulated.stdout).toBe(native.stdout);
  });

  it('loses no line when the reader of a pipe waits a second before reading', async () => {
    // 20,000 lines fill a pipe's 64 KiB several times over while the reader sleeps.
    const command = `"$0" "${CLI}" run --quiet ${DEFAULT_PLATFORM} -- ${appPath('many_lines')} ${LINES} | { sleep 1; cat; }`;
    const run = await runNative(['sh', '-c', command, process.execPath], { timeoutMs: 60_000 });
    const lines = run.stdout.split('\n');
    expect(run.stderr).toBe('');
    expect(lines.length).toBe(LINES + 3);
    expect(lines.at(-2)).toBe('all lines written');
  });
});
