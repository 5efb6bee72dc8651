import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import { runExperiment } from 'simterpose';
import { parseDeploymentText } from '../../src/sim/index.js';
import { freeTcpPort, runNative, shellStatus } from '../helpers/apps.js';
import { REPO_ROOT } from '../helpers/paths.js';

// test/apps/net_send_interrupted.c: a blocking 32 MiB send that waits for
// room (the server reads only 2 s after accepting) is interrupted by SIGALRM
// after part of it was taken. Linux returns the count taken, with or without
// SA_RESTART; the program sends the rest from there, and the server checks
// that the stream has every byte once, in order. Under simterpose the output
// must be the native one, under every data path.

const PLATFORM = 'test/fixtures/platforms/net-two-hosts.xml';
const DEPLOYMENT = 'test/fixtures/deployments/send-interrupted.xml';
const HOSTS = ['alice', 'bob'];
const PORT = '5004';

/** What both sides print, natively and under simterpose, when the send behaves as on Linux. */
const AS_ON_LINUX = {
  alice: [
    'no SA_RESTART: first send: partial, handler ran 1 time(s)',
    'no SA_RESTART: sent 33554432 bytes in all',
    'SA_RESTART: first send: partial, handler ran 1 time(s)',
    'SA_RESTART: sent 33554432 bytes in all',
    'EXIT-SUCCESS',
  ],
  bob: [
    `listening on port ${PORT}`,
    'connection 1: received 33554432 bytes, stream intact',
    'connection 2: received 33554432 bytes, stream intact',
    'EXIT-SUCCESS',
  ],
};

function linesOf(text: string): string[] {
  return text.trimEnd().split('\n');
}

/**
 * The deployment run natively as two processes on 127.0.0.1: the server on
 * a free port, the client once the server has printed that it listens.
 * Returns each host's lines, with the deployment's port written back.
 */
async function runNatively(): Promise<Record<string, string[]>> {
  const file = join(REPO_ROOT, DEPLOYMENT);
  const [server, client] = parseDeploymentText(readFileSync(file, 'utf8'), file, HOSTS).sort((a, b) => a.startTime - b.startTime);
  const port = String(await freeTcpPort());
  const local = (argv: string[]) => {
    const [program, ...args] = argv;
    return [resolve(dirname(file), program!), ...args.map((arg) => (HOSTS.includes(arg) ? '127.0.0.1' : arg === PORT ? port : arg))];
  };
  const [serverProgram, ...serverArgs] = local(server!.argv);
  const serverProcess = spawn(serverProgram!, serverArgs, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverStdout = '';
  let serverStderr = '';
  serverProcess.stderr.on('data', (chunk: Buffer) => (serverStderr += chunk.toString('utf8')));
  const serverDone = new Promise<number | null>((resolveDone, reject) => {
    serverProcess.on('error', reject);
    serverProcess.on('close', (status) => resolveDone(status));
  });
  try {
    await new Promise<void>((resolveListening) => {
      serverProcess.stdout.on('data', (chunk: Buffer) => {
        serverStdout += chunk.toString('utf8');
        if (serverStdout.includes('\n')) resolveListening();
      });
      serverProcess.on('close', () => resolveListening());
    });
    const clientResult = await runNative(local(client!.argv));
    const serverStatus = await serverDone;
    expect({ client: clientResult.stderr, server: serverStderr }, 'native stderr').toEqual({ client: '', server: '' });
    expect({ client: shellStatus(clientResult), server: serverStatus }, 'native exit statuses').toEqual({ client: 0, server: 0 });
    const asDeployed = (line: string) => line.replace(new RegExp(`\\b${port}\\b`, 'g'), PORT);
    return {
      [client!.host]: linesOf(clientResult.stdout).map(asDeployed),
      [server!.host]: linesOf(serverStdout).map(asDeployed),
    };
  } finally {
    if (serverProcess.exitCode === null) serverProcess.kill('SIGKILL');
  }
}

let native: Record<string, string[]>;

beforeAll(async () => {
  native = await runNatively();
});

const BEHAVIOUR =
  'a blocking send interrupted by a signal after a partial transfer returns the partial count, with or without SA_RESTART, and the next send skips no byte';

test(`${BEHAVIOUR} (natively, on loopback)`, () => {
  expect(native).toEqual(AS_ON_LINUX);
});

/** The data paths, as runExperiment's options, named as `simterpose run` spells them. */
const DATA_PATHS = [
  { name: '--network full', options: { network: 'full' } },
  { name: '--network translate', options: { network: 'translate' } },
  { name: '--network full --no-notify-syscalls', options: { network: 'full', notifySyscalls: false } },
] as const;

for (const { name, options } of DATA_PATHS) {
  test(`${BEHAVIOUR} (${name}), printing what it prints natively`, async () => {
    const result = await runExperiment({ platform: PLATFORM, deployment: DEPLOYMENT, cpuModel: 'none', ...options });
    const byHost = Object.fromEntries(result.outputs.map((output) => [output.host, linesOf(output.stdout)]));
    expect(byHost).toEqual(native);
    expect(result.outputs.map((output) => output.stderr)).toEqual(['', '']);
    expect(result.exitCodes).toEqual([0, 0]);
  });
}
