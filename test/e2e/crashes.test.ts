import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment } from '../../src/index.js';
import { appPath, runNative } from '../helpers/apps.js';
import { commandOf, liveDescendants, startSimterpose, waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';

// A process that crashes gets one line on stderr as it dies, naming it,
// and the others go on.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';

/** alice crashes at 1.25 s (virtual) as `how` says; bob prints a line at 2 s. */
function crashDeployment(how: 'segv' | 'abort'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'simterpose-crash-')), 'deployment.xml');
  writeFileSync(
    file,
    `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="alice" function="${appPath('crash')}"><argument value="1.25"/><argument value="${how}"/></actor>
  <actor host="bob" function="/bin/sh"><argument value="-c"/><argument value="sleep 2; echo still here"/></actor>
</platform>
`,
  );
  return file;
}

describe('a crash', () => {
  for (const quiet of [false, true]) {
    it(`prints one line naming host, virtual pid, program, signal and virtual date, and the other processes go on${quiet ? ' (--quiet too)' : ''}`, async () => {
      const options = quiet ? ['--quiet'] : [];
      const result = await runNative([process.execPath, CLI, 'run', '--cpu-model', 'none', ...options, PLATFORM, crashDeployment('segv')]);
      expect(result.status).toBe(139);
      expect(result.stdout).toContain('[alice 1000] crashing\n');
      expect(result.stdout).toContain('[bob 1000] still here\n');
      const lines = result.stderr.split('\n').filter((line) => line.includes('killed by'));
      expect(lines).toEqual([`simterpose: [alice 1000] ${appPath('crash')} killed by SIGSEGV at 1.25 s (virtual)`]);
    });
  }

  it('is told to runExperiment through onNotice, for abort() too, and not for a signal that does not dump core', async () => {
    const notices: string[] = [];
    const result = await runExperiment({ platform: PLATFORM, deployment: crashDeployment('abort'), cpuModel: 'none', onNotice: (line) => notices.push(line) });
    expect(result.exitCode).toBe(134);
    expect(notices).toEqual([`[alice 1000] ${appPath('crash')} killed by SIGABRT at 1.25 s (virtual)`]);
    const terminated = await runExperiment({
      platform: PLATFORM,
      command: [appPath('exit_code'), 'signal', '15'],
      cpuModel: 'none',
      onNotice: (line) => notices.push(line),
    });
    expect(terminated.exitCode).toBe(143);
    expect(notices).toHaveLength(1);
  });

  it('by a SIGKILL from outside simterpose is told the same way', async () => {
    const run = startSimterpose(['run', '--cpu-model', 'none', PLATFORM, '--', 'sh', '-c', 'cat; echo after']);
    const cat = await waitFor(() => liveDescendants(run.pid).find((pid) => commandOf(pid) === 'cat'));
    process.kill(cat, 'SIGKILL');
    const result = await run.finished;
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('after\n');
    expect(result.stderr).toMatch(/^simterpose: \[alice 1001\] cat killed by SIGKILL at [\d.]+ m?s \(virtual\)$/m);
    run.child.stdin!.end();
  });
});
