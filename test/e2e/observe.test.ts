import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ChromeTrace, TraceEvent } from '../../src/index.js';
import * as ptrace from '../../native/ptrace-rs/index.js';
import { loadSimulation } from '../../src/sim/index.js';
import { appPath, runCli, runNative, shellStatus, type RunResult } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { readReport } from '../helpers/report-schema.js';

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
const DEPLOYMENT = 'test/fixtures/deployments/observe.xml';
/** The link's latency, which the default network model (CM02, no factors) charges as it is. */
const LINK_LATENCY = 0.01;

function simterpose(args: string[], timeoutMs?: number): Promise<RunResult> {
  return runCli(['run', ...args], { timeoutMs });
}

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'simterpose-observe-'));
}

/** When 1 MB sent from alice at 1 ms (after a handshake) ends, as SimGrid's own engine computes it. */
async function engineTransferEnd(): Promise<number> {
  const sim = await loadSimulation(join(REPO_ROOT, PLATFORM));
  let at = 0.001;
  for (const [from, to, bytes] of [
    ['alice', 'bob', 0],
    ['bob', 'alice', 0],
    ['alice', 'bob', 1e6],
  ] as const) {
    const started = sim.now();
    sim.startComm(from, to, bytes);
    const { completed } = sim.advance(Infinity);
    expect(completed).toHaveLength(1);
    at += sim.now() - started;
  }
  return at;
}

