import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runExperiment, type ExperimentResult } from '../../src/index.js';
import { appPath, netTransferDeployment, runCli } from '../helpers/apps.js';
import { clientOutputOnLinux, SERVER_ADDRESS } from '../helpers/crashing-host.js';

// Hosts that crash and boot, links that go down and come back: what the
// programs see is what Linux shows them, and a run is the same every time.

/** alice and bob, one 10 ms, 10 MB/s link `wire` between them. */
const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
/** When the client starts: it sends a request a second from then (0.5, 1.5, 2.5...). */
const CLIENT_START = 0.5;

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'simterpose-faults-')), name);
  writeFileSync(path, text);
  return path;
}

/** kv_server on bob (started again when bob boots, unless `onFailure` is DIE), kv_client on alice sending `requests` requests. */
function kvDeployment(requests: number, userTimeoutMs?: number, onFailure: 'RESTART' | 'DIE' = 'RESTART'): string {
  const timeout = userTimeoutMs === undefined ? '' : `<argument value="${userTimeoutMs}"/>`;
  return file(
    'kv.xml',
    `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="bob" function="${appPath('kv_server')}" on_failure="${onFailure}"><argument value="7000"/></actor>
  <actor host="alice" function="${appPath('kv_client')}" start_time="${CLIENT_START}">
    <argument value="bob"/><argument value="7000"/><argument value="${requests}"/>${timeout}
  </actor>
</platform>
`,
  );
}

function run(deployment: string, faults: string[], stopTime = 2000, strace?: string): Promise<ExperimentResult> {
  return runExperiment({ platform: PLATFORM, deployment, faults, cpuModel: 'none', stopTime, strace });
}

function clientLines(result: ExperimentResult): string {
  return result.outputs.find((output) => output.host === 'alice')!.stdout;
}

/** The crash and boot faults of bob, `crashAt` and `downFor` seconds after the client starts, as on Linux. */
function crash(crashAt: number, downFor: number): string[] {
  return [`host:bob:off@${CLIENT_START + crashAt}`, `host:bob:on@${CLIENT_START + crashAt + downFor}`];
}

/** net_transfer: alice sends `bytes` to bob from 0.1 s, 64 KiB a write. */
function transferDeployment(bytes: number): string {
  return file('transfer.xml', netTransferDeployment(bytes));
}

/** alice and bob each sleep `seconds`, then print the date (UTC) in `format`: what their clocks read. */
function datesAfterSleep(seconds: number, format: string): string {
  const actor = (host: string) =>
    `  <actor host="${host}" function="/bin/sh"><argument value="-c"/><argument value="sleep ${seconds}; date -u +${format}"/></actor>`;
  return file('dates.xml', `<?xml version='1.0'?>\n<platform version="4.1">\n${actor('alice')}\n${actor('bob')}\n</platform>\n`);
}

/** When bob read net_transfer's last byte. */
function lastByte(result: ExperimentResult): number {
  return Number(/last byte at ([\d.]+)/.exec(result.outputs.find((output) => output.host === 'bob')!.stdout)![1]);
}

/** PLATFORM with `wire` following `profile`, a state profile or another (`attribute`), in a file beside it. */
function platformWithWireProfile(profile: string, attribute: 'state_file' | 'latency_file' = 'state_file'): string {
  const folder = mkdtempSync(join(tmpdir(), 'simterpose-faults-'));
  writeFileSync(join(folder, 'wire.profile'), profile);
  const platform = join(folder, 'platform.xml');
  writeFileSync(platform, readFileSync(PLATFORM, 'utf8').replace('<link id="wire"', `<link id="wire" ${attribute}="wire.profile"`));
  return platform;
}

