import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { runExperiment, type ExperimentResult, type MigrationPolicy } from '../../src/index.js';
import type { MigrationReport } from '../../src/report/types.js';
import { THREAD_STATE_BYTES } from '../../src/migration/state-size.js';
import { appPath, runCli } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// A process moved to another host in the middle of its run (src/migration):
// frozen, its state carried over the platform's route, resumed there.

/** slow (1 Gf) and fast (2 Gf) joined by `backbone` (100 MB/s, 1 ms); alice reaches slow over `to-slow`, fast over `to-fast`. */
const PLATFORM = 'test/fixtures/platforms/migration.xml';
const BACKBONE = { latency: 1e-3, bandwidth: 100e6 };
/** About 0.25 s of CPU on this kind of machine (cputime), well above the 20 ms quantum. */
const ITERATIONS = '600000000';
const MIGRATION_DATE = 0.15;
/** One --cpu-threshold of work (1e5 flops by default) on slow, the slower host: what a clock read answered by the vDSO may lag per threshold. */
const VDSO_LAG_PER_THRESHOLD = 1e5 / 1e9;
const instructionCounterAvailable = ptrace.instructionCounterAvailable();

function folder(): string {
  return mkdtempSync(join(tmpdir(), 'simterpose-migration-'));
}

/** The virtual CPU seconds computed on `host`, from the report's usage. */
function cpuSecondsOn(result: ExperimentResult, host: string): number {
  return result.report.usage.hosts.find((usage) => usage.name === host)?.cpuTime.reduce((sum, seconds) => sum + seconds, 0) ?? 0;
}

/** The number after `name ` in the program's output. */
function value(stdout: string, name: string): number {
  const line = stdout.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) throw new Error(`no '${name}' line in:\n${stdout}`);
  return Number(line.slice(name.length + 1));
}

function loopOnSlow(cpuModel: 'cputime' | 'instructions', migrations: string[] = []): Promise<ExperimentResult> {
  return runExperiment({ platform: PLATFORM, host: 'slow', command: [appPath('compute_loop'), ITERATIONS], cpuModel, migrations, captureOutput: true });
}

/** What crossing the backbone takes for `bytes`: SimGrid's L + S/B, as simterpose configures it. */
function backboneTime(bytes: number): number {
  return BACKBONE.latency + bytes / BACKBONE.bandwidth;
}

function expectMigrated(migration: MigrationReport | undefined, host: string, to: string, start: number): MigrationReport {
  expect(migration).toMatchObject({ from: host, to, start, missed: null });
  // Its memory (a loop's heap and stack, libc's data), one thread, its descriptors.
  expect(migration!.bytes).toBeGreaterThan(THREAD_STATE_BYTES + 16 * 1024);
  expect(migration!.downtime).toBeCloseTo(backboneTime(migration!.bytes), 9);
  return migration!;
}

