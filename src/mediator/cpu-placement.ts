import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyTicksOfOthers } from './cpu-busy.js';
import { ptrace } from './native.js';

/**
 * Which real CPU a run takes. The mediator and its tracees take turns on one
 * CPU; two runs started side by side (a test suite, a sweep) must not both
 * take the first when another sits idle. A run claims its CPU with a file
 * lock that the kernel drops when the process ends, so a claim never
 * outlives its run; the n-th run on a CPU takes its n-th claim, and a new
 * run takes the CPU with the fewest runs, the least busy one among those.
 */

/** The CPUs this process may run on (its affinity), in order: where the mediator may pin itself and its tracees. */
export function allowedCpus(): number[] {
  return ptrace.allowedCpus();
}

/** More runs than this on each CPU: the least busy is shared without a claim. */
const MOST_RUNS_PER_CPU = 64;

/** The CPU this process claimed: every later run in it keeps to it (it pinned itself there). */
let claimed: number | undefined;

/** The allowed CPU running the fewest simterpose runs, the least busy of those; claimed for this process's lifetime. */
export function claimQuietestCpu(): number {
  const allowed = allowedCpus();
  if (claimed !== undefined && allowed.includes(claimed)) return claimed;
  if (allowed.length === 1) return allowed[0]!;
  const quietestFirst = byBusyTime(allowed);
  const folder = claimsFolder();
  if (folder !== undefined) {
    for (let run = 0; run < MOST_RUNS_PER_CPU; run++) {
      const cpu = quietestFirst.find((candidate) => ptrace.holdFileLock(join(folder, `cpu${candidate}.${run}`)));
      if (cpu !== undefined) {
        claimed = cpu;
        return cpu;
      }
    }
  }
  return quietestFirst[0]!;
}

/** One folder per user: claims are advisory and only runs of the same user see them. Undefined when it cannot be made. */
function claimsFolder(): string | undefined {
  const folder = join(tmpdir(), `simterpose-cpus-${process.getuid?.() ?? 0}`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    return folder;
  } catch {
    return undefined;
  }
}

/** `cpus` ordered by what other programs kept them busy over the start-up (cpu-busy.ts), least first (ties: lower number first). */
function byBusyTime(cpus: number[]): number[] {
  const busy = busyTicksOfOthers();
  const of = (cpu: number) => busy.get(cpu) ?? 0;
  return [...cpus].sort((a, b) => of(a) - of(b) || a - b);
}