describe('a host that crashes and boots again', () => {
  it("kills its processes (SIGKILL, with the date) and starts its on_failure=RESTART actors again; a client's old connection gets RST, as on Linux", async () => {
    const [crashAt, downFor] = [2.7, 3.3];
    const result = await run(kvDeployment(6), crash(crashAt, downFor), 100);
    const linux = await clientOutputOnLinux({
      server: [appPath('kv_server'), '7000'],
      client: [appPath('kv_client'), SERVER_ADDRESS, '7000', '6'],
      crashAt,
      downFor,
      restart: true,
    });
    expect(linux).toBe('ok 1\nok 2\nok 3\nread ECONNRESET\nok 4\nok 5\nok 6\nEXIT-SUCCESS\n');
    expect(clientLines(result)).toBe(linux);
    const servers = result.report.processes.filter((process) => process.host === 'bob');
    expect(servers.map(({ pid, exit, stopped, start, end }) => ({ pid, exit, stopped, start, end }))).toEqual([
      { pid: 1000, exit: { signal: 9, core: false }, stopped: 'fault', start: 0, end: 3.2 },
      { pid: 1001, exit: { signal: 9, core: false }, stopped: 'stop-time', start: 6.5, end: 100 },
    ]);
    expect(result.report.faults).toEqual([
      { date: 3.2, fault: 'host bob off', killed: [{ host: 'bob', pid: 1000, command: appPath('kv_server') }], restarted: [], missed: null },
      { date: 6.5, fault: 'host bob on', killed: [], restarted: [{ host: 'bob', pid: 1001, command: appPath('kv_server') }], missed: null },
    ]);
    expect(result.exitCode).toBe(0);
  });

  it('times the client out (TCP_USER_TIMEOUT) while it is down, reads and connects alike, as on Linux', async () => {
    // Connects start at 6, 9, 12, 15 and 18 s, their SYN retransmitted 1 s later: bob is back at 18.5 s, half a second from either.
    const [crashAt, downFor] = [2.7, 15.8];
    const result = await run(kvDeployment(5, 2000), crash(crashAt, downFor), 100);
    const linux = await clientOutputOnLinux({
      server: [appPath('kv_server'), '7000'],
      client: [appPath('kv_client'), SERVER_ADDRESS, '7000', '5', '2000'],
      crashAt,
      downFor,
      restart: true,
    });
    expect(linux).toBe(`ok 1\nok 2\nok 3\nread ETIMEDOUT\n${'connect ETIMEDOUT\n'.repeat(4)}ok 4\nok 5\nEXIT-SUCCESS\n`);
    expect(clientLines(result)).toBe(linux);
  }, 60_000);

  it('without its on_failure=DIE server: the old connection gets RST, and new ones are refused, as on Linux', async () => {
    const [crashAt, downFor] = [2.7, 3.3];
    const result = await run(kvDeployment(6, undefined, 'DIE'), crash(crashAt, downFor), 12);
    const linux = await clientOutputOnLinux({
      server: [appPath('kv_server'), '7000'],
      client: ['timeout', '-s', 'KILL', '8.5', appPath('kv_client'), SERVER_ADDRESS, '7000', '6'],
      crashAt,
      downFor,
      restart: false,
    });
    // The client tries to connect once a second until it is stopped: how many times depends on when; what it sees does not.
    const once = (lines: string): string => lines.replace(/(connect ECONNREFUSED\n)+/, 'connect ECONNREFUSED\n');
    expect(once(linux)).toBe('ok 1\nok 2\nok 3\nread ECONNRESET\nconnect ECONNREFUSED\n');
    expect(once(clientLines(result))).toBe(once(linux));
    // Here: the RST at 6.9 s, then refused connects at 7.9, 8.9, 10 and 11 s, each a round trip after the previous one's second, before the stop time.
    expect(clientLines(result)).toBe(`ok 1\nok 2\nok 3\nread ECONNRESET\n${'connect ECONNREFUSED\n'.repeat(4)}`);
    expect(result.report.processes.filter((process) => process.host === 'bob')).toHaveLength(1);
  });

  it("gives up on a connection after Linux's 15 backed-off retransmissions, and on a connect after its 6 SYN retransmissions (127 s)", async () => {
    const strace = join(mkdtempSync(join(tmpdir(), 'simterpose-faults-')), 'strace.txt');
    const result = await run(kvDeployment(4), [`host:bob:off@${CLIENT_START + 2.7}`], 1400, strace);
    expect(clientLines(result)).toBe(`ok 1\nok 2\nok 3\nread ETIMEDOUT\n${'connect ETIMEDOUT\n'.repeat(3)}`);
    const dated = (pattern: RegExp): number[] =>
      readFileSync(strace, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('[alice') && pattern.test(line))
        .map((line) => Number(/^\[alice \d+ ([\d.]+)\]/.exec(line)![1]));
    const [request] = dated(/^\S+ \S+ \S+ write\(3, "SET k4/);
    const [timedOut] = dated(/ read\(3, .* = -1 ETIMEDOUT/);
    // RTO = the 20 ms round trip + 200 ms, doubled up to 120 s: the first retransmission date past 924.6 s is the last.
    const rto = 0.020018 + 0.2;
    expect(timedOut! - request!).toBeCloseTo(1023 * rto + 6 * 120, 1);
    // Each connect starts a second (the client's sleep) after the previous failure, and fails 127 s later.
    const failures = [timedOut!, ...dated(/ connect\(3, .* = -1 ETIMEDOUT/)];
    const gaps = failures.slice(1).map((date, i) => date - failures[i]!);
    expect(gaps).toEqual([128, 128, 128].map((seconds) => expect.closeTo(seconds, 6)));
  });
});

describe('a link that goes down', () => {
  it('stalls an open connection, which goes on at the first backed-off retransmission after the link is back', async () => {
    const deployment = kvDeployment(6);
    const clientEnd = (result: ExperimentResult): number => result.report.processes.find((process) => process.host === 'alice')!.end;
    const undisturbed = clientEnd(await run(deployment, [], 100));
    // Request 4 leaves at about 3.5 s into a cut link; retransmissions after 0.22, 0.66, 1.54 s...: the link is back at 4 s, the one at +0.66 s crosses.
    const healed = await run(deployment, ['link:wire:off@3.2', 'link:wire:on@4'], 100);
    expect(clientLines(healed)).toBe('ok 1\nok 2\nok 3\nok 4\nok 5\nok 6\nEXIT-SUCCESS\n');
    expect(clientEnd(healed) - undisturbed).toBeCloseTo(3 * (0.020018 + 0.2), 3);
  });
  it('loses the bytes crossing it when it goes down: they arrive with the retransmission one RTO after they left, scripted or profiled alike', async () => {
    const deployment = kvDeployment(6);
    const clientEnd = (result: ExperimentResult): number => result.report.processes.find((process) => process.host === 'alice')!.end;
    const undisturbed = clientEnd(await run(deployment, [], 100));
    // Request 4 leaves at 3.580112 s and would arrive 10 ms later: the link is down from 3.585 s to 3.588 s, under it.
    const [off, on] = [3.585, 3.588];
    const cut = await run(deployment, [`link:wire:off@${off}`, `link:wire:on@${on}`], 100);
    expect(clientLines(cut)).toBe('ok 1\nok 2\nok 3\nok 4\nok 5\nok 6\nEXIT-SUCCESS\n');
    // One RTO later: 200 ms and the round trip the connection measured (20 ms of latency, and the segments' transmission).
    const delay = clientEnd(cut) - undisturbed;
    expect(delay).toBeGreaterThan(0.22);
    expect(delay).toBeLessThan(0.2201);
    const profiled = await runExperiment({ platform: platformWithWireProfile(`${off} 0\n${on} 1\n`), deployment, cpuModel: 'none', stopTime: 100 });
    expect(profiled.report.processes).toEqual(cut.report.processes);
  });

  it('cuts a bulk transfer where it is: what crossed stays, the rest goes again once the link is back, every byte once', async () => {
    const bytes = 5_000_000;
    const deployment = transferDeployment(bytes);
    const undisturbed = lastByte(await runExperiment({ platform: PLATFORM, deployment, cpuModel: 'none' }));
    // Down for 50 ms in the middle of the transfer (0.1 s to about 0.74 s).
    const scripted = await runExperiment({ platform: PLATFORM, deployment, faults: ['link:wire:off@0.4', 'link:wire:on@0.45'], cpuModel: 'none' });
    const profiled = await runExperiment({ platform: platformWithWireProfile('0.4 0\n0.45 1\n'), deployment, cpuModel: 'none' });
    for (const result of [scripted, profiled]) {
      expect(result.exitCode).toBe(0);
      expect(result.report.processes.find((process) => process.host === 'bob')!.bytesReceived).toBe(bytes);
    }
    // The outage, then the wait for a backed-off retransmission after it, and slow start again.
    expect(lastByte(scripted) - undisturbed).toBeGreaterThan(0.05 + 0.1);
    expect(lastByte(profiled)).toBe(lastByte(scripted));
    const again = await runExperiment({ platform: PLATFORM, deployment, faults: ['link:wire:off@0.4', 'link:wire:on@0.45'], cpuModel: 'none' });
    expect([again.outputs, again.report.processes, again.report.faults]).toEqual([scripted.outputs, scripted.report.processes, scripted.report.faults]);
  });
});

describe('a link that goes down, for UDP', () => {
  it('loses the datagrams crossing it or sent while it is down, scripted or profiled alike; the others arrive', async () => {
    const deployment = file(
      'ticks.xml',
      `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="bob" function="${appPath('udp_ticks')}"><argument value="receive"/><argument value="7002"/><argument value="10"/></actor>
  <actor host="alice" function="${appPath('udp_ticks')}"><argument value="send"/><argument value="bob"/><argument value="7002"/><argument value="10"/></actor>
</platform>
`,
    );
    // Datagram n leaves at n × 100 ms and takes 10 ms: the 4th is on its way when the link goes down at 405 ms, the 7th leaves before it is back at 750 ms.
    const [off, on] = [0.405, 0.75];
    const scripted = await runExperiment({ platform: PLATFORM, deployment, faults: [`link:wire:off@${off}`, `link:wire:on@${on}`], cpuModel: 'none' });
    const profiled = await runExperiment({ platform: platformWithWireProfile(`${off} 0\n${on} 1\n`), deployment, cpuModel: 'none' });
    for (const result of [scripted, profiled]) {
      expect(result.exitCode).toBe(0);
      expect(result.outputs.find((output) => output.host === 'bob')!.stdout).toBe('got 1\ngot 2\ngot 3\ngot 8\ngot 9\ngot 10\nlost 4\n');
    }
  });
});

describe("a platform's state profiles", () => {
  it('crash and boot hosts and cut links as --fault does, at every round of a looping profile', async () => {
    const deployment = kvDeployment(8);
    const profiled = await runExperiment({ platform: 'test/fixtures/platforms/net-two-hosts-bob-reboots.xml', deployment, cpuModel: 'none', stopTime: 50 });
    const scripted = await run(deployment, [...crash(2.7, 3.3), 'link:wire:off@9.2', 'link:wire:on@10'], 50);
    expect(clientLines(profiled)).toBe('ok 1\nok 2\nok 3\nread ECONNRESET\nok 4\nok 5\nok 6\nok 7\nok 8\nEXIT-SUCCESS\n');
    expect(profiled.report.processes).toEqual(scripted.report.processes);
    expect(profiled.report.faults.map(({ date, fault }) => `${date} ${fault}`)).toEqual([
      '3.2 host bob off',
      '6.5 host bob on',
      '9.2 link wire off',
      '10 link wire on',
      '29.2 link wire off',
      '30 link wire on',
      '49.2 link wire off',
    ]);
  });
});

describe("a link's bandwidth profile", () => {
  it('that halves its bandwidth makes a bulk transfer take as much longer as its wire bytes need', async () => {
    const bytes = 5_000_000;
    const deployment = transferDeployment(bytes);
    const full = lastByte(await runExperiment({ platform: PLATFORM, deployment, cpuModel: 'none' }));
    const halved = lastByte(await runExperiment({ platform: 'test/fixtures/platforms/net-two-hosts-halved.xml', deployment, cpuModel: 'none' }));
    // 5 MB in 1448-byte segments, 90 bytes of headers and framing each: 5.31 MB on the wire, 0.531 s more at 5 MB/s than at 10.
    const wire = bytes + Math.ceil(bytes / 1448) * 90;
    expect(halved - full).toBeCloseTo(wire / 5e6 - wire / 10e6, 2);
  });
});

describe("a link's latency profile", () => {
  it('that raises its latency from 10 to 50 ms adds 80 ms to each of the round trips a client waits for', async () => {
    const deployment = kvDeployment(6);
    const platform = platformWithWireProfile('0 0.05\n', 'latency_file');
    const clientEnd = (result: ExperimentResult): number => result.report.processes.find((process) => process.host === 'alice')!.end;
    const base = clientEnd(await run(deployment, [], 100));
    const slow = clientEnd(await runExperiment({ platform, deployment, cpuModel: 'none', stopTime: 100 }));
    // The handshake, then six requests each answered.
    expect(slow - base).toBeCloseTo(7 * 2 * 0.04, 9);
  });
});

describe('process and clock faults', () => {
  it('send a process any signal, or freeze it for a while', async () => {
    const killed = await runExperiment({ platform: PLATFORM, command: ['sleep', '10'], faults: ['process:1000@alice:kill=SIGTERM@1.5'], cpuModel: 'none' });
    expect(killed.exitCode).toBe(143);
    expect(killed.report.processes[0]!.end).toBe(1.5);
    // sleep (pid 1001) would wake at 2 s; frozen from 1 s to 4 s, it runs on at 4 s.
    const paused = await runExperiment({
      platform: PLATFORM,
      command: ['sh', '-c', 'sleep 2; date -u +%S'],
      faults: ['process:1001@alice:pause@1:for=3'],
      cpuModel: 'none',
    });
    expect(paused.outputs.map((output) => output.stdout).join('')).toBe('04\n');
  });

  it("skew one host's clocks only: an offset moves its wall clock, a drift makes all its clocks run faster", async () => {
    const deployment = datesAfterSleep(100, '%T');
    const result = await runExperiment({ platform: PLATFORM, deployment, faults: ['clock:bob:offset=3600:drift=+10000ppm'], cpuModel: 'none' });
    // bob's sleep of 100 s by its own clock, 1% fast, lasts 100/1.01 s: its clock then reads 01:01:40.
    const printed = result.outputs.filter((output) => output.stdout !== '').map((output) => `${output.host} ${output.stdout}`);
    expect(printed.sort()).toEqual(['alice 00:01:40\n', 'bob 01:01:40\n']);
  });

  it("time a drifting host's interval timers (setitimer, timerfd, POSIX timers) by its own clock: what it sees is what an exact clock shows", async () => {
    for (const argv of [
      [appPath('time_timers'), 'itimer-once'],
      [appPath('time_timers'), 'itimer-periodic'],
      [appPath('time_timers'), 'timerfd-periodic'],
      [appPath('posix_timers')],
    ]) {
      const exact = await runExperiment({ platform: PLATFORM, command: argv, cpuModel: 'none' });
      const fast = await runExperiment({ platform: PLATFORM, command: argv, faults: ['clock:alice:drift=+10000ppm'], cpuModel: 'none' });
      // The dates each prints, by its monotonic clock, its timers' time left and their periods.
      expect(fast.outputs.map((output) => output.stdout)).toEqual(exact.outputs.map((output) => output.stdout));
      expect(fast.outputs[0]!.stdout).toContain('EXIT-SUCCESS');
      // Its clock runs 1% fast: the same run takes 1% less of the platform's time.
      expect(fast.report.processes[0]!.end).toBeCloseTo(exact.report.processes[0]!.end / 1.01, 9);
    }
  });
});

/** A CLI run with --cpu-model none, its report, trace and strace in a folder of its own: all it prints and writes. */
async function everythingWritten(args: string[]) {
  const dir = mkdtempSync(join(tmpdir(), 'simterpose-faults-rerun-'));
  const result = await runCli([
    'run',
    '--cpu-model',
    'none',
    '--report',
    join(dir, 'report.json'),
    '--trace',
    join(dir, 'trace.json'),
    '--strace',
    join(dir, 'strace.txt'),
    ...args,
  ]);
  // The report names its own output files: each run's folder differs, and nothing else may.
  const files = ['report.json', 'trace.json', 'strace.txt'].map((name) => readFileSync(join(dir, name), 'utf8').replaceAll(dir, 'DIR'));
  return { status: result.status, stdout: result.stdout, stderr: result.stderr.replace(/wall time [^,]+,/, ''), files };
}

describe('a run with faults', () => {
  it('is the same every time: output, summary, report, trace and strace, byte for byte', async () => {
    const args = [
      '--stop-time',
      '60',
      ...['host:bob:off@3.2', 'host:bob:on@6.5', 'link:wire:off@8.2', 'link:wire:on@9'].flatMap((fault) => ['--fault', fault]),
      PLATFORM,
      kvDeployment(6),
    ];
    const first = await everythingWritten(args);
    expect(first.status).toBe(0);
    expect(first.stderr).toContain('fault at 3.2 s: host bob off: killed bob 1000');
    expect(first.files[2]).toContain('[bob 1000 3.200000] +++ killed by SIGKILL (fault: host bob off) +++');
    expect(first.files[1]).toContain('"name": "link wire off"');
    expect(await everythingWritten(args)).toEqual(first);
  });

  it('is the same every time with state, bandwidth and latency profiles, and skewed clocks', async () => {
    const clocks = datesAfterSleep(10, '%T.%N');
    for (const args of [
      ['--stop-time', '40', 'test/fixtures/platforms/net-two-hosts-bob-reboots.xml', kvDeployment(8)],
      ['test/fixtures/platforms/net-two-hosts-halved.xml', transferDeployment(2_000_000)],
      [platformWithWireProfile('0 0.01\n1.2 0.05\n', 'latency_file'), kvDeployment(3)],
      ['--fault', 'clock:bob:offset=0.25:drift=+50ppm', PLATFORM, clocks],
    ]) {
      const first = await everythingWritten(args);
      expect(first.stdout, first.stderr).not.toBe('');
      expect(await everythingWritten(args), args.join(' ')).toEqual(first);
    }
  }, 60_000);

  it('refuses a wrong fault in one line, before anything runs', async () => {
    for (const [fault, message] of [
      ['host:bob:down@1', "simterpose: --fault 'host:bob:down@1': a host turns on or off, not 'down'"],
      ['host:carol:off@1', "simterpose: --fault host carol off: the platform has no host 'carol'"],
    ]) {
      const result = await runCli(['run', '--fault', fault!, PLATFORM, '--', 'true']);
      expect(result.status).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(message);
    }
  });
});
