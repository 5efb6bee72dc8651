import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, test } from 'vitest';
import { IPV4_SEGMENTS, IPV6_SEGMENTS, wireBytes as wireBytesOver } from '../../src/net/wire.js';
import { loadSimulation } from '../../src/sim/index.js';
import { appPath, runNative, shellStatus, type RunResult } from '../helpers/apps.js';
import { linesOfHost } from '../helpers/experiment.js';
import { REPO_ROOT } from '../helpers/paths.js';

// IPv4 connections: their segment sizes.
const MSS = IPV4_SEGMENTS.mss;
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);

// Unmodified programs from Debian talking across simulated hosts: web
// servers (python3's, nginx) and curl or ab, iperf3, redis. Each runs from a deployment written into a
// temporary folder, under --cpu-model none so that only the network costs
// virtual time. A test whose programs are not installed is skipped, saying
// which are missing (.ci/run installs them all).

/** The data paths every test runs under (`--network MODE`, data calls notified by default; and full mediation with ptrace stops only). */
const NETWORK_MODES = ['full', 'translate', 'full --no-notify-syscalls'] as const;
type NetworkMode = (typeof NETWORK_MODES)[number];

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const TWO_HOSTS = join(REPO_ROOT, 'test/fixtures/platforms/net-two-hosts.xml');
const HUNDRED_MBIT = join(REPO_ROOT, 'test/fixtures/platforms/net-100mbit.xml');
const ALICE_IP = '10.0.0.1';

const workDir = mkdtempSync(join(tmpdir(), 'simterpose-real-programs-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

function installed(program: string): boolean {
  return spawnSync('which', [program], { stdio: 'ignore' }).status === 0;
}

/** test() when every program is on PATH; otherwise a skipped test whose name says what is missing. */
function testWith(programs: string[], name: string, body: () => Promise<void>, timeoutMs = 120_000): void {
  const missing = programs.filter((program) => !installed(program));
  if (missing.length === 0) test(name, body, timeoutMs);
  else test.skip(`${name} (skipped: ${missing.join(', ')} not installed; .ci/run installs them)`, body);
}

interface Actor {
  host: string;
  startTime: number;
  /** When SimGrid kills it (a server that never exits by itself). */
  killTime?: number;
  argv: string[];
}

/** An attribute value; newlines as character references, which XML keeps (a literal one becomes a space). */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '&#10;');
}

/** Writes a deployment file in SimGrid's format into its own folder of the work dir; returns its path. */
function writeDeployment(name: string, actors: Actor[]): string {
  const folder = mkdtempSync(join(workDir, `${name}-`));
  const body = actors
    .map(({ host, startTime, killTime, argv: [program, ...args] }) =>
      [
        `  <actor host="${host}" function="${escapeXml(program!)}" start_time="${startTime}"${killTime === undefined ? '' : ` kill_time="${killTime}"`}>`,
        ...args.map((arg) => `    <argument value="${escapeXml(arg)}"/>`),
        '  </actor>',
      ].join('\n'),
    )
    .join('\n');
  const file = join(folder, 'deployment.xml');
  writeFileSync(file, `<?xml version='1.0'?>\n<platform version="4.1">\n${body}\n</platform>\n`);
  return file;
}

/** `simterpose run --cpu-model none --network MODE <platform> <deployment>`, in `cwd`. */
function runDeployment(platform: string, deployment: string, mode: NetworkMode, cwd: string): Promise<RunResult> {
  const distBuildError = inject('distBuildError');
  if (distBuildError !== null) {
    return Promise.reject(new Error(`dist/ could not be built, so the CLI cannot run:\n${distBuildError}`));
  }
  return runNative([process.execPath, CLI, 'run', '--cpu-model', 'none', '--network', ...mode.split(' '), platform, deployment], {
    cwd,
    timeoutMs: 110_000,
  });
}

/** The rate, in bits per second, that SimGrid gives one long transfer from src to dst. */
async function longTransferRate(platform: string, src: string, dst: string): Promise<number> {
  const sim = await loadSimulation(platform);
  const bytes = 1e10;
  const id = sim.startComm(src, dst, bytes);
  for (;;) {
    const { clock, completed, failed } = sim.advance(Infinity);
    expect(failed).toEqual([]);
    if (completed.includes(id)) return (bytes * 8) / clock;
  }
}

