import { readFileSync } from 'node:fs';
import { sleepSync } from '../sleep.js';

/**
 * How busy each CPU was over a stretch of wall time, from /proc/stat, less
 * this process's own work: what other programs make of each CPU
 * (cpu-placement.ts picks the quietest). The CLI opens the stretch as it
 * starts (`startBusySample`) and the run closes it when it picks its CPU,
 * so the sample spans the start-up (loading the modules and SimGrid) and
 * the run waits for it only if the start-up took less than the shortest
 * sample. A longer sample says more, too: /proc/stat counts in 10 ms ticks.
 */

/** The shortest stretch that tells the CPUs apart. */
const SHORTEST_SAMPLE_MS = 10;
/** /proc/stat counts in USER_HZ ticks: 100 a second on Linux's x86_64. */
const NS_PER_TICK = 1e7;

interface BusySample {
  /** When it was taken, in ms (performance.now()). */
  at: number;
  /** Each CPU's ticks spent on anything but idle and I/O wait so far. */
  busyTicks: Map<number, number>;
  /** The CPU time this process's main thread has had so far, in ns. */
  ownNs: number;
}

let opened: BusySample | undefined;

/** Opens the stretch a later `busyTicksOfOthers` measures; the first call counts. Cheap: two reads of /proc. */
export function startBusySample(): void {
  opened ??= sample();
}

/**
 * Each CPU's busy ticks since `startBusySample` (opened now when it was
 * not), waiting for the rest of the shortest sample if need be. This
 * process's main thread's own work is taken off the CPU it runs on: the
 * start-up burns CPU where it runs, which would make that CPU look busy.
 * (Node.js's helper threads do little at start-up, and are left in.)
 */
export function busyTicksOfOthers(): Map<number, number> {
  const before = opened ?? sample();
  opened = undefined;
  const missing = SHORTEST_SAMPLE_MS - (performance.now() - before.at);
  if (missing > 0) sleepSync(missing);
  const after = sample();
  const busy = new Map<number, number>();
  for (const [cpu, ticks] of after.busyTicks) busy.set(cpu, ticks - (before.busyTicks.get(cpu) ?? 0));
  const ownCpu = mainThreadCpu();
  const ownTicks = (after.ownNs - before.ownNs) / NS_PER_TICK;
  if (busy.has(ownCpu)) busy.set(ownCpu, Math.max(0, busy.get(ownCpu)! - ownTicks));
  return busy;
}

function sample(): BusySample {
  return { at: performance.now(), busyTicks: busyTicksSoFar(), ownNs: mainThreadRunNs() };
}

/** Each CPU's ticks spent on anything but idle and I/O wait, from /proc/stat's `cpuN user nice system idle iowait ...` lines. */
function busyTicksSoFar(): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const line of readFileSync('/proc/stat', 'latin1').split('\n')) {
    const match = /^cpu(\d+) (.*)$/.exec(line);
    if (match === null) continue;
    const fields = match[2]!.trim().split(/\s+/).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    ticks.set(Number(match[1]), total - fields[3]! - fields[4]!);
  }
  return ticks;
}

/** The main thread's CPU time in ns, exact to the call (schedstat's first field), where stat's would be in ticks. */
function mainThreadRunNs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'latin1').split(' ')[0]);
}

/** The CPU the main thread runs on: field 39 (processor) of stat(5), counted after the command name's closing parenthesis. */
function mainThreadCpu(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'latin1');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
}
