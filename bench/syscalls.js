// The `syscalls` benchmark section: what one syscall costs natively, under a
// bare C ptrace tracer, and under simterpose trapped or left native.
//
// Costs come from wall-clock time measured outside the program, as the
// difference between a run making N syscalls and one making none (median of
// several runs each): start-up costs cancel out, and simterpose's virtual
// clocks cannot skew it.
import { binDir, buildPrograms, median, repoRoot, simterposeCli, timeRun } from './measure.js';

const cTracer = `${binDir}c-tracer`;
const spinner = `${binDir}spin_syscalls`;
const platform = 'platforms/two-hosts.xml';

const GETPID = 39; // x86_64
const RUNS = 5;
const TRAPPED_TARGET = 1.3;
const UNTRAPPED_TARGET = 2;

function build() {
  buildPrograms([
    [cTracer, `${repoRoot}bench/c-tracer.c`],
    [spinner, `${repoRoot}test/apps/spin_syscalls.c`],
  ]);
}

/** µs per syscall of `commandFor(n)`, from the medians of runs with n = 0 and n = calls. */
function microsecondsPerCall(commandFor, calls) {
  const idle = [];
  const busy = [];
  // Interleaved, so that a slow spell of the machine hits both sides alike.
  for (let run = 0; run < RUNS; run++) {
    idle.push(timeRun(commandFor(0)));
    busy.push(timeRun(commandFor(calls)));
  }
  return ((median(busy) - median(idle)) / calls) * 1e6;
}

function measure(name, commandFor, calls, note) {
  try {
    return { name, value: microsecondsPerCall(commandFor, calls), unit: 'µs/call', note };
  } catch (error) {
    return { name, value: null, unit: 'µs/call', note: `failed: ${error.message}` };
  }
}

function ratio(name, numerator, denominator, target) {
  if (numerator.value === null || denominator.value === null) {
    return { name, value: null, unit: '×', note: `target ≤ ${target}×, not measured` };
  }
  const value = numerator.value / denominator.value;
  return { name, value, unit: '×', note: `target ≤ ${target}×: ${value <= target ? 'met' : 'MISSED'}` };
}

export async function run() {
  build();
  const spin = (n) => [spinner, 'getpid', String(n)];
  const simterpose = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', ...spin(n)];

  const native = measure('native getpid', spin, 2_000_000, 'no tracer');
  const floor = measure('C tracer, getpid trapped', (n) => [cTracer, String(GETPID), '--', ...spin(n)], 50_000,
    'one seccomp stop per call, tracer and tracee on CPU 0');
  const trapped = measure('simterpose, getpid trapped', simterpose([]), 20_000, 'emulated by the mediator');
  const untrapped = measure('simterpose --untrap getpid', simterpose(['--untrap', 'getpid']), 2_000_000,
    'left to the kernel');
  return [
    native,
    floor,
    trapped,
    untrapped,
    ratio('trapped simterpose / C tracer', trapped, floor, TRAPPED_TARGET),
    ratio('untrapped simterpose / native', untrapped, native, UNTRAPPED_TARGET),
  ];
}