function explain(result: RunResult): string {
  return `status ${shellStatus(result)}\nstdout:\n${result.stdout.slice(-4000)}\nstderr:\n${result.stderr.slice(-4000)}`;
}

/** Serves one request with python3's http.server, from the folder given, then exits. */
/**
 * nginx as Debian configures it where it matters here: a master process and
 * two workers, sendfile and tcp_nopush on; its files under `folder`.
 */
function nginxConfig(folder: string, port: number): string {
  return [
    'worker_processes 2;',
    `pid ${folder}/nginx.pid;`,
    `error_log ${folder}/error.log;`,
    'events { worker_connections 768; }',
    'http {',
    '  sendfile on;',
    '  tcp_nopush on;',
    `  access_log ${folder}/access.log;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${folder}/${kind};`),
    `  server { listen ${port}; root ${folder}/site; }`,
    '}',
  ].join('\n');
}

/**
 * An sshd configuration in `folder` for a key login as root on port 2222:
 * a host key, the client's key pair (`folder`/id) and its public half as
 * the one authorized key. sshd wants its privilege-separation folder.
 */
function sshSetup(folder: string): string {
  for (const key of ['hostkey', 'id']) {
    const made = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(folder, key)], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`ssh-keygen: ${made.stderr}`);
  }
  writeFileSync(join(folder, 'authorized_keys'), readFileSync(join(folder, 'id.pub')));
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const config = join(folder, 'sshd_config');
  writeFileSync(
    config,
    [
      'Port 2222',
      `HostKey ${folder}/hostkey`,
      `PidFile ${folder}/sshd.pid`,
      `AuthorizedKeysFile ${folder}/authorized_keys`,
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      '',
    ].join('\n'),
  );
  return config;
}

const SERVE_ONE_REQUEST = [
  'import functools, http.server, sys',
  'handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])',
  "with http.server.HTTPServer(('0.0.0.0', int(sys.argv[1])), handler) as server:",
  "    print('serving', flush=True)",
  '    server.handle_request()',
].join('\n');

/** As SERVE_ONE_REQUEST, on an AF_INET6 socket bound to ::. */
const SERVE_ONE_REQUEST_OVER_IPV6 = [
  'import functools, http.server, socket, sys',
  'class Server(http.server.HTTPServer):',
  '    address_family = socket.AF_INET6',
  'handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[2])',
  "with Server(('::', int(sys.argv[1])), handler) as server:",
  "    print('serving', flush=True)",
  '    server.handle_request()',
].join('\n');

/** The virtual IPv6 addresses of net-two-hosts.xml's hosts: the assigned prefix, then each one's IPv4 address. */
const ALICE_IP6 = 'fd53:696d:7465:7270::a00:1';
const BOB_IP6 = 'fd53:696d:7465:7270::c0a8:702';