describe('a compute-bound process moved from a 1 Gf host to a 2 Gf host', () => {
  it('computes on the slow host until the date, is frozen while its memory crosses, then computes the rest on the fast host (cputime)', async () => {
    const result = await loopOnSlow('cputime', [`1000@slow:${MIGRATION_DATE}:fast`]);
    expect(result.exitCode, result.outputs[0]?.stderr).toBe(0);
    const migration = expectMigrated(result.report.migrations[0], 'slow', 'fast', MIGRATION_DATE);
    const [process] = result.report.processes;
    expect(process).toMatchObject({ host: 'fast', pid: 1000, start: 0 });
    // Alone on slow, it computed there every moment until it froze.
    expect(cpuSecondsOn(result, 'slow')).toBeCloseTo(MIGRATION_DATE, 6);
    // Then nothing during the transfer, then the rest on fast: its end is the sum.
    expect(process!.end).toBeCloseTo(MIGRATION_DATE + migration.downtime + cpuSecondsOn(result, 'fast'), 6);
    // The loop itself saw the freeze as time passing without its CPU time
    // growing. Its last monotonic read may be answered by simterpose's vDSO
    // without a stop, and so be up to two --cpu-threshold of its work behind
    // (README, Time: 1e5 flops, 100 µs on slow), which its CPU-time read, a
    // trapped call, is not.
    const stdout = result.outputs[0]!.stdout;
    const behind = migration.downtime - (value(stdout, 'duration') - value(stdout, 'cputime')) / 1e9;
    expect(behind).toBeGreaterThanOrEqual(-1e-9);
    expect(behind).toBeLessThanOrEqual(2 * VDSO_LAG_PER_THRESHOLD);
  });

  it('moved live, computes on the slow host while its memory crosses, and is frozen only for the pages it wrote meanwhile and its threads and descriptors (cputime)', async () => {
    const cold = await loopOnSlow('cputime', [`1000@slow:${MIGRATION_DATE}:fast`]);
    const live = await loopOnSlow('cputime', [`1000@slow:${MIGRATION_DATE}:fast:live`]);
    expect(live.exitCode, live.outputs[0]?.stderr).toBe(0);
    const migration = live.report.migrations[0]!;
    expect(migration).toMatchObject({ from: 'slow', to: 'fast', live: true, start: MIGRATION_DATE, missed: null });
    expect(migration.rounds).toBeGreaterThanOrEqual(2);
    expect(migration.downtime).toBeLessThan(cold.report.migrations[0]!.downtime);
    // Every round is a transfer on the backbone: its latency each time, and the bytes of them all.
    expect(migration.duration).toBeCloseTo(migration.rounds * BACKBONE.latency + migration.bytes / BACKBONE.bandwidth, 9);
    // It computed on slow until it froze, then on fast after the last copy.
    const frozenAt = MIGRATION_DATE + migration.duration - migration.downtime;
    expect(cpuSecondsOn(live, 'slow')).toBeCloseTo(frozenAt, 6);
    expect(live.report.processes[0]!.end).toBeCloseTo(MIGRATION_DATE + migration.duration + cpuSecondsOn(live, 'fast'), 6);
  });

  it.skipIf(!instructionCounterAvailable)(
    'counted in instructions, it ends at the date the speeds imply: the migration date, the transfer, then the rest of the work at twice the speed' +
      (instructionCounterAvailable ? '' : ' (skipped: this machine has no hardware instruction counter)'),
    async () => {
      const alone = await loopOnSlow('instructions');
      const moved = await loopOnSlow('instructions', [`1000@slow:${MIGRATION_DATE}:fast`]);
      const migration = expectMigrated(moved.report.migrations[0], 'slow', 'fast', MIGRATION_DATE);
      const end = alone.report.processes[0]!.end;
      const expected = MIGRATION_DATE + migration.downtime + (end - MIGRATION_DATE) / 2;
      expect(Math.abs(moved.report.processes[0]!.end - expected) / expected).toBeLessThan(1e-3);
    },
  );
});

/** net_sequence recv on slow, migrating to fast at `at`; net_sequence send on alice streaming `bytes` to it. */
function streamDeployment(at: number, bytes: number): string {
  const path = join(folder(), 'stream.xml');
  writeFileSync(
    path,
    `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="slow" function="${appPath('net_sequence')}">
    <argument value="recv"/><argument value="5000"/><argument value="${bytes}"/>
    <migrate time="${at}" host="fast"/>
  </actor>
  <actor host="alice" function="${appPath('net_sequence')}" start_time="0.01">
    <argument value="send"/><argument value="slow"/><argument value="5000"/><argument value="${bytes}"/>
  </actor>
</platform>
`,
  );
  return path;
}

