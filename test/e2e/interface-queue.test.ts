import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runNative, runSimterpose, shellStatus } from '../helpers/apps.js';
import { APPS_BIN_DIR, REPO_ROOT } from '../helpers/paths.js';

// A launcher's burst of small writes to four peers at once, more segments
// than the sender's own interface queue holds (fanout_writes.c, as hydra's
// mpiexec starts its proxies). Linux holds the socket back while its own
// queue is full, and loses nothing there: no retransmission timeout. Under
// simterpose, where the platform's route narrows at the sender's own link,
// the burst likewise arrives paced by that link, well within one.

const FANOUT = join(APPS_BIN_DIR, 'fanout_writes');
const PEERS = 4;
const PAIRS = 1000;
/** What the sender writes to each peer: PAIRS variables, each a 4-byte length and its text. */
const PER_PEER = Array.from({ length: PAIRS }, (_, pair) => 4 + `VARIABLE_${pair}=value of variable ${pair}`.length).reduce((a, b) => a + b, 0);
/** The sender's link: 100 Mbit/s. */
const RATE = 12.5e6;
/**
 * The sender's interface queue, in frames: far less than the burst's bytes
 * on the wire, yet room for what TCP Small Queues lets each of the
 * four sockets have queued at once. A queue of 10 frames has not: there the
 * real tbf queue drops tens of segments a run, and in one CI run a
 * retransmission timer expired.
 */
const QUEUE_FRAMES = 50;
/** Linux's smallest retransmission timeout: a burst whose tail was lost would wait at least that long. */
const MIN_RTO = 0.2;

const workDir = mkdtempSync(join(tmpdir(), 'simterpose-interface-queue-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

interface Outcome {
  firstWrite: number;
  /** What each receiver got, and the date of its last byte. */
  received: Array<{ bytes: number; at: number }>;
}

function outcome(stdout: string): Outcome {
  const firstWrite = Number(/^first write at ([\d.]+)$/m.exec(stdout)?.[1]);
  const received = [...stdout.matchAll(/^received (\d+) bytes, the last at ([\d.]+)$/gm)].map(([, bytes, at]) => ({ bytes: Number(bytes), at: Number(at) }));
  return { firstWrite, received };
}

const isRoot = process.getuid?.() === 0;

describe("a burst of small writes larger than the sender's own interface queue", () => {
  (isRoot ? test : test.skip)(
    `${isRoot ? '' : '(skipped: needs root for network namespaces) '}Linux: through a ${QUEUE_FRAMES}-frame queue limited to 100 Mbit/s on the sender's interface, every byte arrives and no retransmission timer expires`,
    async () => {
      const tag = `${process.pid}`;
      const [sender, receiver, senderLink, receiverLink] = [`fanout-s-${tag}`, `fanout-r-${tag}`, `fo${tag}s`, `fo${tag}r`];
      const peers = Array.from({ length: PEERS }, (_, i) => `10.79.0.2:${7001 + i}`);
      const script = `set -e
ip netns add ${sender}; ip netns add ${receiver}
trap 'ip netns del ${sender}; ip netns del ${receiver}' EXIT
ip link add ${senderLink} type veth peer name ${receiverLink}
ip link set ${senderLink} netns ${sender}; ip link set ${receiverLink} netns ${receiver}
ip -n ${sender} addr add 10.79.0.1/24 dev ${senderLink}; ip -n ${receiver} addr add 10.79.0.2/24 dev ${receiverLink}
ip -n ${sender} link set ${senderLink} up; ip -n ${receiver} link set ${receiverLink} up
ip netns exec ${sender} tc qdisc add dev ${senderLink} root tbf rate 100mbit burst 1514 limit ${QUEUE_FRAMES * 1514}
for port in ${peers.map((peer) => peer.split(':')[1]).join(' ')}; do ip netns exec ${receiver} ${FANOUT} recv $port & done
ip netns exec ${sender} ${FANOUT} send ${PAIRS} ${peers.join(' ')}
wait
ip netns exec ${sender} nstat -az TcpExtTCPTimeouts TcpOutSegs
ip netns exec ${sender} tc -s qdisc show dev ${senderLink}
`;
      const result = await runNative(['sh', '-c', script], { timeoutMs: 60_000 });
      expect(shellStatus(result), result.stderr).toBe(0);
      const { received } = outcome(result.stdout);
      expect(received.map(({ bytes }) => bytes)).toEqual(Array(PEERS).fill(PER_PEER));
      // The burst was several times what the queue holds: the sockets were held back, not dropped.
      const queued = /Sent (\d+) bytes \d+ pkt \(dropped (\d+),/.exec(result.stdout);
      expect(Number(queued?.[1])).toBeGreaterThan(2 * QUEUE_FRAMES * 1514);
      expect(queued?.[2], 'segments the interface queue dropped').toBe('0');
      expect(/^TcpExtTCPTimeouts\s+(\d+)/m.exec(result.stdout)?.[1]).toBe('0');
    },
    90_000,
  );

  test('simterpose: on a cluster whose nodes send through their own 100 Mbit/s link, every byte arrives paced by that link, well within a retransmission timeout', async () => {
    const platform = join(workDir, 'cluster5.xml');
    writeFileSync(
      platform,
      `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="c" prefix="node-" suffix="" radical="0-4" speed="1Gf" bw="12.5MBps" lat="50us" bb_bw="125MBps" bb_lat="10us"/>
</platform>
`,
    );
    const hosts = Array.from({ length: PEERS }, (_, i) => `node-${i + 1}`);
    const script = [
      `for host in ${hosts.join(' ')}; do ${join(REPO_ROOT, 'bin', 'simterpose-remote')} $host ${FANOUT} recv 7001 & done`,
      `${FANOUT} send ${PAIRS} ${hosts.map((host) => `${host}:7001`).join(' ')}`,
      'wait',
    ].join('\n');
    const result = await runSimterpose(['/bin/sh', '-c', script], { platform, runOptions: ['--cpu-model', 'none'], timeoutMs: 120_000 });
    expect(shellStatus(result), result.stderr).toBe(0);
    const { firstWrite, received } = outcome(result.stdout);
    expect(received.map(({ bytes }) => bytes)).toEqual(Array(PEERS).fill(PER_PEER));
    const last = Math.max(...received.map(({ at }) => at)) - firstWrite;
    expect(last).toBeGreaterThan((PEERS * PER_PEER) / RATE);
    expect(last).toBeLessThan(MIN_RTO / 2);
  }, 150_000);
});
