// The real kernel's side of the suite: three network namespaces (a server,
// and two clients) joined by link-emulator, the relay that plays one link of
// the profile's latency and bandwidth between the server's side and the
// clients' side. Each namespace has its own TCP stack, set to CUBIC (Linux's
// default), with nothing remembered between connections.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import type { Profile } from './config.js';
import { LINK_EMULATOR } from './programs.js';

const execFileAsync = promisify(execFile);

export type Side = 'server' | 'client' | 'client2';
const SIDES: readonly Side[] = ['server', 'client', 'client2'];

/** Addresses on the link; the MACs are fixed so that every namespace knows its neighbours from the start (no ARP round trip in a measurement). */
export const ADDRESSES: Record<Side, string> = { server: '10.77.0.2', client: '10.77.0.1', client2: '10.77.0.3' };
const MACS: Record<Side, string> = { server: '02:00:0a:4d:00:02', client: '02:00:0a:4d:00:01', client2: '02:00:0a:4d:00:03' };
/** TAP devices are named fid<pid><side letter> (at most 15 characters). */
const NAME_PREFIX = 'fid';
/** Namespaces are named fidelity-<pid>-<side>. */
const NAMESPACE_PREFIX = 'fidelity-';
/**
 * Frames a TAP device holds for the relay to read. The kernel's default
 * (500) is what a busy relay overflowed on the 1 Gbit/s link: a TAP device
 * drops the frames it cannot hold, where a NIC's full ring would hold the
 * sender back. A deep queue never fills (TCP small queues keep a socket
 * under about 1 MB in it), so the only losses are the link's own.
 */
const TAP_QUEUE_FRAMES = 10_000;
/**
 * The workloads' programs run ahead of the machine's ordinary work
 * (SCHED_RR, below the relay's SCHED_FIFO 10): each side of the reference
 * plays a host of its own, whose programs never wait for another's CPU. At
 * nice 0 on a busy machine a program woke up to tens of ms late, and
 * python3's few ms of work on a request took several times that, which the
 * real rows counted. They compute only when they must (they block on their
 * sockets), so the machine's other work keeps its CPU otherwise. Where
 * real-time scheduling is refused, they run at nice -10.
 */
const REALTIME_WORKLOAD = ['chrt', '--rr', '5'];
const NICE_WORKLOAD = ['nice', '-n', '-10'];
let workloadPrefix: string[] | undefined;

function workloadPriority(): string[] {
  if (workloadPrefix === undefined) {
    try {
      execFileSync(REALTIME_WORKLOAD[0]!, [...REALTIME_WORKLOAD.slice(1), 'true'], { stdio: 'ignore' });
      workloadPrefix = REALTIME_WORKLOAD;
    } catch {
      workloadPrefix = NICE_WORKLOAD;
    }
  }
  return workloadPrefix;
}

const SYSCTLS = [
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
  'net.ipv4.tcp_congestion_control=cubic',
  // Linux remembers a destination's ssthresh and RTT across connections: every run starts as a first one.
  'net.ipv4.tcp_no_metrics_save=1',
  // A new namespace copies these from the machine's own, which may be tuned: Linux's defaults (tcp(7)) instead.
  'net.ipv4.tcp_rmem=4096 131072 6291456',
  'net.ipv4.tcp_wmem=4096 16384 4194304',
];

export interface RunOutput {
  stdout: string;
  stderr: string;
}

export class Link {
  /** Links not closed yet, for closing on an interruption. */
  private static readonly open = new Set<Link>();
  private readonly daemons: ChildProcess[] = [];

  private constructor(
    readonly profile: Profile,
    private readonly relay: ChildProcess,
    private readonly relayErrors: string[],
  ) {}

  static namespace(side: Side): string {
    return `${NAMESPACE_PREFIX}${process.pid}-${side}`;
  }

