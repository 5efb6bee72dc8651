import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appPath, runNative, shellStatus, type RunResult } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';

// Docker's default seccomp profile refuses personality(ADDR_NO_RANDOMIZE)
// with EPERM. test/apps/container_seccomp installs the same refusal and
// runs simterpose under it, as a container would.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
/** Three programs on two hosts, started at three dates: three spawns. */
const DEPLOYMENT = 'test/fixtures/deployments/observe.xml';
const WARNING = /^simterpose: this machine refuses personality\(ADDR_NO_RANDOMIZE\) .*programs keep address-space randomization/;

function inContainer(args: string[]): Promise<RunResult> {
  return runNative([appPath('container_seccomp'), process.execPath, CLI, 'run', ...args], { timeoutMs: 60_000 });
}

function warnings(result: RunResult): string[] {
  return result.stderr.split('\n').filter((line) => WARNING.test(line));
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'simterpose-containers-'));
}

describe('where personality(ADDR_NO_RANDOMIZE) is refused (a container)', () => {
  it('the refusal is real: setarch -R fails there with EPERM', async () => {
    const refused = await runNative([appPath('container_seccomp'), 'setarch', '-R', 'true']);
    expect(shellStatus(refused)).not.toBe(0);
    expect(refused.stderr).toContain('Operation not permitted');
  });

  it('every program runs, and one line warns that randomization stays, even with --quiet; the report says so', async () => {
    const report = join(scratch(), 'report.json');
    const result = await inContainer(['--quiet', '--cpu-model', 'none', '--report', report, PLATFORM, DEPLOYMENT]);
    expect(shellStatus(result), result.stderr).toBe(0);
    expect(warnings(result)).toHaveLength(1);
    expect(result.stderr.trim().split('\n')).toEqual(warnings(result));
    expect(result.stdout.split('\n').filter((line) => line.endsWith('EXIT-SUCCESS'))).toHaveLength(2);
    const written = readReport(report);
    expect(written.run.addressRandomizationDisabled).toBe(false);
    expect(written.processes.map((p) => p.status)).toEqual([0, 0, 0]);
  });

  it.skipIf(readFileSync('/proc/sys/kernel/randomize_va_space', 'utf8').trim() === '0')(
    "programs keep the container's randomization: their addresses differ between runs",
    async () => {
      const runs = await Promise.all([0, 1].map(() => inContainer(['--quiet', '--cpu-model', 'none', 'platforms/two-hosts.xml', '--', appPath('addresses')])));
      for (const run of runs) expect(shellStatus(run), run.stderr).toBe(0);
      expect(runs[0]!.stdout).toContain('EXIT-SUCCESS');
      expect(runs[1]!.stdout).not.toBe(runs[0]!.stdout);
    },
  );

  it('elsewhere there is no warning, and the report says randomization was off', async () => {
    const report = join(scratch(), 'report.json');
    const result = await runNative([process.execPath, CLI, 'run', '--quiet', '--cpu-model', 'none', '--report', report, PLATFORM, DEPLOYMENT], {
      timeoutMs: 60_000,
    });
    expect(shellStatus(result), result.stderr).toBe(0);
    expect(warnings(result)).toEqual([]);
    expect(readReport(report).run.addressRandomizationDisabled).toBe(true);
  });
});