describe('a TCP server migrating while a client streams to it', () => {
  const BYTES = 8_000_000;

  it('receives every byte in order, on the fast host after the move, the bytes sent since crossing the route to it', async () => {
    const result = await runExperiment({ platform: PLATFORM, deployment: streamDeployment(0.3, BYTES), cpuModel: 'none', captureOutput: true });
    expect(result.exitCode).toBe(0);
    const server = result.outputs.find((output) => output.stdout.includes('host at start'))!;
    expect(server.stdout).toBe(
      ['host at start slow', 'listening on port 5000', `received ${BYTES} bytes in order`, 'host at end fast', 'EXIT-SUCCESS', ''].join('\n'),
    );
    expectMigrated(result.report.migrations[0], 'slow', 'fast', 0.3);
    // Before the move the stream crossed alice's link to slow, after it the link to fast: each carried a share.
    const carried = new Map(result.report.links.map((link) => [link.name, link.bytes]));
    expect(carried.get('to-slow')).toBeGreaterThan(0.5e6);
    expect(carried.get('to-fast')).toBeGreaterThan(0.5e6);
    expect(carried.get('to-slow')! + carried.get('to-fast')!).toBe(BYTES);
  });

  it('moved live, receives every byte in order too: its memory crosses in rounds while it reads', async () => {
    const deployment = streamDeployment(0.3, BYTES).replace('.xml', '-live.xml');
    writeFileSync(deployment, readFileSync(deployment.replace('-live.xml', '.xml'), 'utf8').replace('host="fast"/>', 'host="fast" live="true"/>'));
    const result = await runExperiment({ platform: PLATFORM, deployment, cpuModel: 'none', captureOutput: true });
    expect(result.exitCode).toBe(0);
    expect(result.outputs.find((output) => output.stdout.includes('host at start'))!.stdout).toContain(`received ${BYTES} bytes in order\nhost at end fast\n`);
    const migration = result.report.migrations[0]!;
    expect(migration).toMatchObject({ from: 'slow', to: 'fast', live: true, start: 0.3, missed: null });
    expect(migration.rounds).toBeGreaterThanOrEqual(2);
    expect(migration.downtime).toBeLessThan(migration.duration);
  });

  it('runs twice to the same bytes under --cpu-model none: output, report and trace', async () => {
    const deployment = streamDeployment(0.3, 2_000_000);
    const dir = folder();
    const runOnce = async (): Promise<string[]> => {
      const result = await runCli(['run', '--cpu-model', 'none', '--report', 'report.json', '--trace', 'trace.json', join(REPO_ROOT, PLATFORM), deployment], {
        cwd: dir,
      });
      expect(result.status, result.stderr).toBe(0);
      const report = readFileSync(join(dir, 'report.json'), 'utf8');
      expect((JSON.parse(report) as { migrations: unknown[] }).migrations).toHaveLength(1);
      return [result.stdout, report, readFileSync(join(dir, 'trace.json'), 'utf8')];
    };
    expect(await runOnce()).toEqual(await runOnce());
  });
});