for (const mode of NETWORK_MODES) {
  describe(`real programs between simulated hosts (--network ${mode})`, () => {
    testWith(['python3', 'curl'], "curl on alice fetches a file over IPv6 from python3's http.server on bob, bound to ::", async () => {
      const site = mkdtempSync(join(workDir, 'site6-'));
      const content = `hello over IPv6, ${mode} mode\n`;
      writeFileSync(join(site, 'greeting.txt'), content);
      const deployment = writeDeployment('http6', [
        { host: 'bob', startTime: 0, argv: ['python3', '-c', SERVE_ONE_REQUEST_OVER_IPV6, '8000', site] },
        { host: 'alice', startTime: 1, argv: ['curl', '-sS', '-g', `http://[${BOB_IP6}]:8000/greeting.txt`] },
      ]);
      const result = await runDeployment(TWO_HOSTS, deployment, mode, site);
      expect(shellStatus(result), explain(result)).toBe(0);
      expect(`${linesOfHost(result.stdout, 'alice').join('\n')}\n`).toBe(content);
      expect(linesOfHost(result.stdout, 'bob')).toEqual(['serving']);
      expect(result.stderr).toContain(`${ALICE_IP6} - - [`);
    });

    testWith(['python3', 'curl'], "curl on alice fetches a file from python3's http.server on bob, by host name", async () => {
      const site = mkdtempSync(join(workDir, 'site-'));
      const content = `hello from bob's disk, ${mode} mode\n`;
      writeFileSync(join(site, 'greeting.txt'), content);
      const deployment = writeDeployment('http', [
        { host: 'bob', startTime: 0, argv: ['python3', '-c', SERVE_ONE_REQUEST, '8000', site] },
        { host: 'alice', startTime: 1, argv: ['curl', '-sS', 'http://bob:8000/greeting.txt'] },
      ]);
      const result = await runDeployment(TWO_HOSTS, deployment, mode, site);
      expect(shellStatus(result), explain(result)).toBe(0);
      expect(`${linesOfHost(result.stdout, 'alice').join('\n')}\n`).toBe(content);
      expect(linesOfHost(result.stdout, 'bob')).toEqual(['serving']);
      // http.server logs each request with the client's address: alice's virtual one.
      expect(result.stderr).toMatch(new RegExp(`${ALICE_IP.replace(/\./g, '\\.')} - - \\[.*\\] "GET /greeting.txt HTTP/1.1" 200`));
    });

    testWith(
      ['python3', 'ss'],
      "ss on bob lists python3's http.server listening on its port, with its backlog, and nothing of this machine's; on alice, nothing",
      async () => {
        const deployment = writeDeployment('ss', [
          { host: 'bob', startTime: 0, killTime: 3, argv: ['python3', '-m', 'http.server', '8000'] },
          { host: 'bob', startTime: 1, argv: ['ss', '-tlnH'] },
          { host: 'alice', startTime: 1, argv: ['ss', '-tlnH'] },
        ]);
        const result = await runDeployment(TWO_HOSTS, deployment, mode, workDir);
        expect(shellStatus(result), explain(result)).toBe(0);
        const listeners = (host: string) =>
          linesOfHost(result.stdout, host)
            .filter((line) => line.startsWith('LISTEN'))
            .map((line) => line.split(/\s+/).join(' '));
        // socketserver listens with a backlog of 5: ss shows it as Send-Q.
        expect(listeners('bob'), explain(result)).toEqual(['LISTEN 0 5 0.0.0.0:8000 0.0.0.0:*']);
        expect(listeners('alice')).toEqual([]);
      },
    );

    test('a Go echo server answers every request a Go client writes in two pieces a millisecond apart: 10 connections of 100 requests', async () => {
      const deployment = writeDeployment('go-echo', [
        { host: 'bob', startTime: 0, killTime: 10, argv: [appPath('go-app'), 'echo-server', '7311'] },
        { host: 'alice', startTime: 0.5, argv: [appPath('go-app'), 'echo-client', 'bob', '7311', '10', '100'] },
      ]);
      const result = await runDeployment(TWO_HOSTS, deployment, mode, workDir);
      expect(shellStatus(result), explain(result)).toBe(0);
      const [answered] = linesOfHost(result.stdout, 'alice');
      const [, count, seconds] = /^answered (\d+\/\d+) in ([\d.]+) s$/.exec(answered ?? '') ?? [];
      expect(count, explain(result)).toBe('1000/1000');
      // Each connection: its handshake, then per request the millisecond between the pieces and a round trip (20 ms here).
      const expected = 0.02 + 100 * (0.001 + 0.02);
      expect(Math.abs(Number(seconds) - expected) / expected).toBeLessThan(0.03);
    });

    testWith(
      ['iperf3'],
      'iperf3 between two hosts of a 100 Mbit/s link measures within 5% of what SimGrid gives a long transfer, less TCP headers and framing',
      async () => {
        const deployment = writeDeployment('iperf3', [
          { host: 'bob', startTime: 0, argv: ['iperf3', '-s', '-1', '-p', '5201'] },
          { host: 'alice', startTime: 1, argv: ['iperf3', '-c', 'bob', '-p', '5201', '-t', '2', '-J'] },
        ]);
        const result = await runDeployment(HUNDRED_MBIT, deployment, mode, workDir);
        expect(shellStatus(result), explain(result)).toBe(0);
        const report = JSON.parse(linesOfHost(result.stdout, 'alice').join('\n')) as {
          end: {
            sum_received: { bits_per_second: number; seconds: number };
            streams: { sender: { max_snd_cwnd: number; min_rtt: number } }[];
          };
          intervals: { streams: { pmtu: number }[] }[];
        };
        // Of every 1538 bytes on the wire, 1448 are payload.
        const expected = ((await longTransferRate(HUNDRED_MBIT, 'alice', 'bob')) * MSS) / wireBytes(MSS);
        const measured = report.end.sum_received.bits_per_second;
        expect(Math.abs(measured - expected) / expected, `iperf3 measured ${measured} bit/s, SimGrid gives ${expected}`).toBeLessThan(0.05);
        expect(report.end.sum_received.seconds).toBeGreaterThan(1.9);
        // What iperf3 reads from TCP_INFO: no round trip shorter than the link's (1 ms each way), a window at least the initial one, a 1500-byte path.
        const sender = report.end.streams[0]!.sender;
        expect(sender.min_rtt).toBeGreaterThanOrEqual(2000);
        expect(sender.max_snd_cwnd).toBeGreaterThanOrEqual(10 * IPV6_SEGMENTS.mss);
        expect(report.intervals[0]!.streams[0]!.pmtu).toBe(1500);
      },
    );

    testWith(
      ['nginx', 'ab', 'curl'],
      'nginx (master, two workers, sendfile) on bob serves a file to curl and ab on alice at the rate of the link',
      async () => {
        const folder = mkdtempSync(join(workDir, 'nginx-'));
        const site = join(folder, 'site');
        mkdirSync(site);
        // Run as root, nginx's workers serve files as nobody: the way to the site must be open to all.
        for (const path of [workDir, folder]) chmodSync(path, 0o755);
        const file = randomBytes(200_000);
        writeFileSync(join(site, 'file.bin'), file);
        writeFileSync(join(folder, 'nginx.conf'), nginxConfig(folder, 8080));
        const requests = 50;
        const deployment = writeDeployment('nginx', [
          { host: 'bob', startTime: 0, killTime: 10, argv: ['nginx', '-e', `${folder}/error.log`, '-c', `${folder}/nginx.conf`, '-g', 'daemon off;'] },
          {
            host: 'alice',
            startTime: 1,
            argv: ['sh', '-c', `curl -sS -o got.bin http://bob:8080/file.bin && ab -n ${requests} -c 4 http://bob:8080/file.bin`],
          },
        ]);
        const result = await runDeployment(HUNDRED_MBIT, deployment, mode, folder);
        expect(shellStatus(result), explain(result)).toBe(0);
        const got = readFileSync(join(folder, 'got.bin'));
        expect(got.equals(file), `${got.length} bytes, first difference at ${got.findIndex((byte, i) => byte !== file[i])}\n${explain(result)}`).toBe(true);
        const report = linesOfHost(result.stdout, 'alice').join('\n');
        expect(report).toMatch(new RegExp(`Complete requests:\\s+${requests}\\n`));
        expect(report).toMatch(/Failed requests:\s+0\n/);
        // The bodies alone, at the link's payload rate, bound ab's time from below; headers, handshakes and slow start add little.
        const seconds = Number(/Time taken for tests:\s+([\d.]+) seconds/.exec(report)?.[1]);
        const payloadRate = ((await longTransferRate(HUNDRED_MBIT, 'bob', 'alice')) * MSS) / wireBytes(MSS) / 8;
        const bodiesTime = (requests * file.length) / payloadRate;
        expect(seconds, report).toBeGreaterThanOrEqual(bodiesTime);
        expect(seconds, report).toBeLessThan(bodiesTime * 1.25);
      },
    );

    const sshLogin = 'ssh on alice logs in to sshd on bob with a key and runs a command there';
    if (process.getuid?.() !== 0) test.skip(`${sshLogin} (skipped: sshd must run as root)`, () => {});
    else
      testWith(['sshd', 'ssh', 'ssh-keygen'], sshLogin, async () => {
        const folder = mkdtempSync(join(workDir, 'ssh-'));
        const config = sshSetup(folder);
        const ssh = ['ssh', '-i', join(folder, 'id'), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes'];
        const deployment = writeDeployment('ssh', [
          { host: 'bob', startTime: 0, killTime: 20, argv: ['/usr/sbin/sshd', '-D', '-e', '-f', config] },
          { host: 'alice', startTime: 1, argv: [...ssh, '-p', '2222', 'root@bob', 'hostname; echo remote says hi'] },
        ]);
        const result = await runDeployment(TWO_HOSTS, deployment, mode, folder);
        expect(shellStatus(result), explain(result)).toBe(0);
        expect(linesOfHost(result.stdout, 'alice')).toEqual(['bob', 'remote says hi']);
        // sshd listens on both families by default, and ssh tries bob's first address, his IPv6 one, as on Linux.
        expect(result.stderr).toMatch(new RegExp(`Accepted publickey for root from ${ALICE_IP6} port \\d+ ssh2`));
      });

    testWith(['redis-server', 'redis-benchmark', 'redis-cli'], 'redis-benchmark completes its SETs and GETs against redis-server on another host', async () => {
      const deployment = writeDeployment('redis', [
        { host: 'bob', startTime: 0, argv: ['redis-server', '--port', '6379', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'] },
        {
          host: 'alice',
          startTime: 1,
          argv: ['sh', '-c', 'redis-benchmark -h bob -p 6379 -n 2000 -q -t set,get && redis-cli -h bob -p 6379 shutdown nosave'],
        },
      ]);
      const result = await runDeployment(TWO_HOSTS, deployment, mode, workDir);
      expect(shellStatus(result), explain(result)).toBe(0);
      const client = linesOfHost(result.stdout, 'alice').join('\n');
      expect(client).toMatch(/SET: [\d.]+ requests per second/);
      expect(client).toMatch(/GET: [\d.]+ requests per second/);
    });
  });
}

const CLUSTER16 = join(REPO_ROOT, 'platforms/cluster16.xml');
/** node-i of cluster16 has the address 10.0.0.(i+1). */
const nodeAddress = (node: number): string => `10.0.0.${node + 1}`;

/**
 * A 3-member etcd cluster on node-0 to node-2, its data under `folder`,
 * stopped at 8 s. The members start a millisecond apart, as no real
 * cluster's start at one nanosecond: raft seeds its election timeouts from
 * the clock, and members started at the same virtual date draw the same
 * timeouts, stand for election together and split the vote every term.
 */
function etcdMembers(folder: string): Actor[] {
  const cluster = [0, 1, 2].map((node) => `n${node}=http://${nodeAddress(node)}:2380`).join(',');
  return [0, 1, 2].map((node) => {
    const address = nodeAddress(node);
    return {
      host: `node-${node}`,
      startTime: node / 1000,
      killTime: 8,
      argv: [
        'etcd',
        ...['--name', `n${node}`, '--data-dir', join(folder, `n${node}`)],
        ...['--listen-peer-urls', `http://${address}:2380`, '--initial-advertise-peer-urls', `http://${address}:2380`],
        ...['--listen-client-urls', `http://${address}:2379`, '--advertise-client-urls', `http://${address}:2379`],
        ...['--initial-cluster', cluster, '--initial-cluster-state', 'new', '--initial-cluster-token', 'simterpose'],
      ],
    };
  });
}

// Only the two data paths: a notified and a ptrace-stopped mediation do not differ for etcd's calls, and it is the suite's slowest program.
for (const mode of ['full', 'translate'] as const) {
  describe(`a 3-member etcd cluster (--network ${mode})`, () => {
    testWith(
      ['etcd', 'etcdctl'],
      'elects a leader and takes 50 puts then 50 gets from etcdctl on a fourth host, every one right',
      async () => {
        const folder = mkdtempSync(join(workDir, 'etcd-'));
        const endpoints = [0, 1, 2].map((node) => `http://${nodeAddress(node)}:2379`).join(',');
        const client = [
          `E=${endpoints}; ok=0`,
          'for i in $(seq 1 50); do etcdctl --endpoints=$E put k$i v$i >/dev/null && ok=$((ok+1)); done',
          'for i in $(seq 1 50); do [ "$(etcdctl --endpoints=$E get --print-value-only k$i)" = v$i ] && ok=$((ok+1)); done',
          'echo "$ok/100 operations right"',
        ].join('; ');
        const deployment = writeDeployment('etcd', [...etcdMembers(folder), { host: 'node-3', startTime: 5, argv: ['sh', '-c', client] }]);
        const result = await runDeployment(CLUSTER16, deployment, mode, folder);
        expect(shellStatus(result), explain(result)).toBe(0);
        expect(linesOfHost(result.stdout, 'node-3'), explain(result)).toEqual(['100/100 operations right']);
      },
      240_000,
    );
  });
}
