import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { deploymentXml, placed, type Workload } from '../../bench/peers-tools.js';
import { SHADOW_MIN_LATENCY, shadowConfig } from '../../bench/shadow-config.js';
import { parseDeploymentText } from '../../src/sim/index.js';

// A workload as the peers benchmark writes them: a daemon that never exits,
// a server, and clients reaching both by host name, one with an argument
// full of shell and XML metacharacters.
const workload: Workload = (network) => {
  const web = network.port(0);
  const echo = network.port(1);
  return [
    { host: 'host-0', argv: ['python3', '-m', 'http.server', String(web)], role: 'daemon', port: web },
    { host: 'host-0', argv: ['/bin/echo-server', String(echo)], role: 'server', port: echo },
    {
      host: 'host-1',
      argv: ['sh', '-c', 'curl -fsS "$0" < /dev/null && echo "a&b" > /dev/null', `http://${network.address('host-0')}:${web}/`],
      role: 'client',
    },
    { host: 'host-2', argv: ['/bin/echo-client', network.address('host-0'), String(echo)], role: 'client' },
  ];
};

/** What these tests read of the configuration, as yaml parses it. */
interface ShadowProcess {
  path: string;
  args: string[];
  start_time: number;
  shutdown_time?: number;
  shutdown_signal?: string;
  expected_final_state: unknown;
}
interface ShadowYaml {
  general: Record<string, unknown>;
  network: { graph: { type: string; inline: string } };
  experimental: Record<string, unknown>;
  hosts: Record<string, { network_node_id: number; processes: ShadowProcess[] }>;
}

const config = (): ShadowYaml => parse(shadowConfig(placed(workload), { stopTime: 3600, dataDirectory: '/tmp/shadow.data' }));

/** The attributes of the GML graph's `kind` blocks (node or edge), as strings without quotes. */
function gmlBlocks(graph: string, kind: string): Record<string, string>[] {
  return [...graph.matchAll(new RegExp(`${kind} \\[([^\\]]*)\\]`, 'g'))].map(([, body]) =>
    Object.fromEntries(
      body
        .trim()
        .split('\n')
        .map(
          (line) =>
            line
              .trim()
              .match(/^(\S+) "?([^"]*)"?$/)
              ?.slice(1) ?? [line, ''],
        ),
    ),
  );
}

describe("the peers benchmark's Shadow configuration", () => {
  it('holds the sections Shadow requires and models no CPU time, as simterpose --cpu-model none', () => {
    const { general, network, hosts } = config();
    expect(general).toMatchObject({ stop_time: 3600, data_directory: '/tmp/shadow.data', model_unblocked_syscall_latency: false });
    expect(network.graph.type).toBe('gml');
    expect(Object.keys(hosts).sort()).toEqual(['host-0', 'host-1', 'host-2']);
  });

  it('puts every host on one node whose self-loop has the smallest latency Shadow allows, and runs ahead no further', () => {
    const { network, experimental, hosts } = config();
    const graph = network.graph.inline;
    expect(gmlBlocks(graph, 'node')).toEqual([{ id: '0', host_bandwidth_up: '100 Gbit', host_bandwidth_down: '100 Gbit' }]);
    expect(gmlBlocks(graph, 'edge')).toEqual([{ source: '0', target: '0', latency: SHADOW_MIN_LATENCY, packet_loss: '0.0' }]);
    expect(SHADOW_MIN_LATENCY).toBe('1 ns');
    expect(experimental).toEqual({ runahead: SHADOW_MIN_LATENCY, use_dynamic_runahead: false });
    for (const host of Object.values(hosts)) expect(host).toMatchObject({ network_node_id: 0 });
  });

  it('runs the processes simterpose runs: same hosts, arguments, start dates; the daemon killed when simterpose kills it', () => {
    const { hosts } = config();
    const fromShadow = Object.entries(hosts).flatMap(([host, { processes }]) =>
      processes.map((entry) => ({
        host,
        argv: [entry.path, ...entry.args],
        startTime: entry.start_time,
        killTime: entry.shutdown_time,
        final: entry.expected_final_state,
      })),
    );
    const fromSimterpose = parseDeploymentText(deploymentXml(placed(workload)), 'deployment.xml', ['host-0', 'host-1', 'host-2']);
    expect(fromShadow.map(({ final: _, ...process }) => process)).toEqual(fromSimterpose.map((process) => ({ killTime: undefined, ...process })));
    expect(fromShadow.map(({ host, startTime, killTime, final }) => ({ host, startTime, killTime, final }))).toEqual([
      { host: 'host-0', startTime: 0, killTime: 10, final: { signaled: 'SIGKILL' } },
      { host: 'host-0', startTime: 0, killTime: undefined, final: { exited: 0 } },
      { host: 'host-1', startTime: 1, killTime: undefined, final: { exited: 0 } },
      { host: 'host-2', startTime: 1, killTime: undefined, final: { exited: 0 } },
    ]);
    expect(hosts['host-0'].processes[0]).toMatchObject({ shutdown_signal: 'SIGKILL' });
    expect(fromShadow[2].argv[3]).toBe('http://host-0:7000/');
  });
});
