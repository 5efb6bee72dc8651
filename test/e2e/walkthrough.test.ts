import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runNative, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';

// README's walkthrough, run as it is written: curl on alice fetches a page
// from python3's http.server on bob (examples/web), with a report and a trace.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const output = mkdtempSync(join(tmpdir(), 'simterpose-walkthrough-'));
afterAll(() => rmSync(output, { recursive: true, force: true }));

const missing = ['python3', 'curl'].filter((program) => spawnSync('which', [program], { stdio: 'ignore' }).status !== 0);

interface TraceEvent {
  ph: string;
  id?: number;
}

describe("README's walkthrough", () => {
  test.skipIf(missing.length > 0)(
    `curl fetches bob's page by name; the report and the trace tell what happened${missing.length > 0 ? ` (skipped: ${missing.join(', ')} not installed; .ci/run installs them)` : ''}`,
    async () => {
      const report = join(output, 'report.json');
      const trace = join(output, 'trace.json');
      const result = await runNative(
        [process.execPath, CLI, 'run', 'platforms/two-hosts.xml', 'examples/web/deployment.xml', '--report', report, '--trace', trace],
        { timeoutMs: 90_000 },
      );
      expect(shellStatus(result), result.stderr).toBe(0);
      expect(result.stdout).toContain('[alice 1000] <p>Hello from bob, a simulated host.</p>');
      // The summary table follows the programs' stderr (http.server's request log, from alice's virtual address).
      expect(result.stderr).toMatch(/\[bob 1000\] 10\.0\.0\.1 - - \[01\/Jan\/2000 00:00:01\] "GET \/index\.html HTTP\/1\.1" 200/);
      const written = readReport(report);
      // Past 20 processes (a python3 that is a wrapper script, as pyenv's, runs a few dozen), the table has a row
      // per program and host, with how many processes ran it where the pid was.
      const second = written.processes.length <= 20 ? '1000' : '1';
      expect(result.stderr).toMatch(new RegExp(`^alice\\s+${second}\\s+curl\\s+0\\s`, 'm'));
      // The server never exits by itself: its kill_time stops it at 2 s, which is no failure.
      expect(result.stderr).toMatch(new RegExp(`^bob\\s+${second}\\s+\\S*python3\\s+stopped\\s+0 s\\s+2 s\\s`, 'm'));

      expect(written).toMatchObject({ end: 'completed', virtualTime: 2 });
      const processes = written.processes;
      const curl = processes.find((entry) => entry.host === 'alice' && entry.parent === null)!;
      const server = processes.find((entry) => entry.host === 'bob' && entry.parent === null)!;
      expect(curl.status).toBe(0);
      expect(server.stopped).toBe('kill-time');
      // What curl sent (its DNS query aside, answered by simterpose), the server received, and back.
      expect(curl.bytesReceived).toBeGreaterThanOrEqual(server.bytesSent);
      expect(server.bytesReceived).toBeGreaterThan(0);

      const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
      const starts = events.filter((event) => event.ph === 's').map((event) => event.id);
      const ends = events.filter((event) => event.ph === 'f').map((event) => event.id);
      expect(starts.length).toBeGreaterThan(0);
      expect(ends.sort()).toEqual(starts.sort());
    },
    120_000,
  );
});
