import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runNative } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';
import { slurmUnavailable, startSlurmCluster, type SlurmCluster } from '../helpers/slurm-cluster.js';

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const SWEEP = join(REPO_ROOT, 'test/fixtures/sweeps/slurm.yaml');
const EXPERIMENTS = 20;
const unavailable = slurmUnavailable();

// A real Slurm: munged, slurmctld and slurmd on this machine, a one-node
// cluster; the sweep goes through sbatch as a job array, as on a cluster.
describe.skipIf(unavailable !== undefined)(
  `simterpose sweep --emit slurm on a one-node Slurm cluster${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let cluster: SlurmCluster;
    beforeAll(async () => {
      cluster = await startSlurmCluster();
    }, 60_000);
    afterAll(async () => {
      await cluster?.stop();
    }, 60_000);

    /** Submits a batch script (its #SBATCH options overridden by `options`) and waits until its job has left the queue; its id. */
    async function submitAndWait(script: string, options: string[] = []): Promise<string> {
      const job = cluster.command(['sbatch', '--parsable', ...options, script]).trim();
      const deadline = Date.now() + 240_000;
      while (cluster.command(['squeue', '-h', '-j', job]).trim() !== '') {
        expect(Date.now(), `job ${job} still queued or running after 4 minutes`).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      return job;
    }

    it('runs a 20-experiment array, one task per experiment on a CPU of its own, whose results collect gathers; submitted again, it runs none', async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'sweep-slurm-')), 'runs');
      const emit = await runNative([process.execPath, CLI, 'sweep', '--emit', 'slurm', SWEEP, '--out', out]);
      expect(emit.status).toBe(0);
      const script = emit.stdout.trim();
      expect(existsSync(join(out, 'exp-0019', 'run.args'))).toBe(true);

      const job = await submitAndWait(script);
      // Slurm's own account of the array: every task completed, with status 0.
      const tasks = cluster
        .command(['scontrol', '-o', 'show', 'job', job])
        .trim()
        .split('\n')
        .map((line) => ({ index: Number(/ArrayTaskId=(\d+)/.exec(line)![1]), state: /JobState=(\S+)/.exec(line)![1], exit: /ExitCode=(\S+)/.exec(line)![1] }))
        .sort((a, b) => a.index - b.index);
      expect(tasks).toEqual(Array.from({ length: EXPERIMENTS }, (_, index) => ({ index, state: 'COMPLETED', exit: '0:0' })));

      for (let i = 0; i < EXPERIMENTS; i++) {
        const folder = join(out, `exp-${String(i).padStart(4, '0')}`);
        const report = readReport(join(folder, 'report.json'));
        expect(report.end).toBe('completed');
        // task/affinity gave the task one CPU of its own: the run could take no other.
        expect(readFileSync(join(out, `slurm-${job}_${i}.out`), 'utf8')).toMatch(new RegExp(`^${folder} on \\S+, Cpus_allowed_list:\\s+\\d+\\n$`));
        expect(readFileSync(join(folder, 'stdout'), 'utf8')).toContain('[bob 1000] received 1000000 bytes');
      }

      const collect = await runNative([process.execPath, CLI, 'collect', out]);
      expect(collect.status).toBe(0);
      const rows = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, string | number>[];
      expect(rows).toHaveLength(EXPERIMENTS);
      const bandwidths: Record<string, number> = { '5MBps': 5e6, '10MBps': 10e6, '20MBps': 20e6, '40MBps': 40e6, '80MBps': 80e6 };
      for (const row of rows) {
        expect(row['end']).toBe('completed');
        expect(row['link.wire.bytes']).toBe(1_000_000);
        // At least the platform's link time for the megabyte.
        expect(row['process.bob.1000.end'] as number).toBeGreaterThan(1_000_000 / bandwidths[row['bandwidth'] as string]!);
      }
      // Submitted again (its first four tasks, to spare the scheduler's time), the array finds their experiments done and runs none.
      const again = await submitAndWait(script, ['--array=0-3']);
      for (let i = 0; i < 4; i++) {
        expect(readFileSync(join(out, `slurm-${again}_${i}.out`), 'utf8')).toBe(`${join(out, `exp-${String(i).padStart(4, '0')}`)} already has its report\n`);
      }

      // Halving the bandwidth lengthens the transfer, at each latency and seed.
      const at = (bandwidth: string, latency: string, seed: number) =>
        rows.find((r) => r['bandwidth'] === bandwidth && r['latency'] === latency && r['seed'] === seed)!['process.bob.1000.end'] as number;
      const order = Object.keys(bandwidths);
      for (const latency of ['50us', '5ms']) {
        for (const seed of [0, 1]) {
          for (let i = 1; i < order.length; i++) expect(at(order[i - 1]!, latency, seed)).toBeGreaterThan(at(order[i]!, latency, seed));
        }
      }
    }, 300_000);
  },
);
