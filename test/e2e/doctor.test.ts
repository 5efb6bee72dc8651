import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { formatCheck } from '../../src/commands/doctor.js';
import type { Check } from '../../src/commands/doctor-checks.js';
import { defaultCpuModel } from '../../src/mediator/host/cpu-model.js';
import { appPath, runCli, runNative, shellStatus, type RunResult } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// `simterpose doctor` is held to what this machine really has: the addon's
// own probes, the CPU model a run would choose, /proc. The refusals of a
// container are made real by test/apps/container_seccomp.

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

function inContainer(flags: string[], args: string[]): Promise<RunResult> {
  return runNative([appPath('container_seccomp'), ...flags, process.execPath, CLI, ...args]);
}

function parsed(result: RunResult): Map<string, Check> {
  return new Map((JSON.parse(result.stdout) as Check[]).map((check) => [check.name, check]));
}

describe('simterpose doctor', () => {
  it('says ok for each piece this machine has, and what each missing one costs, as the code that uses them finds them', async () => {
    const [text, json] = await Promise.all([runCli(['doctor']), runCli(['doctor', '--json'])]);
    expect(shellStatus(text), text.stderr).toBe(0);
    expect(shellStatus(json), json.stderr).toBe(0);
    const checks = parsed(json);
    expect([...checks.keys()]).toEqual([
      'Node.js',
      'Linux',
      'Yama ptrace_scope',
      'ptrace',
      'seccomp filters',
      "a tracee's descriptors (pidfd_getfd)",
      'seccomp user notifications',
      'io_uring',
      'IORING_OP_WAITID',
      'hardware instruction counter',
      'personality(ADDR_NO_RANDOMIZE)',
    ]);
    expect(text.stdout.split('\n')).toEqual([...[...checks.values()].map(formatCheck), expect.stringMatching(/^simterpose can run here/), '']);

    // The test suite runs programs under simterpose here: whatever a run needs is there.
    for (const check of checks.values()) if (check.needed) expect(check.ok, check.detail).toBe(true);
    expect(checks.get('Node.js')!.detail).toContain(process.version);
    expect(checks.get('Linux')!.detail).toContain(release());
    const yama = '/proc/sys/kernel/yama/ptrace_scope';
    expect(checks.get('Yama ptrace_scope')!.detail).toMatch(existsSync(yama) ? new RegExp(`^${readFileSync(yama, 'utf8').trim()}: `) : /^no Yama here/);

    const counter = checks.get('hardware instruction counter')!;
    expect(counter.ok).toBe(defaultCpuModel() === 'instructions');
    expect(counter.detail).toContain(counter.ok ? 'the instructions CPU model' : '--cpu-model cputime');
    const notifications = ptrace.notificationsAvailable();
    expect(checks.get('io_uring')!.ok || !notifications).toBe(true);
    expect(checks.get('IORING_OP_WAITID')!.ok).toBe(notifications);
    if (!notifications) expect(checks.get('IORING_OP_WAITID')!.detail).toContain('--no-notify-syscalls');
    expect(checks.get('personality(ADDR_NO_RANDOMIZE)')!.ok).toBe(ptrace.addressRandomizationDisabled());

    const missing = [...checks.values()].filter((check) => !check.ok).length;
    expect(text.stdout).toContain(missing === 0 ? 'simterpose can run here\n' : `simterpose can run here (${missing} missing piece`);
  });

  it('in a container that refuses personality(ADDR_NO_RANDOMIZE), says what that costs and that simterpose still runs', async () => {
    const result = await inContainer([], ['doctor', '--json']);
    expect(shellStatus(result), result.stderr).toBe(0);
    const checks = parsed(result);
    expect(checks.get('personality(ADDR_NO_RANDOMIZE)')).toMatchObject({
      ok: false,
      needed: false,
      detail: expect.stringContaining('keep address-space randomization'),
    });
    expect(checks.get('seccomp filters')!.detail).toContain('simterpose itself runs under 1 filter');
  });

  it('where ptrace is refused, exits non-zero with one line naming it', async () => {
    const result = await inContainer(['--refuse-ptrace'], ['doctor']);
    expect(shellStatus(result)).toBe(1);
    expect(result.stdout).toMatch(/^missing +ptrace: a traced program could not run: ptrace\(PTRACE_SEIZE, \d+\): EPERM/m);
    expect(result.stderr).toMatch(
      /^simterpose: cannot run here: ptrace: a traced program could not run: ptrace\(PTRACE_SEIZE, \d+\): EPERM \(Operation not permitted\)\n$/,
    );
  });

  it("where pidfd_getfd is refused (Docker's default profile without CAP_SYS_PTRACE), exits non-zero with one line naming it and the capability", async () => {
    const result = await inContainer(['--refuse-pidfd-getfd'], ['doctor']);
    expect(shellStatus(result)).toBe(1);
    expect(result.stderr).toMatch(
      /^simterpose: cannot run here: a tracee's descriptors \(pidfd_getfd\): pidfd_getfd\(\d+, 0\): EPERM \(Operation not permitted\): no program can run \(in Docker, .*--cap-add SYS_PTRACE\)\n$/,
    );
  });

  it('and a run there fails at once, in one line with a hint, rather than waiting forever for its program', async () => {
    const result = await inContainer(['--refuse-ptrace'], ['run', '--cpu-model', 'none', 'platforms/two-hosts.xml', '--', 'true']);
    expect(shellStatus(result)).toBe(127);
    expect(result.stderr).toMatch(
      /^simterpose: cannot execute 'true': ptrace\(PTRACE_SEIZE, \d+\): EPERM \(Operation not permitted\)\nhint: `simterpose doctor` tells what this machine lacks\n$/m,
    );
  });
});
