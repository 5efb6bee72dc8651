import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPath, DEFAULT_PLATFORM, runNative, runSimterpose } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// Every line a program writes reaches whoever reads simterpose's output,
// however slowly it reads: the program's stdout is the open file simterpose
// was given, blocking as a shell gives it, not the non-blocking one Node
// makes of it (where writes failed with EAGAIN once the reader fell behind,
// and the last lines of a run went missing). Where simterpose gives programs
// a pipe of its own, what the kernel moves there itself reaches the output too.

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

describe("output through simterpose's own pipes", () => {
  it('keeps what sendfile and splice put in a pipe given as stdout (--output-dir), in order, as natively', async () => {
    // Natively through a pipe too: splice needs one at an end.
    const native = await runNative(['sh', '-c', `${appPath('output_transfers')} | cat`]);
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-output-transfers-'));
    const simulated = await runSimterpose([appPath('output_transfers')], { runOptions: ['--output-dir', dir] });
    expect(simulated.stderr).toBe('');
    expect(native.stdout.split('\n').at(-2)).toBe('EXIT-SUCCESS');
    expect(readFileSync(join(dir, 'alice', 'output_transfers.1000.stdout'), 'utf8')).toBe(native.stdout);
  });

  it('keeps what splice moves from a virtual socket into a pipe given as stdout (--output-dir), in order, as natively', async () => {
    const native = await runNative(['sh', '-c', `${appPath('splice_socket')} | cat`]);
    const dir = mkdtempSync(join(tmpdir(), 'simterpose-splice-socket-'));
    const simulated = await runSimterpose([appPath('splice_socket')], { runOptions: ['--cpu-model', 'none', '--output-dir', dir] });
    expect(simulated.stderr).toBe('');
    expect(native.stdout).toContain('spliced to stdout\n');
    expect(readFileSync(join(dir, 'alice', 'splice_socket.1000.stdout'), 'utf8')).toBe(native.stdout);
  });
});