describe('the report (--report)', () => {
  it.each(['full', 'translate'])(
    'lists each process with its status, virtual dates, CPU time and the bytes it sent and received (--network %s)',
    async (mode) => {
      const file = join(scratch(), 'report.json');
      const result = await simterpose(['--network', mode, '--cpu-model', 'none', '--report', file, PLATFORM, DEPLOYMENT]);
      expect(shellStatus(result), result.stderr).toBe(0);
      const report = readReport(file);
      expect(Object.keys(report)).toEqual(['version', 'run', 'end', 'virtualTime', 'exitCode', 'hosts', 'links', 'processes', 'faults', 'migrations', 'usage']);
      expect(report).toMatchObject({ version: 5, end: 'completed', exitCode: 0, faults: [], migrations: [] });
      const [receiver, sender, sleeper] = report.processes;
      expect(report.processes).toHaveLength(3);
      expect(Object.keys(receiver!)).toEqual([
        'host',
        'pid',
        'parent',
        'command',
        'exit',
        'status',
        'stopped',
        'start',
        'end',
        'cpuTime',
        'bytesSent',
        'bytesReceived',
      ]);
      expect(receiver).toMatchObject({
        host: 'bob',
        parent: null,
        exit: { code: 0 },
        status: 0,
        stopped: null,
        start: 0,
        cpuTime: 0,
        bytesSent: 0,
        bytesReceived: 1e6,
      });
      expect(sender).toMatchObject({ host: 'alice', exit: { code: 0 }, status: 0, start: 0.001, bytesSent: 1e6, bytesReceived: 0 });
      expect(sleeper).toMatchObject({ host: 'alice', command: '/bin/sleep', exit: { code: 0 }, start: 0.002, bytesSent: 0, bytesReceived: 0 });
      expect(receiver!.command).toMatch(/net_transfer$/);

      // The receiver ends once the last byte is in and the FIN followed it: no sooner than one comm of
      // the whole megabyte would end, and later by TCP's slow start, which takes at most ten more round trips here.
      const transferEnd = await engineTransferEnd();
      expect(receiver!.end).toBeGreaterThanOrEqual(transferEnd - 1e-9);
      expect(receiver!.end).toBeLessThanOrEqual(transferEnd + 10 * 2 * LINK_LATENCY);
      // Half a second after it started sleeping, which is soon after its start.
      expect(sleeper!.end).toBeGreaterThanOrEqual(0.502 - 1e-9);
      expect(report.virtualTime).toBe(Math.max(...report.processes.map((p) => p.end)));

      // Per host, the sums of its processes; per link, what crossed it: the megabyte and the segments around it.
      expect(report.hosts).toEqual([
        { name: 'alice', processes: 2, cpuTime: 0, bytesSent: 1e6, bytesReceived: 0 },
        { name: 'bob', processes: 1, cpuTime: 0, bytesSent: 0, bytesReceived: 1e6 },
      ]);
      expect(report.links.map((link) => [link.name, link.bytes])).toEqual([['wire', 1e6]]);
      // At most one flight per 1448-byte segment, each acknowledged, plus the handshake and the two FINs with their ACKs.
      expect(report.links[0]!.transfers).toBeGreaterThan(2);
      expect(report.links[0]!.transfers).toBeLessThanOrEqual(2 * Math.ceil(1e6 / 1448) + 7);

      // Over time: the megabyte crosses the wire while the sender sends, never faster than its 10 MB/s, and nobody computed (--cpu-model none).
      const { interval, hosts, links } = report.usage;
      expect(Math.ceil(report.virtualTime / interval)).toBeLessThanOrEqual(500);
      expect(hosts).toEqual(report.hosts.map((host) => ({ name: host.name, cores: 1, cpuTime: hosts[0]!.cpuTime.map(() => 0) })));
      const [wire] = links;
      expect(links).toHaveLength(1);
      expect(wire).toMatchObject({ name: 'wire', bandwidth: 1e7 });
      expect(wire!.bytes).toHaveLength(Math.ceil(report.virtualTime / interval));
      // Each list of numbers is written on one line, the rest indented as usual.
      expect(readFileSync(file, 'utf8')).toContain(`\n        "bytes": [${wire!.bytes.join(', ')}]\n`);
      expect(wire!.bytes.reduce((sum, bytes) => sum + bytes, 0)).toBeCloseTo(1e6, 0);
      const busy = wire!.bytes.flatMap((bytes, i) => (bytes > 0 ? [i] : []));
      // The first bytes flow one latency after the sender's first flight (after the handshake), the last before the receiver ends.
      expect(busy[0]! * interval).toBeGreaterThanOrEqual(Math.floor((sender!.start + LINK_LATENCY) / interval) * interval);
      expect(busy.at(-1)! * interval).toBeLessThan(receiver!.end);
      expect(Math.max(...wire!.bytes)).toBeLessThanOrEqual(1e7 * interval);
      // Most of the time between its first and last bytes, the window is open wide enough to fill the link.
      expect(1e6 / ((busy.at(-1)! - busy[0]! + 1) * interval)).toBeGreaterThan(0.5 * 1e7);
    },
  );

  it('says what was run: version, command line, options with their defaults, seed, CPU model, SimGrid settings, the digests of the inputs', async () => {
    const file = join(scratch(), 'report.json');
    const args = ['--seed', '7', '--cpu-model', 'none', '--cfg', 'network/model:LV08', '--report', file, PLATFORM, DEPLOYMENT];
    const result = await simterpose(args);
    expect(shellStatus(result), result.stderr).toBe(0);
    const { run } = readReport(file);
    const sha256 = (path: string) =>
      createHash('sha256')
        .update(readFileSync(join(REPO_ROOT, path)))
        .digest('hex');
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(run).toEqual({
      simterpose: pkg.version,
      commandLine: ['run', ...args],
      options: {
        cpu: 'auto',
        epoch: '2000-01-01T00:00:00Z',
        seed: 7,
        cpuModel: 'none',
        flopsPerInstruction: 1,
        referenceSpeed: 1e9,
        cpuThreshold: 1e5,
        report: file,
        cfg: { 'network/model': 'LV08' },
        network: 'full',
        notifySyscalls: true,
        vdso: true,
      },
      command: null,
      seed: 7,
      cpuModel: { model: 'none', flopsPerInstruction: 1, referenceSpeed: 1e9, threshold: 1e5 },
      addressRandomizationDisabled: true,
      simgrid: [
        { name: 'network/crosstraffic', value: '0', origin: 'default' },
        { name: 'network/TCP-gamma', value: '0', origin: 'default' },
        { name: 'network/model', value: 'LV08', origin: 'cfg' },
      ],
      platform: { path: PLATFORM, sha256: sha256(PLATFORM) },
      deployment: { path: DEPLOYMENT, sha256: sha256(DEPLOYMENT) },
    });
  });

  it('--report-csv writes a row per process, as the report has them', async () => {
    const dir = scratch();
    const result = await simterpose([
      '--cpu-model',
      'none',
      '--report',
      join(dir, 'report.json'),
      '--report-csv',
      join(dir, 'report.csv'),
      PLATFORM,
      DEPLOYMENT,
    ]);
    expect(shellStatus(result), result.stderr).toBe(0);
    const report = readReport(join(dir, 'report.json'));
    const text = readFileSync(join(dir, 'report.csv'), 'utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = text
      .slice(0, -2)
      .split('\r\n')
      .map((line) => line.split(','));
    expect(header).toEqual([
      'host',
      'pid',
      'parent',
      'command',
      'exit_code',
      'exit_signal',
      'status',
      'stopped',
      'start',
      'end',
      'cpu_time',
      'bytes_sent',
      'bytes_received',
    ]);
    expect(rows.map((row) => Object.fromEntries(header!.map((column, i) => [column, row[i]])))).toEqual(
      report.processes.map((p) => ({
        host: p.host,
        pid: String(p.pid),
        parent: '',
        command: p.command,
        exit_code: '0',
        exit_signal: '',
        status: '0',
        stopped: '',
        start: String(p.start),
        end: String(p.end),
        cpu_time: '0',
        bytes_sent: String(p.bytesSent),
        bytes_received: String(p.bytesReceived),
      })),
    );
  });

  it('counts the CPU time the CPU model charged', async () => {
    const file = join(scratch(), 'report.json');
    const result = await simterpose(['--cpu-model', 'cputime', '--report', file, 'platforms/two-hosts.xml', '--', appPath('compute_loop'), '200000000']);
    expect(shellStatus(result), result.stderr).toBe(0);
    const [loop] = readReport(file).processes;
    expect(loop!.cpuTime).toBeGreaterThan(0.01);
    expect(loop!.cpuTime).toBeLessThanOrEqual(loop!.end - loop!.start + 1e-9);
  });
});

describe('the summary table', () => {
  it('goes to stderr at the end: a row per process, then the virtual and wall time', async () => {
    const result = await simterpose(['--cpu-model', 'none', PLATFORM, DEPLOYMENT]);
    expect(shellStatus(result), result.stderr).toBe(0);
    const lines = result.stderr.split('\n');
    const header = lines.findIndex((line) => line.startsWith('HOST'));
    expect(header, result.stderr).toBeGreaterThanOrEqual(0);
    expect(lines[header]).toMatch(/^HOST +PID +COMMAND +EXIT +START +END +CPU +SENT +RECEIVED$/);
    expect(lines[header + 1]).toMatch(/^bob +\d+ +\S*net_transfer +0 +0 s +[\d.]+ m?s +0 s +0 B +1 MB$/);
    expect(lines[header + 2]).toMatch(/^alice +\d+ +\S*net_transfer +0 +1 ms +[\d.]+ m?s +0 s +1 MB +0 B$/);
    expect(lines[header + 3]).toMatch(/^alice +\d+ +\/bin\/sleep +0 +2 ms +[\d.]+ ms +0 s +0 B +0 B$/);
    expect(lines[header + 4]).toMatch(/^3 processes, virtual time [\d.]+ m?s, wall time [\d.]+ m?s, exit status 0$/);
    // The columns line up: every row has its START column end where the header's does.
    const startEnd = lines[header]!.indexOf('START') + 'START'.length;
    for (const row of lines.slice(header + 1, header + 4)) expect(row[startEnd - 1]).toBe('s');
  });

  it('is left out with --quiet, and no progress line is drawn when stderr is not a terminal', async () => {
    const quiet = await simterpose(['--quiet', '--cpu-model', 'none', PLATFORM, DEPLOYMENT]);
    expect(quiet.stderr).toBe('');
    // 100000 stops take seconds of wall time: several progress updates (every 250 ms), had stderr been a terminal.
    const long = await simterpose(['--output-dir', scratch(), 'platforms/two-hosts.xml', '--', appPath('spin_syscalls'), 'getpid', '100000']);
    expect(shellStatus(long), long.stderr).toBe(0);
    expect(long.stderr).not.toContain('events/s');
    expect(long.stderr).not.toContain('\r');
  });
});

describe('--quiet', () => {
  it('also drops the notice of the CPU model simterpose chose, which is told otherwise', async () => {
    const [told, quiet] = await Promise.all([simterpose([PLATFORM, DEPLOYMENT]), simterpose(['--quiet', PLATFORM, DEPLOYMENT])]);
    for (const result of [told, quiet]) expect(shellStatus(result), result.stderr).toBe(0);
    // Where the hardware counter is missing, simterpose takes the cputime model and says so.
    const notice = /^simterpose: cpu model: cputime \(no hardware instruction counter here/m;
    if (ptrace.instructionCounterAvailable()) expect(told.stderr).not.toMatch(notice);
    else expect(told.stderr).toMatch(notice);
    expect(quiet.stderr).toBe('');
  });
});

describe('the trace (--trace)', () => {
  async function traceOf(args: string[]): Promise<ChromeTrace> {
    const file = join(scratch(), 'trace.json');
    const result = await simterpose([...args, '--trace', file, PLATFORM, DEPLOYMENT]);
    expect(shellStatus(result), result.stderr).toBe(0);
    return JSON.parse(readFileSync(file, 'utf8')) as ChromeTrace;
  }

  it('has a track per host and per process, and spans for computing, sleeping and waiting', async () => {
    const { traceEvents: events } = await traceOf(['--cpu-model', 'cputime']);
    const names = (name: string) => events.filter((e) => e.ph === 'M' && e.name === name).map((e) => [e.pid, e.tid, e.args!['name']]);
    expect(names('process_name')).toEqual([
      [1, 0, 'alice'],
      [2, 0, 'bob'],
    ]);
    const threads = names('thread_name');
    expect(threads).toHaveLength(3);
    expect(threads).toContainEqual([2, expect.any(Number), expect.stringMatching(/^net_transfer \d+$/)]);
    expect(threads).toContainEqual([1, expect.any(Number), expect.stringMatching(/^net_transfer \d+$/)]);
    expect(threads).toContainEqual([1, expect.any(Number), expect.stringMatching(/^sleep \d+$/)]);
    const sleepTrack = threads.find((t) => String(t[2]).startsWith('sleep'))![1];
    const bobTrack = threads.find((t) => t[0] === 2)![1];

    const spans = events.filter((e) => e.ph === 'X');
    for (const span of spans) {
      expect(span.dur).toBeGreaterThan(0);
      expect(threads.some(([pid, tid]) => pid === span.pid && tid === span.tid)).toBe(true);
    }
    const sleep = spans.find((s) => s.cat === 'sleep' && s.tid === sleepTrack)!;
    expect(sleep.name).toMatch(/nanosleep/);
    expect(sleep.dur).toBeCloseTo(500_000, 0);
    expect(spans.some((s) => s.cat === 'wait' && s.tid === bobTrack && s.name.startsWith('accept'))).toBe(true);
    const computing = spans.filter((s) => s.cat === 'compute');
    expect(computing.length).toBeGreaterThan(0);
    for (const span of computing) expect(span.args!['flops']).toBeGreaterThan(0);
    // Spans of one track never overlap unless one holds the other (what trace viewers require).
    for (const [pid, tid] of threads) {
      const own = spans.filter((s) => s.pid === pid && s.tid === tid).sort((a, b) => a.ts! - b.ts! || b.dur! - a.dur!);
      own.forEach((a, i) => {
        const aEnd = a.ts! + a.dur!;
        for (const b of own.slice(i + 1)) {
          expect(b.ts! >= aEnd - 1e-9 || b.ts! + b.dur! <= aEnd + 1e-9, `${a.name}@${a.ts} and ${b.name}@${b.ts}`).toBe(true);
        }
      });
    }
  });

  it("gives every event a pid and a tid, and each thread's events the pid and tid the program saw, as the report lists them", async () => {
    const dir = scratch();
    const result = await simterpose(['--cpu-model', 'cputime', '--report', join(dir, 'report.json'), '--trace', join(dir, 'trace.json'), PLATFORM, DEPLOYMENT]);
    expect(shellStatus(result), result.stderr).toBe(0);
    const report = readReport(join(dir, 'report.json'));
    const { traceEvents: events } = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')) as ChromeTrace;
    const hostTracks = new Map([
      ['alice', 1],
      ['bob', 2],
    ]);
    const processes = new Set(report.processes.map((p) => `${hostTracks.get(p.host)} ${p.pid}`));
    const seen = new Set<string>();
    for (const event of events) {
      expect(Number.isInteger(event.pid), JSON.stringify(event)).toBe(true);
      expect(Number.isInteger(event.tid), JSON.stringify(event)).toBe(true);
      const ids = event.args ?? {};
      // Host-wide events (its name, transfers no send started) belong to no thread.
      if (event.tid === 0 && !('pid' in ids)) continue;
      expect(processes, JSON.stringify(event)).toContain(`${event.pid} ${ids['pid']}`);
      // Single-threaded programs: each thread's tid is its process's pid.
      expect(ids['tid'], JSON.stringify(event)).toBe(ids['pid']);
      seen.add(`${event.pid} ${ids['pid']}`);
    }
    expect(seen).toEqual(processes);
    for (const thread of events.filter((e) => e.name === 'thread_name')) expect(thread.args!['name']).toMatch(new RegExp(` ${thread.args!['pid']}$`));
  });

  it.each(['full', 'translate'])('draws a flow from each send on alice to the read that takes its bytes on bob (--network %s)', async (mode) => {
    const { traceEvents: events } = await traceOf(['--network', mode, '--cpu-model', 'none']);
    const starts = events.filter((e) => e.ph === 's');
    const ends = events.filter((e) => e.ph === 'f');
    // The first write's bytes leave inside it (the initial window); the rest leave as ACKs come back, outside any send.
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(ends.map((e) => e.id).sort()).toEqual(starts.map((e) => e.id).sort());
    const sliceAt = (flow: TraceEvent) => events.find((e) => e.ph === 'X' && e.pid === flow.pid && e.tid === flow.tid && e.ts === flow.ts);
    for (const start of starts) {
      const end = ends.find((e) => e.id === start.id)!;
      expect(end.bp).toBe('e');
      expect(start.pid).toBe(1);
      expect(end.pid).toBe(2);
      expect(end.ts).toBeGreaterThan(start.ts!);
      expect(sliceAt(start)?.name).toMatch(/write|send/);
      expect(sliceAt(end)?.name).toMatch(/read|recv/);
    }
    // Each transfer is an async span on its source host, begun and ended.
    const begins = events.filter((e) => e.ph === 'b');
    expect(begins.length).toBeGreaterThanOrEqual(starts.length);
    for (const begin of begins) expect(events.filter((e) => e.ph === 'e' && e.id === begin.id)).toHaveLength(1);
    const sent = begins.filter((b) => b.pid === 1).reduce((sum, b) => sum + Number(b.args!['bytes']), 0);
    expect(sent).toBe(1e6);
  });
});

describe('reruns', () => {
  it('give the same report and trace, byte for byte', async () => {
    // The same command line, files included: the report records it.
    const dir = scratch();
    const run = async () => {
      const result = await simterpose([
        '--quiet',
        '--cpu-model',
        'none',
        '--report',
        join(dir, 'report.json'),
        '--trace',
        join(dir, 'trace.json'),
        PLATFORM,
        DEPLOYMENT,
      ]);
      expect(shellStatus(result), result.stderr).toBe(0);
      return [readFileSync(join(dir, 'report.json'), 'utf8'), readFileSync(join(dir, 'trace.json'), 'utf8')];
    };
    const [firstReport, firstTrace] = await run();
    const [secondReport, secondTrace] = await run();
    expect(secondReport).toBe(firstReport);
    expect(secondTrace).toBe(firstTrace);
  });
});

describe('the output directory (--output-dir)', () => {
  it("puts each process's stdout, stderr and strace in DIR/HOST/NAME.PID.*, and nothing on simterpose's stdout", async () => {
    const dir = scratch();
    const result = await simterpose(['--quiet', '--cpu-model', 'none', '--strace', '--output-dir', dir, PLATFORM, DEPLOYMENT]);
    expect(shellStatus(result), result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
    expect(readdirSync(dir).sort()).toEqual(['alice', 'bob']);
    const bob = readdirSync(join(dir, 'bob'));
    const alice = readdirSync(join(dir, 'alice'));
    expect(bob.map((name) => name.replace(/\.\d+\./, '.PID.')).sort()).toEqual(['net_transfer.PID.stdout', 'net_transfer.PID.strace']);
    expect(alice.map((name) => name.replace(/\.\d+\./, '.PID.')).sort()).toEqual(['net_transfer.PID.stdout', 'net_transfer.PID.strace', 'sleep.PID.strace']);
    const file = (host: string, names: string[], suffix: string) =>
      readFileSync(join(dir, host, names.find((n) => n.endsWith(suffix) && n.startsWith('net_transfer'))!), 'utf8');
    expect(file('bob', bob, '.stdout')).toContain('received 1000000 bytes');
    expect(file('alice', alice, '.stdout')).toContain('connect returned at');
    expect(file('alice', alice, '.strace')).toMatch(/^\[alice \d+ [\d.]+\] connect\(/m);
    expect(file('alice', alice, '.strace')).not.toMatch(/accept/);
    const sleepPid = alice.find((n) => n.startsWith('sleep'))!.split('.')[1];
    expect(readFileSync(join(dir, 'alice', `sleep.${sleepPid}.strace`), 'utf8')).toMatch(/clock_nanosleep|nanosleep/);
  });
});

/** `script` runs a command on a new pseudo-terminal: simterpose's stderr is then a TTY. */
const SCRIPT = ['/usr/bin/script', '/bin/script'].find((path) => existsSync(path));

describe('on a terminal', () => {
  it.skipIf(SCRIPT === undefined)(
    'shows a progress line while the run goes on, and erases it before the summary (needs script(1), from util-linux)',
    async () => {
      // 100000 stops take seconds of wall time, well past the first update at 250 ms.
      const command = `${process.execPath} ${CLI} run --output-dir ${scratch()} platforms/two-hosts.xml -- ${appPath('spin_syscalls')} getpid 100000`;
      const result = await runNative([SCRIPT!, '-qec', command, '/dev/null']);
      expect(shellStatus(result), result.stdout).toBe(0);
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the progress line is erased with ESC [K, which the test looks for.
      const progress = result.stdout.match(/\r\x1b\[Ksimterpose: virtual [\d.]+ m?s · [\d.]+k? events\/s · 1 process alive/g);
      expect(progress?.length, result.stdout).toBeGreaterThanOrEqual(1);
      // Erased (carriage return, clear to end of line) right before the table starts.
      // biome-ignore lint/suspicious/noControlCharactersInRegex: as above, the erase sequence itself.
      expect(result.stdout).toMatch(/\r\x1b\[KHOST +PID/);
    },
  );

  it.skipIf(SCRIPT === undefined)('logs in colour for people, and as JSON lines when stderr is not a terminal (needs script(1))', async () => {
    const args = `run --quiet --log-level debug platforms/two-hosts.xml -- /bin/true`;
    const onTerminal = await runNative([SCRIPT!, '-qec', `${process.execPath} ${CLI} ${args}`, '/dev/null']);
    expect(onTerminal.stdout).toMatch(/DEBUG.*launched/);
    const piped = await runNative([process.execPath, CLI, ...args.split(' ')]);
    const logLines = piped.stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toContain('launched');
  });
});
