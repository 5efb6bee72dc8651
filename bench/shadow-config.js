// Shadow's configuration (YAML, docs/shadow_config_spec.md of Shadow 3.x)
// for one run of a peers workload: every host on one network node whose
// self-loop is the fastest link Shadow accepts (it refuses a latency of 0),
// and the runahead forced down to that latency, so that no packet is
// delivered later than its latency says (Shadow's default runahead, 1 ms,
// would let it). Neither tool charges CPU time to the programs here:
// simterpose runs with --cpu-model none, Shadow without
// model_unblocked_syscall_latency.
import { stringify } from 'yaml';

/** The smallest latency Shadow's network graph allows. */
export const SHADOW_MIN_LATENCY = '1 ns';
export const SHADOW_BANDWIDTH = '100 Gbit';

function networkGraph() {
  return `graph [
  directed 0
  node [
    id 0
    host_bandwidth_up "${SHADOW_BANDWIDTH}"
    host_bandwidth_down "${SHADOW_BANDWIDTH}"
  ]
  edge [
    source 0
    target 0
    latency "${SHADOW_MIN_LATENCY}"
    packet_loss 0.0
  ]
]
`;
}

/** One process of the configuration; one that `kill` names is stopped by SIGKILL then, as a simterpose kill_time does. */
function processEntry({ argv, start, kill }) {
  const entry = { path: argv[0], args: argv.slice(1), start_time: start };
  if (kill === undefined) return { ...entry, expected_final_state: { exited: 0 } };
  return { ...entry, shutdown_time: kill, shutdown_signal: 'SIGKILL', expected_final_state: { signaled: 'SIGKILL' } };
}

/**
 * The YAML text of a Shadow run of `processes` ({host, argv, start, kill?},
 * times in virtual seconds), ending at `stopTime`, writing its files under
 * `dataDirectory` (which must not exist yet).
 */
export function shadowConfig(processes, { stopTime, dataDirectory }) {
  const hosts = {};
  for (const process of processes) {
    hosts[process.host] ??= { network_node_id: 0, processes: [] };
    hosts[process.host].processes.push(processEntry(process));
  }
  const config = {
    general: { stop_time: stopTime, data_directory: dataDirectory, model_unblocked_syscall_latency: false, heartbeat_interval: null, log_level: 'warning' },
    network: { graph: { type: 'gml', inline: networkGraph() } },
    experimental: { runahead: SHADOW_MIN_LATENCY, use_dynamic_runahead: false },
    hosts,
  };
  return stringify(config);
}
