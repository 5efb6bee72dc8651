import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from './apps.js';

/**
 * The seeded syscall fuzzer (test/apps/fuzz_syscalls.c) run natively and
 * under simterpose, and what tells them apart: an internal error, a hang,
 * another exit status, or a call whose result differs from Linux's.
 */

/** The ways simterpose runs a program that the fuzzer goes through. */
export const FUZZ_MODES = {
  full: [],
  translate: ['--network', 'translate'],
  'no-notify': ['--no-notify-syscalls'],
  // --strace takes an optional file: the platform must not be taken for it.
  strace: ['--strace', '/dev/null'],
} as const satisfies Record<string, readonly string[]>;
export type FuzzMode = keyof typeof FUZZ_MODES;

export type FuzzVerdict = 'ok' | 'internal-error' | 'hang' | 'status' | 'mismatch';

export interface FuzzRun {
  seed: number;
  mode: FuzzMode;
  verdict: FuzzVerdict;
  /** What differed, for a verdict other than ok. */
  detail: string;
}

/** Wall-clock seconds a run may take under simterpose before it counts as a hang. */
const WALL_LIMIT_SECONDS = 60;
/** The internal-error exit status (src/exit-status.ts) and its stderr line. */
const INTERNAL_ERROR_STATUS = 70;
const WALL_LIMIT_STATUS = 125;

/**
 * Lines where simterpose deliberately differs from the machine the native
 * run had, each mapped to what both must then print.
 */
const DOCUMENTED_DIFFERENCES: readonly { why: string; line: RegExp; as: string }[] = [
  {
    // The nameserver is the one the native machine has in /etc/resolv.conf, or simterpose's
    // own: whether a query can leave depends on that machine's network, not on simterpose.
    why: 'the nameserver natively is the real one',
    line: /^dns sendto = /,
    as: 'dns sendto = (either)',
  },
];

function normalise(output: string): string[] {
  return output.split('\n').map((line) => {
    const difference = DOCUMENTED_DIFFERENCES.find(({ line: pattern }) => pattern.test(line));
    return difference === undefined ? line : difference.as;
  });
}

const nativeRuns = new Map<string, Promise<RunResult>>();

/** The native run of a seed, made once per process (it is deterministic: the fuzzer's own check). */
function nativeRun(seed: number, calls: number): Promise<RunResult> {
  const key = `${seed}:${calls}`;
  let run = nativeRuns.get(key);
  if (run === undefined) {
    run = runNative([appPath('fuzz_syscalls'), String(seed), String(calls)]);
    nativeRuns.set(key, run);
  }
  return run;
}

/** Runs `calls` calls of seed `seed` natively and under simterpose in `mode`, and judges the second by the first. */
export async function fuzzSeed(seed: number, calls: number, mode: FuzzMode): Promise<FuzzRun> {
  const native = await nativeRun(seed, calls);
  const verdict = (kind: FuzzVerdict, detail = ''): FuzzRun => ({ seed, mode, verdict: kind, detail });
  let simulated: RunResult;
  try {
    simulated = await runSimterpose([appPath('fuzz_syscalls'), String(seed), String(calls)], {
      runOptions: ['--wall-limit', String(WALL_LIMIT_SECONDS), ...FUZZ_MODES[mode]],
      timeoutMs: (WALL_LIMIT_SECONDS + 30) * 1000,
    });
  } catch (error) {
    // Past even the wall limit: simterpose itself did not stop.
    return verdict('hang', (error as Error).message.slice(0, 500));
  }
  const status = shellStatus(simulated);
  if (status === INTERNAL_ERROR_STATUS || /internal error/.test(simulated.stderr)) return verdict('internal-error', lastLines(simulated.stderr));
  if (status === WALL_LIMIT_STATUS && /wall/.test(simulated.stderr)) return verdict('hang', lastLines(simulated.stderr));
  const expected = normalise(native.stdout);
  const got = normalise(simulated.stdout);
  const first = expected.findIndex((line, i) => line !== got[i]);
  if (first >= 0 || got.length !== expected.length) {
    const at = first >= 0 ? first : expected.length;
    return verdict(
      'mismatch',
      `line ${at + 1}: Linux "${expected[at] ?? '(end)'}", simterpose "${got[at] ?? '(end)'}" (${howItEnded(simulated)})\n${lastLines(simulated.stderr)}`,
    );
  }
  if (status !== shellStatus(native)) return verdict('status', `Linux ${shellStatus(native)}, simterpose ${status}\n${lastLines(simulated.stderr)}`);
  return verdict('ok');
}

/** How simterpose ended: a mismatch at the end of the output reads differently after exit 0 than after a signal. */
function howItEnded(run: RunResult): string {
  return run.signal === null ? `simterpose exited with status ${run.status}` : `simterpose was killed by ${run.signal}`;
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-4).join('\n');
}

/** The figures of many runs: how many, over how many seeds, and how many of each failure. */
export function fuzzFigures(runs: readonly FuzzRun[]): Record<string, number> {
  const count = (verdict: FuzzVerdict) => runs.filter((run) => run.verdict === verdict).length;
  return {
    runs: runs.length,
    seeds: new Set(runs.map((run) => run.seed)).size,
    'internal errors': count('internal-error'),
    hangs: count('hang'),
    'other exit status': count('status'),
    mismatches: count('mismatch'),
  };
}
