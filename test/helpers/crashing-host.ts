import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real Linux host that crashes and boots again, for comparing what a
 * client sees with what simterpose shows: two network namespaces joined by
 * a veth pair, the client in one, the server's "host" in the other. A crash
 * takes the server's link down (nothing leaves or arrives any more: the
 * client's neighbour entry is permanent, so it keeps sending, as to a
 * machine behind a router), kills its processes and destroys its sockets
 * without a word (`ss -K`); a boot brings the link back up with no socket
 * left, and starts the server again if asked.
 */
export const SERVER_ADDRESS = '10.78.0.2';
const CLIENT_ADDRESS = '10.78.0.1';
// Named after this process: test runs side by side on one machine each have their own (a link's name has 15 characters at most).
const SIDES = { client: `simterpose-faults-${process.pid}-client`, server: `simterpose-faults-${process.pid}-server` } as const;
const SERVER_LINK = `sf${process.pid}s`;
const CLIENT_LINK = `sf${process.pid}c`;

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function inServer(argv: string[]): ChildProcess {
  return spawn('ip', ['netns', 'exec', SIDES.server, ...argv], { stdio: ['ignore', 'ignore', 'ignore'] });
}

export interface CrashScenario {
  server: string[];
  client: string[];
  /** Seconds after the client starts that the server's host crashes. */
  crashAt: number;
  /** Seconds it stays down. */
  downFor: number;
  /** Whether the server starts again when the host boots (on_failure RESTART), or stays dead (DIE). */
  restart: boolean;
}

/** Runs the scenario on the real kernel; resolves with what the client printed. */
export async function clientOutputOnLinux(scenario: CrashScenario): Promise<string> {
  removeNamespaces();
  try {
    for (const name of Object.values(SIDES)) ip('netns', 'add', name);
    ip('link', 'add', CLIENT_LINK, 'type', 'veth', 'peer', 'name', SERVER_LINK);
    ip('link', 'set', CLIENT_LINK, 'netns', SIDES.client);
    ip('link', 'set', SERVER_LINK, 'netns', SIDES.server);
    ip('-n', SIDES.client, 'addr', 'add', `${CLIENT_ADDRESS}/24`, 'dev', CLIENT_LINK);
    ip('-n', SIDES.server, 'addr', 'add', `${SERVER_ADDRESS}/24`, 'dev', SERVER_LINK);
    for (const [side, link] of [
      [SIDES.client, CLIENT_LINK],
      [SIDES.server, SERVER_LINK],
    ] as const) {
      ip('-n', side, 'link', 'set', link, 'up');
      ip('-n', side, 'link', 'set', 'lo', 'up');
    }
    const mac = /link\/ether ([0-9a-f:]+)/.exec(ip('-n', SIDES.server, '-o', 'link', 'show', SERVER_LINK))![1]!;
    ip('-n', SIDES.client, 'neigh', 'replace', SERVER_ADDRESS, 'lladdr', mac, 'dev', CLIENT_LINK, 'nud', 'permanent');
    let server = inServer(scenario.server);
    await sleep(300);
    const client = spawn('ip', ['netns', 'exec', SIDES.client, ...scenario.client], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    client.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const ended = new Promise<void>((resolve) => client.on('close', () => resolve()));
    await sleep(scenario.crashAt * 1000);
    ip('-n', SIDES.server, 'link', 'set', SERVER_LINK, 'down');
    server.kill('SIGKILL');
    execFileSync('ip', ['netns', 'exec', SIDES.server, 'ss', '-K', '-t', 'state', 'all'], { stdio: 'ignore' });
    await sleep(scenario.downFor * 1000);
    ip('-n', SIDES.server, 'link', 'set', SERVER_LINK, 'up');
    if (scenario.restart) server = inServer(scenario.server);
    await ended;
    server.kill('SIGKILL');
    return output;
  } finally {
    removeNamespaces();
  }
}

function removeNamespaces(): void {
  const listed = ip('netns', 'list');
  for (const name of Object.values(SIDES)) if (listed.includes(name)) ip('netns', 'del', name);
}
