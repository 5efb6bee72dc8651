// One profile of the suite from start to end: the relay's self-check, the
// real kernel's rounds, then simterpose's runs (after the relay stopped, so
// that it takes no CPU from them) on a platform whose link has the latency
// the relay's ping measured, and the verdicts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Profile, RowName } from './config.js';
import { Link } from './link.js';
import { buildPrograms } from './programs.js';
import { measureReal, startRealServers } from './real.js';
import { checkRelay, type RelayCheck } from './relay-check.js';
import { measureSimulated } from './simulated.js';
import { judgeRelay, judgeRow, type RelayResult, type RowResult } from './table.js';
import { HTTP_PAGE, HTTP_PAGE_BYTES, unitOf, workloadsFor } from './workloads.js';

export interface ProfileResult {
  relay: RelayResult;
  rows: RowResult[];
}

/** From the relay's closing lines: how many frames it released late, of how many. */
function lateFrames(counts: string): { late: number; relayed: number } {
  let late = 0;
  let relayed = 0;
  for (const match of counts.matchAll(/relayed (\d+) dropped \d+, released over \d+ us late (\d+)/g)) {
    relayed += Number(match[1]);
    late += Number(match[2]);
  }
  return { late, relayed };
}

/** Why this process cannot run the suite, or null when it can. */
export function missingPrivilege(): string | null {
  if (process.getuid?.() === 0) return null;
  return 'fidelity: needs root (it creates network namespaces and TAP devices for the real-kernel reference); run it as root';
}

export async function runProfile(profile: Profile, rows: readonly RowName[], rounds: number, log: (line: string) => void = () => {}): Promise<ProfileResult> {
  buildPrograms();
  // The work folder holds the platform and deployments, and is the folder http.server serves.
  const workDir = mkdtempSync(join(tmpdir(), 'simterpose-fidelity-'));
  try {
    writeFileSync(join(workDir, HTTP_PAGE), 'x'.repeat(HTTP_PAGE_BYTES));
    const workloads = workloadsFor(rows);
    const link = await Link.start(profile);
    let check: RelayCheck;
    let real: Map<RowName, number[]>;
    let relayCounts: string;
    try {
      check = await checkRelay(link);
      log(
        `${profile.name}: relay ping ${check.pingRttMs.toFixed(3)} ms, burst ${(check.rateBytesPerSecond / 1e6).toFixed(3)} MB/s; simterpose's link latency ${check.linkLatencyMs.toFixed(3)} ms`,
      );
      await startRealServers(link, new Set(workloads.map((workload) => workload.server)), workDir);
      real = await measureReal(link, workloads, rounds, (row, value) => log(`${profile.name}: real ${row} ${value.toPrecision(4)}`));
    } finally {
      relayCounts = await link.close();
    }
    for (const line of relayCounts.split('\n')) log(`${profile.name}: ${line}`);
    const relay = judgeRelay(profile, check, lateFrames(relayCounts));
    const simulated = await measureSimulated(profile, check.linkLatencyMs / 1000, workloads, workDir, workDir, (row, value) =>
      log(`${profile.name}: simterpose ${row} ${value.toPrecision(4)}`),
    );
    const results = rows
      .filter((row) => real.has(row) && simulated.has(row))
      .map((row) => judgeRow(profile, row, unitOf(row), real.get(row)!, simulated.get(row)!));
    return { relay, rows: results };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
