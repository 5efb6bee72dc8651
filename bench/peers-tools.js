// How each tool of the peers section runs one workload, a list of
// processes on hosts described once for all (see peers.js): natively on
// this machine's loopback, under simterpose on a generated platform, and
// under Shadow with a generated configuration. Each returns the run's wall
// seconds, measured from outside, and the simulators the CPU seconds their
// run took too.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { commandEnv, exited, simterposeCommand, timeAndCpuRun } from './measure.js';
import { shadowConfig } from './shadow-config.js';

/** Virtual dates: servers start at 0, clients once every server listens, daemons are killed once clients are long done. */
const CLIENT_START = 1;
const DAEMON_KILL = 10;
const SHADOW_STOP = 3600;

// Native servers need ports no earlier run left in TIME_WAIT: each run takes
// the next ones, below the kernel's ephemeral range (32768 and up).
const FIRST_NATIVE_PORT = 20_000;
const NATIVE_PORTS = 12_000;
let nextNativePort = FIRST_NATIVE_PORT + Math.floor(Math.random() * NATIVE_PORTS);

function nativePort() {
  const port = nextNativePort;
  nextNativePort = FIRST_NATIVE_PORT + ((nextNativePort + 1 - FIRST_NATIVE_PORT) % NATIVE_PORTS);
  return port;
}

/** The network as the programs of a simulated run see it: peers by host name, any port. */
const virtualNetwork = { address: (host) => host, port: (index) => 7000 + index };

/** TCP ports listening on this machine, from /proc/net/tcp and tcp6 (state 0A). */
function listeningPorts() {
  const ports = new Set();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === '0A') ports.add(Number.parseInt(fields[1].split(':')[1], 16));
    }
  }
  return ports;
}

async function untilListening(ports, servers) {
  for (;;) {
    const listening = listeningPorts();
    if (ports.every((port) => listening.has(port))) return;
    const gone = servers.find((server) => server.exitCode !== null || server.signalCode !== null);
    if (gone !== undefined) throw new Error(`native ${gone.spawnfile} ended before listening`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/**
 * Wall seconds of `workload(network)` natively ({seconds}): servers and
 * daemons start, clients once every server port listens on loopback, until
 * servers and clients have exited; daemons are then killed.
 */
export async function nativeRun(workload) {
  const processes = workload({ address: () => '127.0.0.1', port: () => nativePort() });
  const started = process.hrtime.bigint();
  const launch = ({ argv }) => spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const early = processes.filter(({ role }) => role !== 'client');
  const children = early.map(launch);
  const endings = children.filter((_, index) => early[index].role === 'server').map((child) => exited(child, `native ${child.spawnfile}`));
  try {
    await untilListening(
      early.map(({ port }) => port),
      children,
    );
    for (const client of processes.filter(({ role }) => role === 'client')) endings.push(exited(launch(client), `native ${client.argv[0]}`));
    await Promise.all(endings);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The processes of a simulated run, with their virtual start (and kill) dates. */
export function placed(workload) {
  return workload(virtualNetwork).map(({ host, argv, role }) => ({
    host,
    argv,
    start: role === 'client' ? CLIENT_START : 0,
    ...(role === 'daemon' ? { kill: DAEMON_KILL } : {}),
  }));
}

const xmlEscaped = (text) => text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** A cluster of `hosts` hosts, host-0 and up, each with its own 100 Gbit/s link without latency. */
export function platformXml(hosts) {
  return `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1">
  <cluster id="peers" prefix="host-" suffix="" radical="0-${hosts - 1}" speed="1Gf" bw="100Gbps" lat="0"/>
</platform>
`;
}

/** simterpose's deployment of `placed` processes. */
export function deploymentXml(processes) {
  const actors = processes.map(({ host, argv, start, kill }) => {
    const times = `start_time="${start}"${kill === undefined ? '' : ` kill_time="${kill}"`}`;
    const args = argv
      .slice(1)
      .map((arg) => `<argument value="${xmlEscaped(arg)}"/>`)
      .join('');
    return `  <actor host="${host}" function="${xmlEscaped(argv[0])}" ${times}>${args}</actor>`;
  });
  return `<?xml version='1.0'?>
<platform version="4.1">
${actors.join('\n')}
</platform>
`;
}

/**
 * The tools that run workloads in a simulation, each a function from a
 * workload to its run's wall seconds and CPU seconds ({seconds,
 * cpuSeconds}: measure.js timeAndCpuRun). `platform` is a platform file
 * with enough hosts; `folder` a scratch folder.
 */
export function simulators(folder, platform) {
  let runs = 0;
  const scratch = (name) => join(folder, `${runs++}-${name}`);
  return {
    simterpose(workload) {
      const deployment = scratch('deployment.xml');
      writeFileSync(deployment, deploymentXml(placed(workload)));
      // The package's command, from its startup snapshot as users start it (peers.js has it built first).
      return timeAndCpuRun([simterposeCommand, 'run', '--cpu-model', 'none', platform, deployment], undefined, commandEnv);
    },
    shadow(workload) {
      const config = scratch('shadow.yaml');
      const dataDirectory = scratch('shadow.data');
      writeFileSync(config, shadowConfig(placed(workload), { stopTime: SHADOW_STOP, dataDirectory }));
      try {
        return timeAndCpuRun(['shadow', config]);
      } finally {
        rmSync(dataDirectory, { recursive: true, force: true });
      }
    },
  };
}

/** Whether a `shadow` binary is on PATH. */
export function shadowOnPath() {
  return spawnSync('shadow', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export function scratchFolder() {
  return mkdtempSync(join(tmpdir(), 'simterpose-bench-peers-'));
}
