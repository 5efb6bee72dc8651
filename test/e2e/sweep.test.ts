import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runNative } from '../helpers/apps.js';
import { isLive, liveDescendants, startSimterpose, waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const simterpose = (args: string[], timeoutMs = 45_000) => runNative([process.execPath, CLI, ...args], { timeoutMs });
const TRANSFER_SWEEP = join(REPO_ROOT, 'test/fixtures/sweeps/transfer.yaml');

/** The sweep fixture's values, in bytes per second and seconds, as two-hosts.xml's link takes them. */
const BANDWIDTHS: Record<string, number> = { '5MBps': 5e6, '20MBps': 20e6, '80MBps': 80e6 };
const LATENCIES: Record<string, number> = { '50us': 50e-6, '5ms': 5e-3 };
/** When the sender of transfer-deployment.xml starts. */
const SENDER_START = 0.001;

/** Rows of an RFC 4180 CSV without quoted fields, by header. */
function readCsv(file: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trimEnd().split('\r\n');
  const columns = header!.split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((value, i) => [columns[i]!, value])));
}

describe('simterpose sweep, run locally, then collect', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'sweep-e2e-')), 'runs');

  it('runs every experiment of the grid on 2 workers, each in its own folder with its report, and collect tabulates them', async () => {
    const sweep = await simterpose(['sweep', TRANSFER_SWEEP, '--out', out, '--jobs', '2'], 120_000);
    expect(sweep.stderr).toContain('sweep: 6 experiments, 0 with a report already, 6 to run on 2 workers');
    expect(sweep.status).toBe(0);
    for (let i = 0; i < 6; i++) {
      const folder = join(out, `exp-000${i}`);
      expect(readReport(join(folder, 'report.json')).end).toBe('completed');
      expect(readFileSync(join(folder, 'stdout'), 'utf8')).toContain('[bob 1000] received 2000000 bytes');
    }
    // The two workers each had a CPU of their own.
    const cpus = new Set(
      Array.from({ length: 6 }, (_, i) => JSON.parse(readFileSync(join(out, `exp-000${i}`, 'report.json'), 'utf8')).run.options.cpu as number),
    );
    expect(cpus.size).toBe(2);

    const collect = await simterpose(['collect', out]);
    expect(collect.status).toBe(0);
    const rows = readCsv(join(out, 'results.csv'));
    expect(rows.map((row) => `${row['bandwidth']} ${row['latency']}`)).toEqual([
      '5MBps 50us',
      '5MBps 5ms',
      '20MBps 50us',
      '20MBps 5ms',
      '80MBps 50us',
      '80MBps 5ms',
    ]);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as Record<string, unknown>[];
    expect(json).toHaveLength(6);
    expect(json[0]).toMatchObject({ experiment: 'exp-0000', bandwidth: '5MBps', size: 2000000, seed: 0, end: 'completed' });

    const transfer = (row: Record<string, string>) => Number(row['process.bob.1000.end']) - SENDER_START;
    for (const row of rows) {
      expect(row['process.bob.1000.status']).toBe('0');
      expect(Number(row['link.wire.bytes'])).toBe(2_000_000);
      expect(Number(row['host.bob.bytes_received'])).toBe(2_000_000);
      // No faster than the platform's link allows; above it by TCP's headers, handshake and slow start, a few round trips.
      const bandwidth = BANDWIDTHS[row['bandwidth']!]!;
      const latency = LATENCIES[row['latency']!]!;
      const floor = 2_000_000 / bandwidth + 2 * latency;
      expect(transfer(row)).toBeGreaterThan(floor);
      expect(transfer(row)).toBeLessThan(floor * 1.2 + 20 * latency + 0.005);
    }
    // Less bandwidth, a longer transfer; more latency, a longer one too.
    const times = rows.map(transfer);
    expect(times[0]).toBeGreaterThan(times[2]!);
    expect(times[2]).toBeGreaterThan(times[4]!);
    expect(times[1]).toBeGreaterThan(times[3]!);
    expect(times[3]).toBeGreaterThan(times[5]!);
    for (const i of [0, 2, 4]) expect(times[i + 1]).toBeGreaterThan(times[i]!);
  }, 180_000);

  it('runs again only the experiments without a report', async () => {
    rmSync(join(out, 'exp-0003', 'report.json'));
    const again = await simterpose(['sweep', TRANSFER_SWEEP, '--out', out, '--jobs', '2'], 60_000);
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('sweep: 6 experiments, 5 with a report already, 1 to run on 1 worker');
    expect(again.stderr).toMatch(/\[6\/6\] exp-0003 completed, status 0 in [\d.]+ s \(bandwidth=20MBps latency=5ms size=2000000 seed=0\)/);
  }, 90_000);

  it('stops its runs at Ctrl-C, leaving no process behind, and a second sweep finishes what the first left', async () => {
    const folder = join(mkdtempSync(join(tmpdir(), 'sweep-interrupted-')), 'runs');
    const sweep = startSimterpose(['sweep', TRANSFER_SWEEP, '--out', folder, '--jobs', '2']);
    // Both workers' runs have started their programs.
    const started = await waitFor(() => {
      const descendants = liveDescendants(sweep.pid);
      return descendants.length >= 4 ? descendants : undefined;
    });
    sweep.child.kill('SIGINT');
    const result = await sweep.finished;
    expect(result.status).toBe(130);
    expect(result.stderr).toContain('simterpose: sweep interrupted by SIGINT: run it again to finish it\n');
    expect(started.filter(isLive)).toEqual([]);
    const reports = () => Array.from({ length: 6 }, (_, i) => join(folder, `exp-000${i}`, 'report.json')).filter((file) => existsSync(file));
    const unfinished = reports().filter((file) => readReport(file).end === 'interrupted');
    expect(unfinished.length).toBeGreaterThan(0);

    const again = await simterpose(['sweep', TRANSFER_SWEEP, '--out', folder, '--jobs', '2'], 60_000);
    expect(again.status).toBe(0);
    expect(reports().map((file) => readReport(file).end)).toEqual(Array(6).fill('completed'));
  }, 90_000);

  it('tells a bad sweep file in one line, with status 2, before running anything', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sweep-bad-'));
    const file = join(folder, 'bad.yaml');
    writeFileSync(
      file,
      `platform: ${join(REPO_ROOT, 'platforms/two-hosts.xml')}\ncommand: [/bin/true]\nparameters:\n  bw: { element: wier, attribute: bandwidth, values: [1MBps] }\n`,
    );
    const result = await simterpose(['sweep', file, '--out', join(folder, 'out')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`simterpose: ${file}: the platform ${join(REPO_ROOT, 'platforms/two-hosts.xml')} has no element with id 'wier'\n`);
  });

  it('says a run that could not go through made the sweep fail, naming it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sweep-fail-'));
    const file = join(folder, 'fails.yaml');
    writeFileSync(file, `platform: ${join(REPO_ROOT, 'platforms/two-hosts.xml')}\ncommand: [./missing-program]\n`);
    const result = await simterpose(['sweep', file, '--out', join(folder, 'out'), '--jobs', '1']);
    expect(result.status).toBe(125);
    expect(result.stderr).toContain('simterpose: 1 of 1 experiments did not run through, exp-0000 first: no report (status 127)');
    expect(readFileSync(join(folder, 'out', 'exp-0000', 'stderr'), 'utf8')).toBe(
      `simterpose: cannot execute '${join(folder, 'missing-program')}': no such file\n`,
    );
  });
});

