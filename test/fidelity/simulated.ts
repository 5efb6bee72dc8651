// The workloads under simterpose: a platform with the profile's link between
// a server host and two client hosts (each route is that one link, so two
// flows share it), a deployment per workload, `simterpose run --cpu-model
// none` so that only the network costs virtual time (cputime for curl, whose
// real row counts python3's own work: see workloads.ts). Runs with --cpu-model
// none are reproducible: one run per row (the median of five for cputime).
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Profile, RowName } from './config.js';
import { FID, REPO_ROOT } from './programs.js';
import { median } from './stats.js';
import { FID_PORT, HTTP_PORT, IPERF3_PORT, type ServerKind, type Workload } from './workloads.js';

const execFileAsync = promisify(execFile);
const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');
const CLIENT_START = 1;
const WARM_UP_START = 0.5;
/** Servers that never exit by themselves are stopped at this virtual date, long after their clients are done. */
const SERVER_KILL_TIME = 1000;

/**
 * The profile's link as a SimGrid platform: full duplex, as the relay's
 * (SPLITDUPLEX: each direction has B), of the one-way latency the relay
 * was measured to give (see linkLatencySeconds in suite.ts).
 */
export function platformXml(profile: Profile, latencySeconds: number): string {
  const route = (client: string) => `    <route src="${client}" dst="server"><link_ctn id="link" direction="UP"/></route>`;
  return [
    "<?xml version='1.0'?>",
    '<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">',
    `<!-- The fidelity suite's ${profile.name} link, as link-emulator plays it for the real kernel. -->`,
    '<platform version="4.1">',
    '  <zone id="world" routing="Full">',
    '    <host id="server" speed="1Gf"/>',
    '    <host id="client" speed="1Gf"/>',
    '    <host id="client2" speed="1Gf"/>',
    `    <link id="link" bandwidth="${profile.platformBandwidth}" latency="${(latencySeconds * 1e6).toFixed(1)}us" sharing_policy="SPLITDUPLEX"/>`,
    route('client'),
    route('client2'),
    '  </zone>',
    '</platform>',
    '',
  ].join('\n');
}

function serverArgv(kind: ServerKind, connections: number, httpDir: string): { argv: string[]; killTime?: number } {
  switch (kind) {
    case 'fid':
      return { argv: [FID, 'serve', String(FID_PORT), String(connections)] };
    case 'http':
      return { argv: ['python3', '-m', 'http.server', String(HTTP_PORT), '--bind', '0.0.0.0', '--directory', httpDir], killTime: SERVER_KILL_TIME };
    case 'iperf3':
      return { argv: ['iperf3', '-s', '-1', '-p', String(IPERF3_PORT)] };
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\n/g, '&#10;');
}

function actorXml(host: string, argv: string[], startTime: number, killTime?: number): string {
  const [program, ...args] = argv;
  const kill = killTime === undefined ? '' : ` kill_time="${killTime}"`;
  return [
    `  <actor host="${host}" function="${escapeXml(program!)}" start_time="${startTime}"${kill}>`,
    ...args.map((arg) => `    <argument value="${escapeXml(arg)}"/>`),
    '  </actor>',
  ].join('\n');
}

export function deploymentXml(workload: Workload, httpDir: string): string {
  const server = serverArgv(workload.server, workload.clients.length, httpDir);
  const actors = [
    actorXml('server', server.argv, 0, server.killTime),
    ...(workload.warmUp === undefined ? [] : [actorXml('client2', workload.warmUp('server'), WARM_UP_START)]),
    ...workload.clients.map(({ side, argv }) => actorXml(side, argv('server'), CLIENT_START)),
  ];
  return `<?xml version='1.0'?>\n<platform version="4.1">\n${actors.join('\n')}\n</platform>\n`;
}

/** The lines one host's processes printed, without their `[HOST PID] ` prefixes. */
function linesOfHost(stdout: string, host: string): string {
  const prefix = new RegExp(`^\\[${host} \\d+\\] `);
  return stdout
    .split('\n')
    .filter((line) => prefix.test(line))
    .map((line) => line.replace(prefix, ''))
    .join('\n');
}

/**
 * Runs of a workload under simterpose: one where only the network costs
 * time (reproducible), the median of several where computation is charged
 * as the CPU time it took (cputime varies from run to run).
 */
const RUNS: Record<Workload['cpuModel'], number> = { none: 1, cputime: 5 };

/** Every row's value under simterpose, in workDir (which holds the platform and deployments). */
export async function measureSimulated(
  profile: Profile,
  latencySeconds: number,
  workloads: readonly Workload[],
  workDir: string,
  httpDir: string,
  onValue: (row: RowName, value: number) => void = () => {},
): Promise<Map<RowName, number>> {
  const platform = join(workDir, `${profile.name}.xml`);
  writeFileSync(platform, platformXml(profile, latencySeconds));
  const runs = new Map<RowName, number[]>();
  for (const workload of workloads) {
    const deployment = join(workDir, `${profile.name}-${workload.name}.xml`);
    writeFileSync(deployment, deploymentXml(workload, httpDir));
    for (let run = 0; run < RUNS[workload.cpuModel]; run++) {
      let stdout: string;
      try {
        ({ stdout } = await execFileAsync(process.execPath, [CLI, 'run', '--cpu-model', workload.cpuModel, '--quiet', platform, deployment], {
          cwd: workDir,
          timeout: 900_000,
          killSignal: 'SIGKILL',
          maxBuffer: 64 * 1024 * 1024,
        }));
      } catch (error) {
        const failure = error as { stderr?: string; message: string };
        throw new Error(
          `simterpose on ${workload.name} (${profile.name}) failed: ${failure.stderr?.trim().split('\n').slice(-5).join('\n') || failure.message}`,
        );
      }
      const outputs = workload.clients.map(({ side }) => linesOfHost(stdout, side));
      for (const [row, value] of Object.entries(workload.rows(outputs))) {
        runs.set(row as RowName, [...(runs.get(row as RowName) ?? []), value]);
        onValue(row as RowName, value);
      }
    }
  }
  return new Map([...runs].map(([row, values]) => [row, median(values)]));
}