  /** Sets the namespaces up and starts the relay between them. */
  static async start(profile: Profile): Promise<Link> {
    removeStaleNamespaces();
    allowCubic();
    const taps: Record<Side, string> = {
      server: `${NAME_PREFIX}${process.pid}s`,
      client: `${NAME_PREFIX}${process.pid}c`,
      client2: `${NAME_PREFIX}${process.pid}d`,
    };
    for (const side of SIDES) ip('netns', 'add', Link.namespace(side));
    const relay = spawn(
      LINK_EMULATOR,
      [String(Math.round(profile.latencySeconds * 1e6)), String(profile.bytesPerSecond), taps.server, taps.client, taps.client2],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const relayErrors: string[] = [];
    relay.stderr?.on('data', (chunk: Buffer) => relayErrors.push(chunk.toString()));
    const link = new Link(profile, relay, relayErrors);
    Link.open.add(link);
    try {
      await waitForLine(relay, 'ready');
      for (const side of SIDES) link.configure(side, taps[side]);
    } catch (error) {
      await link.close();
      throw error;
    }
    return link;
  }

  private configure(side: Side, tap: string): void {
    const namespace = Link.namespace(side);
    ip('link', 'set', tap, 'netns', namespace);
    const inside = (...args: string[]) => ip('-n', namespace, ...args);
    for (const setting of SYSCTLS) {
      try {
        execFileSync('ip', ['netns', 'exec', namespace, 'sysctl', '-qw', setting], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (error) {
        const hint = setting.includes('congestion') ? ' (add cubic to net.ipv4.tcp_allowed_congestion_control on this machine)' : '';
        throw new Error(`fidelity: cannot set ${setting} in ${namespace}${hint}: ${(error as Error).message}`);
      }
    }
    inside('link', 'set', 'lo', 'up');
    inside('link', 'set', tap, 'address', MACS[side]);
    inside('link', 'set', tap, 'txqueuelen', String(TAP_QUEUE_FRAMES));
    inside('addr', 'add', `${ADDRESSES[side]}/24`, 'dev', tap);
    inside('link', 'set', tap, 'up');
    for (const other of SIDES) {
      if (other !== side) inside('neigh', 'replace', ADDRESSES[other], 'lladdr', MACS[other], 'dev', tap, 'nud', 'permanent');
    }
  }

  /** Runs a program in a side's namespace to its end; rejects with its stderr if it fails or outlives timeoutMs. */
  async run(side: Side, argv: string[], timeoutMs = 120_000): Promise<RunOutput> {
    try {
      const { stdout, stderr } = await execFileAsync('ip', ['netns', 'exec', Link.namespace(side), ...workloadPriority(), ...argv], {
        timeout: timeoutMs,
        killSignal: 'SIGKILL',
        maxBuffer: 16 * 1024 * 1024,
      });
      return { stdout, stderr };
    } catch (error) {
      const failure = error as { stderr?: string; message: string };
      throw new Error(`${argv.join(' ')} on the ${side} side failed: ${failure.stderr?.trim() || failure.message}`);
    }
  }

  /** Starts a server in a side's namespace, stopped when the link closes. Resolves once it printed `readyLine` or after `settleMs`. */
  async serve(side: Side, argv: string[], ready: { line: string } | { settleMs: number }): Promise<void> {
    const daemon = spawn('ip', ['netns', 'exec', Link.namespace(side), ...workloadPriority(), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stderr?.resume();
    this.daemons.push(daemon);
    if ('line' in ready) await waitForLine(daemon, ready.line);
    else {
      daemon.stdout?.resume();
      await new Promise((resolve) => setTimeout(resolve, ready.settleMs));
      if (daemon.exitCode !== null) throw new Error(`${argv.join(' ')} on the ${side} side exited at once (status ${daemon.exitCode})`);
    }
  }

  /** Closes every link still open (an interrupted run). */
  static async closeAll(): Promise<void> {
    for (const link of [...Link.open]) await link.close();
  }

  /** Stops the servers and the relay, removes the namespaces; returns the relay's closing counts. */
  async close(): Promise<string> {
    Link.open.delete(this);
    for (const daemon of this.daemons) {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGKILL');
        await once(daemon, 'close');
      }
    }
    // What the servers forked (fid serves each connection in a child) stays in the namespace: end it too.
    for (const side of SIDES) killProcessesIn(Link.namespace(side));
    if (this.relay.exitCode === null && this.relay.signalCode === null) {
      this.relay.kill('SIGTERM');
      await once(this.relay, 'close');
    }
    for (const side of SIDES) {
      try {
        ip('netns', 'del', Link.namespace(side));
      } catch {
        // Never created (a failed open): nothing to remove.
      }
    }
    return this.relayErrors.join('').trim();
  }
}

function ip(...args: string[]): void {
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const failure = error as { stderr?: Buffer; message: string };
    throw new Error(`ip ${args.join(' ')}: ${failure.stderr?.toString().trim() || failure.message}`);
  }
}

/** Namespaces left by a suite run that was killed (its pid is gone). */
const ALLOWED_CONGESTION_CONTROL = '/proc/sys/net/ipv4/tcp_allowed_congestion_control';

/**
 * A namespace may only pick a congestion control the machine allows, and
 * some machines allow only their default (bbr, reno): the reference runs
 * Linux's default, CUBIC, so it is added to the list where the kernel has
 * it. The list only permits; no socket of the machine changes.
 */
function allowCubic(): void {
  const allowed = readFileSync(ALLOWED_CONGESTION_CONTROL, 'utf8').trim().split(/\s+/);
  const available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8').trim().split(/\s+/);
  if (allowed.includes('cubic') || !available.includes('cubic')) return;
  writeFileSync(ALLOWED_CONGESTION_CONTROL, [...allowed, 'cubic'].join(' '));
}

/**
 * Namespaces a killed suite run left behind: those whose run's relay is
 * gone, as its TAP device went with it, and whose run's pid is gone too.
 * The pid alone does not tell: a run in another pid namespace (a CI
 * container, `unshare -p`) has a pid this one cannot see, and deleting its
 * namespaces would end its measurements.
 */
function removeStaleNamespaces(): void {
  const listing = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  for (const line of listing.split('\n')) {
    const match = new RegExp(`^(${NAMESPACE_PREFIX}(\\d+)-\\S+)`).exec(line);
    if (match === null) continue;
    const [, namespace, pid] = match as unknown as [string, string, string];
    if (Number(pid) === process.pid || processExists(Number(pid)) || holdsTap(namespace, `${NAME_PREFIX}${pid}`)) continue;
    killProcessesIn(namespace);
    ip('netns', 'del', namespace);
  }
}

/** Whether a namespace holds a network device whose name begins with `prefix` (a live relay's TAP device). */
function holdsTap(namespace: string, prefix: string): boolean {
  try {
    const links = execFileSync('ip', ['-n', namespace, '-o', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return links.split('\n').some((link) => new RegExp(`^\\d+: ${prefix}[a-z]\\b`).test(link));
  } catch {
    return false; // gone meanwhile
  }
}

function killProcessesIn(namespace: string): void {
  let pids: string;
  try {
    pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return; // no such namespace
  }
  for (const pid of pids.split('\n').filter((line) => line !== '')) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function waitForLine(child: ChildProcess, expected: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${expected}" from ${child.spawnargs.join(' ')} within ${timeoutMs} ms`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.split('\n').includes(expected)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (status) => {
      clearTimeout(timer);
      reject(new Error(`${child.spawnargs.join(' ')} exited (status ${status}) before printing "${expected}"`));
    });
  });
}
