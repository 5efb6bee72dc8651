import type { HostPairTally } from './recorder.js';
import type { HostReport, LinkReport, MigrationReport, ProcessReport } from './types.js';

/**
 * Each host's processes, CPU time and bytes, for the hosts where something
 * happened (a migration's two hosts among them), in platform order. A
 * migrated process counts on the host it ended on.
 */
export function hostTotals(
  processes: readonly ProcessReport[],
  pairs: readonly HostPairTally[],
  hostNames: readonly string[],
  migrations: readonly MigrationReport[] = [],
): HostReport[] {
  const totals = new Map<string, HostReport>();
  const of = (name: string): HostReport => {
    let host = totals.get(name);
    if (host === undefined) {
      host = { name, processes: 0, cpuTime: 0, bytesSent: 0, bytesReceived: 0 };
      totals.set(name, host);
    }
    return host;
  };
  for (const process of processes) {
    const host = of(process.host);
    host.processes++;
    host.cpuTime += process.cpuTime;
    host.bytesSent += process.bytesSent;
    host.bytesReceived += process.bytesReceived;
  }
  for (const pair of pairs) {
    of(pair.from);
    of(pair.to);
  }
  for (const migration of migrations) {
    if (migration.missed !== null) continue;
    of(migration.from);
    of(migration.to);
  }
  return hostNames.flatMap((name) => totals.get(name) ?? []);
}

/** What crossed each link, from the transfers between each two hosts and the links of their route; in platform order. */
export function linkTotals(pairs: readonly HostPairTally[], linkNames: readonly string[]): LinkReport[] {
  const totals = new Map<string, LinkReport>();
  for (const pair of pairs) {
    for (const name of pair.links) {
      let link = totals.get(name);
      if (link === undefined) {
        link = { name, transfers: 0, bytes: 0 };
        totals.set(name, link);
      }
      link.transfers += pair.transfers;
      link.bytes += pair.bytes;
    }
  }
  return linkNames.flatMap((name) => totals.get(name) ?? []);
}
