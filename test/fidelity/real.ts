// The workloads on the real kernel: the servers of every workload run in the
// server's namespace for the whole profile, the clients run in the clients'
// namespaces, one workload after another, round after round (so that the
// machine's drift over the minutes a profile takes hits every row alike).
import type { RowName } from './config.js';
import { ADDRESSES, type Link } from './link.js';
import { FID } from './programs.js';
import { FID_PORT, HTTP_PORT, IPERF3_PORT, type ServerKind, type Workload } from './workloads.js';

/** Clients that start together are given a date this far ahead, by which every one of them has started (ip netns exec takes a few ms). */
const CLIENTS_START_AFTER_MS = 300;

/** Starts the servers the workloads need, in the server's namespace. */
export async function startRealServers(link: Link, kinds: ReadonlySet<ServerKind>, httpDir: string): Promise<void> {
  if (kinds.has('fid')) await link.serve('server', [FID, 'serve', String(FID_PORT)], { settleMs: 200 });
  if (kinds.has('http')) {
    await link.serve('server', ['python3', '-u', '-m', 'http.server', String(HTTP_PORT), '--bind', ADDRESSES.server, '--directory', httpDir], {
      settleMs: 1500,
    });
  }
  if (kinds.has('iperf3')) await link.serve('server', ['iperf3', '-s', '-p', String(IPERF3_PORT)], { settleMs: 500 });
}

/** Every row's values, one per round. */
export async function measureReal(
  link: Link,
  workloads: readonly Workload[],
  rounds: number,
  onValue: (row: RowName, value: number) => void = () => {},
): Promise<Map<RowName, number[]>> {
  const values = new Map<RowName, number[]>();
  for (const workload of workloads) {
    if (workload.warmUp !== undefined) await link.run('client2', workload.warmUp(ADDRESSES.server));
  }
  for (let round = 0; round < rounds; round++) {
    for (const workload of workloads) {
      const startAt = ((Date.now() + CLIENTS_START_AFTER_MS) / 1000).toFixed(6);
      const outputs = await Promise.all(workload.clients.map(({ side, argv }) => link.run(side, argv(ADDRESSES.server, startAt))));
      for (const [row, value] of Object.entries(workload.rows(outputs.map((output) => output.stdout)))) {
        values.set(row as RowName, [...(values.get(row as RowName) ?? []), value]);
        onValue(row as RowName, value);
      }
    }
  }
  return values;
}