describe('asking for a migration', () => {
  it('prints a line per migration in the summary, and one for a migration that found no process', async () => {
    const result = await runCli([
      'run',
      '--cpu-model',
      'none',
      '--host',
      'slow',
      '--migrate',
      '1000@slow:0.5:fast',
      '--migrate',
      '1001@slow:0.2:fast',
      PLATFORM,
      '--',
      'sleep',
      '1',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^migration at 200 ms of 1001@slow to fast: no process 1001@slow$/m);
    expect(result.stderr).toMatch(/^migration at 500 ms: slow 1000 \S*sleep to fast, [\d.]+ kB in [\d.]+ ms$/m);
    expect(result.stderr).toMatch(/^fast +1000 +\S*sleep +0 /m);
  });

  it('a process killed while its state crosses does not arrive, and a fault finds a migrated process on its new host under its pid', async () => {
    const killed = await runExperiment({
      platform: PLATFORM,
      host: 'slow',
      command: [appPath('compute_loop'), ITERATIONS],
      cpuModel: 'cputime',
      migrations: ['1000@slow:0.15:fast'],
      faults: ['process:1000@slow:kill@0.1505'],
    });
    expect(killed.report.processes[0]).toMatchObject({ host: 'slow', end: 0.1505, stopped: 'fault' });
    expect(killed.report.migrations).toEqual([
      expect.objectContaining({ from: 'slow', to: 'fast', start: 0.15, missed: 'process 1000@slow ended while its state crossed' }),
    ]);
    const found = await runExperiment({
      platform: PLATFORM,
      host: 'slow',
      command: [appPath('compute_loop'), ITERATIONS],
      cpuModel: 'cputime',
      migrations: ['1000@slow:0.15:fast'],
      faults: ['process:1000@fast:kill@0.2'],
    });
    expect(found.report.processes[0]).toMatchObject({ host: 'fast', end: 0.2, stopped: 'fault' });
    expect(found.report.faults[0]).toMatchObject({ killed: [{ host: 'fast', pid: 1000 }], missed: null });
  });

  it('refuses a wrong migration in one line, before anything runs', async () => {
    for (const [migration, message] of [
      ['1000@slow:soon:fast', "simterpose: --migrate '1000@slow:soon:fast': the date is a non-negative number of virtual seconds, not 'soon'"],
      ['1000@slow:1', "simterpose: --migrate '1000@slow:1': expected PID@HOST:T:DESTINATION, or PID@HOST:T:DESTINATION:live"],
      ['1000@slow:1:slow', "simterpose: --migrate '1000@slow:1:slow': the process is on slow already"],
      ['1000@slow:1:carol', "simterpose: --migrate 1000@slow:1:carol: the platform has no host 'carol'"],
    ]) {
      const result = await runCli(['run', '--migrate', migration!, PLATFORM, '--', 'true']);
      expect(result.status).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(message);
    }
  });
});

describe('a load-balancing policy', () => {
  /** About 0.1 s of CPU each: 8 of them on one core take about 0.8 s of virtual time, far longer than the policy takes to spread them. */
  const BALANCED_ITERATIONS = '250000000';

  /** 8 runs of the compute loop, all on node-0. */
  function crowdedDeployment(): string {
    const path = join(folder(), 'crowded.xml');
    const actor = `<actor host="node-0" function="${appPath('compute_loop')}"><argument value="${BALANCED_ITERATIONS}"/></actor>`;
    writeFileSync(path, `<?xml version='1.0'?>\n<platform version="4.1">\n${Array(8).fill(actor).join('\n')}\n</platform>\n`);
    return path;
  }

  /** Every 20 ms, one process moves from the most loaded host to the least loaded, while they differ by more than one thread. */
  const spread: MigrationPolicy = {
    every: 0.02,
    decide: ({ hosts, processes }) => {
      const byLoad = [...hosts].sort((a, b) => a.load - b.load);
      const [idlest, busiest] = [byLoad[0]!, byLoad.at(-1)!];
      if (busiest.load - idlest.load <= 1) return [];
      const candidate = processes.find((process) => process.host === busiest.name && !process.migrating);
      return candidate === undefined ? [] : [{ pid: candidate.pid, host: candidate.host, to: idlest.name }];
    },
  };

  it('spreading 8 compute processes from one host over four ends sooner than leaving them, two per host after six moves', async () => {
    const platform = 'test/fixtures/platforms/four-nodes.xml';
    const deployment = crowdedDeployment();
    const left = await runExperiment({ platform, deployment, cpuModel: 'cputime', captureOutput: true });
    const spreadOut = await runExperiment({ platform, deployment, cpuModel: 'cputime', captureOutput: true, migrationPolicy: spread });
    expect([left.exitCode, spreadOut.exitCode]).toEqual([0, 0]);
    expect(left.report.migrations).toEqual([]);
    // Six moved in the first rounds, two per host then (the policy may move more as some end before others).
    const moved = spreadOut.report.migrations.filter((migration) => migration.missed === null);
    expect(
      moved
        .slice(0, 6)
        .map((migration) => migration.to)
        .sort(),
    ).toEqual(['node-1', 'node-1', 'node-2', 'node-2', 'node-3', 'node-3']);
    // Each round's date is a sum of SimGrid's doubles: 0.02 may come as 0.020000000000000004.
    const roundDates = moved.slice(0, 6).map((migration) => Math.round(migration.start * 1e9) / 1e9);
    expect(roundDates).toEqual([0.02, 0.04, 0.06, 0.08, 0.1, 0.12]);
    // Alone on one core, the eight share it; spread, two share each: about four times sooner (CPU times vary from run to run).
    expect(spreadOut.report.virtualTime).toBeLessThan(left.report.virtualTime / 2.5);
  }, 240_000);
});