describe("the README's example sweep (examples/sweep)", () => {
  const example = join(REPO_ROOT, 'examples/sweep/transfer.yaml');

  it('is the file the README shows, without its comments', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const shown = /```yaml\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('### Sweeps')))![1];
    const file = readFileSync(example, 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .join('\n');
    expect(shown).toBe(file);
  });

  it("runs its 12 experiments, and each transfer takes what the link's bandwidth gives the size", async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sweep-example-')), 'transfer-out');
    const sweep = await simterpose(['sweep', example, '--out', out, '--jobs', '2'], 180_000);
    expect(sweep.status).toBe(0);
    expect((await simterpose(['collect', out])).status).toBe(0);
    const rows = readCsv(join(out, 'results.csv'));
    expect(rows).toHaveLength(12);
    const bandwidths: Record<string, number> = { '10MBps': 10e6, '50MBps': 50e6, '125MBps': 125e6 };
    for (const row of rows) {
      const size = Number(row['size']);
      expect(Number(row['host.bob.bytes_received'])).toBe(size);
      const stdout = readFileSync(join(out, row['experiment']!, 'stdout'), 'utf8');
      const [, received, seconds] = /\[bob \d+\] received (\d+) bytes in ([\d.]+) s/.exec(stdout)!;
      expect(Number(received)).toBe(size);
      const floor = size / bandwidths[row['bandwidth']!]!;
      expect(Number(seconds)).toBeGreaterThan(floor);
      expect(Number(seconds)).toBeLessThan(floor * 1.2 + 0.005);
    }
  }, 240_000);
});

describe('simterpose sweep --emit', () => {
  it('writes a Slurm array script with one task per experiment, and a Kubernetes Indexed Job of as many completions', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'sweep-emit-')), 'runs');
    const slurm = await simterpose(['sweep', '--emit', 'slurm', TRANSFER_SWEEP, '--out', out, '--jobs', '3']);
    expect(slurm.status).toBe(0);
    expect(slurm.stdout).toBe(`${join(out, 'sweep.slurm')}\n`);
    const script = readFileSync(join(out, 'sweep.slurm'), 'utf8');
    expect(script).toContain('#SBATCH --array=0-5%3\n');
    expect(script).toContain('"$SLURM_ARRAY_TASK_ID"');
    const k8s = await simterpose(['sweep', '--emit', 'k8s', TRANSFER_SWEEP, '--out', out]);
    expect(k8s.status).toBe(0);
    const { parse } = await import('yaml');
    const job = parse(readFileSync(join(out, 'sweep-job.yaml'), 'utf8'));
    expect(job).toMatchObject({ kind: 'Job', spec: { completionMode: 'Indexed', completions: 6 } });
    const container = job.spec.template.spec.containers[0];
    expect(container.command[2]).toContain('"$JOB_COMPLETION_INDEX"');
    expect(container.volumeMounts[0].mountPath).toBe(out);
    // Nothing ran: the folders wait for the scheduler.
    expect(() => readFileSync(join(out, 'exp-0000', 'report.json'))).toThrow();
  });

  it('gives --help for both commands', async () => {
    const sweep = await simterpose(['sweep', '--help']);
    expect(sweep.stdout).toContain('--emit <engine>');
    expect(sweep.stdout).toContain('seeds:');
    const collect = await simterpose(['collect', '--help']);
    expect(collect.stdout).toContain('process.HOST.PID');
  });
});
