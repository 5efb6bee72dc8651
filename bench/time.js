// The `time` benchmark section: what one emulated clock_gettime costs under
// simterpose (a seccomp user notification by default, or a ptrace stop)
// against a bare C tracer emulating it in one ptrace stop; what one read
// through glibc costs natively (the kernel's vDSO) and under simterpose
// under each CPU model (its own vDSO under none and cputime, a trapped call
// under instructions or with --no-vdso); and the wall time an hour of
// virtual sleep costs.
//
// Everything is wall-clock time measured outside the programs, as the
// difference between a run doing the work and one that does not (median of
// several interleaved runs): start-up costs cancel out, and the programs'
// own clocks are virtual under simterpose, so they cannot time themselves.
import * as ptrace from '../native/ptrace-rs/index.js';
import { binDir, buildPrograms, perCallRow, ratioRow, repoRoot, simterposeCli, wallDifference } from './measure.js';

const cTracer = `${binDir}c-tracer`;
const timeSpin = `${binDir}time_spin`;
const timeSleep = `${binDir}time_sleep`;
const platform = 'platforms/two-hosts.xml';

const CLOCK_GETTIME = 228; // x86_64
const CLOCK_TARGET = 1.3;
/** A clock read through simterpose's vDSO against the native syscall (issue 23). */
const VDSO_TARGET = 10;
const HOUR_TARGET_SECONDS = 0.1;

function build() {
  buildPrograms([
    [cTracer, `${repoRoot}bench/c-tracer.c`],
    [timeSpin, `${repoRoot}test/apps/time_spin.c`],
    [timeSleep, `${repoRoot}test/apps/time_sleep.c`],
  ]);
}

function hourOfSleep(options) {
  const name = `an hour of virtual sleep${options.length > 0 ? ` (${options.join(' ')})` : ''}`;
  const run = (seconds) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', timeSleep, 'sleep', String(seconds), '1'];
  try {
    const value = wallDifference(run(0), run(3600));
    return {
      name,
      value,
      unit: 's wall',
      note: `target < ${HOUR_TARGET_SECONDS} s: ${value < HOUR_TARGET_SECONDS ? 'met' : 'MISSED'}; a run sleeping 3600 s minus one sleeping 0 s`,
    };
  } catch (error) {
    return { name, value: null, unit: 's wall', note: `failed: ${error.message}` };
  }
}

export async function run() {
  build();
  const spin = (n) => [timeSpin, String(n)];
  const simterpose = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', ...spin(n)];

  const native = perCallRow('native clock_gettime syscall', spin, 2_000_000, 'no tracer; syscall(2), not the vDSO');
  const floor = perCallRow(
    'C tracer, clock_gettime emulated',
    (n) => [cTracer, String(CLOCK_GETTIME), '--write-timespec', '--', ...spin(n)],
    50_000,
    'one seccomp stop, a timespec written with process_vm_writev',
  );
  const emulated = perCallRow(
    'simterpose, clock_gettime',
    simterpose([]),
    100_000,
    'default CPU model (under cputime: the calibrated CPU cost of each notification is not charged, and CPU time is read only when the work could reach the exec threshold)',
  );
  const emulatedFree = perCallRow('simterpose --cpu-model none, clock_gettime', simterpose(['--cpu-model', 'none']), 100_000, 'no work measured');
  const libcSpin = (n) => [...spin(n), 'libc'];
  const simterposeLibc = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', ...libcSpin(n)];
  const nativeVdso = perCallRow('native clock_gettime through the vDSO', libcSpin, 20_000_000, "glibc's clock_gettime, the kernel's vDSO");
  const ownVdso = perCallRow(
    "simterpose --cpu-model none, glibc's clock_gettime",
    simterposeLibc(['--cpu-model', 'none']),
    5_000_000,
    "answered by simterpose's vDSO; one call in 10000 traps (the polling throttle)",
  );
  const noVdso = perCallRow(
    "simterpose --cpu-model none --no-vdso, glibc's clock_gettime",
    simterposeLibc(['--cpu-model', 'none', '--no-vdso']),
    100_000,
    'no vDSO: every call trapped',
  );
  const cputimeVdso = perCallRow(
    "simterpose --cpu-model cputime, glibc's clock_gettime",
    simterposeLibc(['--cpu-model', 'cputime']),
    5_000_000,
    "answered by simterpose's vDSO; a call traps once the loop may have run --cpu-threshold of work (100 µs of CPU)",
  );
  const cputimeNoVdso = perCallRow(
    "simterpose --cpu-model cputime --no-vdso, glibc's clock_gettime",
    simterposeLibc(['--cpu-model', 'cputime', '--no-vdso']),
    100_000,
    'no vDSO: every call trapped',
  );
  const instructions = ptrace.instructionCounterAvailable()
    ? perCallRow(
        "simterpose --cpu-model instructions, glibc's clock_gettime",
        simterposeLibc(['--cpu-model', 'instructions']),
        100_000,
        'no vDSO under this model: every call trapped',
      )
    : {
        name: "simterpose --cpu-model instructions, glibc's clock_gettime",
        value: null,
        unit: 'µs/call',
        note: 'skipped: no hardware instruction counter here',
      };
  const emulatedStops = perCallRow(
    'simterpose --no-notify-syscalls, clock_gettime',
    simterpose(['--no-notify-syscalls']),
    100_000,
    'default CPU model, each call a ptrace stop',
  );
  return [
    native,
    floor,
    emulated,
    emulatedFree,
    emulatedStops,
    ratioRow('simterpose / C tracer, clock_gettime', emulated, floor, CLOCK_TARGET),
    ratioRow('simterpose --cpu-model none / C tracer, clock_gettime', emulatedFree, floor, CLOCK_TARGET),
    ratioRow('simterpose --no-notify-syscalls / C tracer, clock_gettime', emulatedStops, floor),
    nativeVdso,
    ownVdso,
    noVdso,
    ratioRow("simterpose's vDSO / native syscall, clock_gettime", ownVdso, native, VDSO_TARGET),
    ratioRow("simterpose's vDSO / native vDSO, clock_gettime", ownVdso, nativeVdso),
    ratioRow('--no-vdso / native syscall, clock_gettime', noVdso, native),
    cputimeVdso,
    cputimeNoVdso,
    ratioRow("simterpose's vDSO under cputime / native syscall, clock_gettime", cputimeVdso, native, VDSO_TARGET),
    ratioRow("simterpose's vDSO under cputime / native vDSO, clock_gettime", cputimeVdso, nativeVdso),
    ratioRow('cputime --no-vdso / native syscall, clock_gettime', cputimeNoVdso, native),
    instructions,
    ratioRow('instructions / native syscall, clock_gettime', instructions, native, VDSO_TARGET),
    hourOfSleep([]),
    hourOfSleep(['--cpu-model', 'none']),
  ];
}
