import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runNative, runSimterpose, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// simterpose-remote, the ssh of the simulated platform: a command launched
// through it runs on the host it names, as that host's process, with the
// caller's standard streams, and gives back its status; cluster tools use it
// as their ssh (an MPI job over the hosts of platforms/cluster16.xml).

const REMOTE = join(REPO_ROOT, 'bin', 'simterpose-remote');
const PATH = `${join(REPO_ROOT, 'bin')}:${process.env.PATH}`;
const FREE_CPU = ['--cpu-model', 'none'];

const workDir = mkdtempSync(join(tmpdir(), 'simterpose-remote-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

describe('simterpose-remote', () => {
  test('outside simterpose it refuses with one line and status 255, as ssh fails', async () => {
    const result = await runNative([REMOTE, 'bob', 'true']);
    expect(shellStatus(result)).toBe(255);
    expect(result.stderr).toBe(
      "simterpose-remote: cannot run 'bob true': HOST must be a host of the simulated platform, and simterpose-remote works only under simterpose\n",
    );
  });

  test('says how to use it with --help (status 0), and without arguments (status 255, as ssh)', async () => {
    const help = await runNative([REMOTE, '--help']);
    expect(shellStatus(help)).toBe(0);
    expect(help.stdout).toMatch(/^usage: simterpose-remote \[SSH OPTIONS\] HOST \[COMMAND \[ARGS\.\.\.\]\]/);
    const bare = await runNative([REMOTE]);
    expect(shellStatus(bare)).toBe(255);
    expect(bare.stderr).toBe(help.stdout);
  });

  test("runs the command on the host it names, with the caller's streams, and returns its status; that host has its own name and boot id", async () => {
    const script = [
      'hostname; cat /proc/sys/kernel/random/boot_id',
      'simterpose-remote -x -o BatchMode=yes bob \'hostname; cat /proc/sys/kernel/random/boot_id; read line; echo "bob read $line"; exit 3\' <<EOF',
      'from alice',
      'EOF',
      'echo "status $?"',
      'simterpose-remote nowhere true; echo "status $?"',
      // Scripts that call ssh reach it through a link of that name.
      `ln -s ${REMOTE} ${workDir}/ssh && ${workDir}/ssh bob hostname`,
    ].join('\n');
    const result = await runSimterpose(['/bin/sh', '-c', script], { runOptions: FREE_CPU, env: { PATH } });
    const [aliceName, aliceBoot, bobName, bobBoot, bobRead, status, unknownStatus, throughSsh] = result.stdout.trimEnd().split('\n');
    expect([aliceName, bobName, bobRead, status, unknownStatus, throughSsh]).toEqual(['alice', 'bob', 'bob read from alice', 'status 3', 'status 255', 'bob']);
    expect(bobBoot).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(bobBoot).not.toBe(aliceBoot);
    expect(result.stderr).toContain("simterpose-remote: cannot run 'nowhere true'");
    expect(shellStatus(result)).toBe(0);
  });
});

const hasMpich = ['mpicc', 'mpiexec'].every((program) => spawnSync('which', [program], { stdio: 'ignore' }).status === 0);
const mpiTest = hasMpich ? test : test.skip;

describe('an MPI job over simulated hosts, launched through simterpose-remote', () => {
  mpiTest(
    `${hasMpich ? '' : '(skipped: mpicc and mpiexec of MPICH not installed; .ci/run installs them) '}mpiexec runs a ring and an allreduce with one rank on each of 4 hosts of cluster16; the ring takes its 4 hops of latency`,
    async () => {
      const program = join(workDir, 'ring');
      const build = spawnSync('mpicc', ['-O1', '-Wall', '-Werror', '-o', program, join(REPO_ROOT, 'test/apps/mpi/ring.c')], { encoding: 'utf8' });
      expect(build.status, build.stderr).toBe(0);
      const hosts = ['node-0', 'node-1', 'node-2', 'node-3'];
      const argv = ['mpiexec', '-launcher', 'ssh', '-launcher-exec', REMOTE, '-hosts', hosts.join(','), '-n', String(hosts.length), program];
      const result = await runSimterpose(argv, { platform: 'platforms/cluster16.xml', runOptions: FREE_CPU, timeoutMs: 90_000 });
      expect(shellStatus(result), result.stderr).toBe(0);
      const lines = result.stdout.trimEnd().split('\n');
      const ring = /^token 4, sum of ranks 6, ring ([\d.]+) us$/.exec(lines[0]!);
      expect(ring, result.stdout).not.toBeNull();
      // A hop crosses two private links (2 us each) and the backbone (1 us): 5 us of latency, the 4-byte token adds nothing to speak of.
      const hopLatency = 5;
      expect(Number(ring![1])).toBeGreaterThanOrEqual(hosts.length * hopLatency);
      expect(Number(ring![1])).toBeLessThan(hosts.length * hopLatency * 3);
      expect(lines.slice(1).sort()).toEqual(hosts.map((host, rank) => `rank ${rank} on ${host}`).sort());
    },
    120_000,
  );
});
