// The `syscalls` benchmark section: what one syscall costs natively, under a
// bare C ptrace tracer, answered without ptrace by a C seccomp
// user-notification supervisor, and under simterpose trapped (as a user
// notification, its default for getpid, or as a ptrace stop) or left native.
//
// Costs come from wall-clock time measured outside the program, as the
// difference between a run making N syscalls and one making none (median of
// several runs each): start-up costs cancel out, and simterpose's virtual
// clocks cannot skew it.
import { binDir, buildPrograms, perCallRow, ratioRow, repoRoot, simterposeCli } from './measure.js';

const cTracer = `${binDir}c-tracer`;
const cUserNotif = `${binDir}c-user-notif`;
const spinner = `${binDir}spin_syscalls`;
const platform = 'platforms/two-hosts.xml';

const GETPID = 39; // x86_64
const TRAPPED_TARGET = 1.3;
const UNTRAPPED_TARGET = 2;
/** A trapped openat (a user notification, let through) is one more event than the notified close it is paired with: at most about twice the cost. */
const OPEN_TRAP_TARGET = 2.2;

function build() {
  buildPrograms([
    [cTracer, `${repoRoot}bench/c-tracer.c`],
    [cUserNotif, `${repoRoot}bench/c-user-notif.c`],
    [spinner, `${repoRoot}test/apps/spin_syscalls.c`],
  ]);
}

export async function run() {
  build();
  const spin = (n) => [spinner, 'getpid', String(n)];
  const simterpose = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', ...spin(n)];

  const native = perCallRow('native getpid', spin, 2_000_000, 'no tracer');
  const floor = perCallRow(
    'C tracer, getpid trapped',
    (n) => [cTracer, String(GETPID), '--', ...spin(n)],
    50_000,
    'one seccomp stop per call, tracer and tracee on CPU 0',
  );
  const notified = perCallRow(
    'C supervisor, getpid by user notification',
    (n) => [cUserNotif, '--', ...spin(n)],
    50_000,
    'seccomp user notification, no ptrace: poll, receive, answer; on CPU 0',
  );
  // Enough calls for the work to outweigh how much simterpose's start-up varies (a tenth of a second).
  const trapped = perCallRow(
    'simterpose, getpid trapped',
    simterpose([]),
    100_000,
    'emulated by the mediator, the call a seccomp user notification (the default)',
  );
  const trappedStops = perCallRow(
    'simterpose --no-notify-syscalls, getpid trapped',
    simterpose(['--no-notify-syscalls']),
    100_000,
    'the same as a ptrace stop, as every call the mediator rewrites or sees exit is',
  );
  const untrapped = perCallRow('simterpose --untrap getpid', simterpose(['--untrap', 'getpid']), 2_000_000, 'left to the kernel');
  // Every open is trapped so that the CPU-count files can be served: what that costs an open of any other file,
  // as a user notification let through (the default) and as a ptrace stop.
  const opens = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', spinner, 'openat', String(n)];
  const nativeOpen = perCallRow('native openat+close', (n) => [spinner, 'openat', String(n)], 200_000, 'no tracer');
  const trappedOpen = perCallRow(
    'simterpose, openat+close',
    opens([]),
    50_000,
    'openat notified (path read, not served, let through), close notified (followed, let through)',
  );
  const stoppedOpen = perCallRow('simterpose --no-notify-syscalls, openat+close', opens(['--no-notify-syscalls']), 50_000, 'openat and close at ptrace stops');
  const untrappedOpen = perCallRow('simterpose --untrap openat, openat+close', opens(['--untrap', 'openat']), 100_000, 'close notified only');
  // A recvmsg with room for control messages on an AF_UNIX socket is asked whether the socket passes credentials (SO_PASSCRED).
  const receives = (options) => (n) => [process.execPath, simterposeCli, 'run', ...options, platform, '--', spinner, 'recvmsg', String(n)];
  const nativeReceive = perCallRow('native write+recvmsg', (n) => [spinner, 'recvmsg', String(n)], 200_000, 'AF_UNIX datagram pair, a control buffer');
  const trappedReceive = perCallRow('simterpose, write+recvmsg', receives([]), 50_000, 'both notified; recvmsg with a control buffer on an AF_UNIX socket');
  // A read of a file, as python3 -c 'import numpy' makes 319: the descriptor is looked at by its first read only.
  const reads = (n) => [process.execPath, simterposeCli, 'run', platform, '--', spinner, 'read', String(n)];
  const nativeRead = perCallRow('native read of a file', (n) => [spinner, 'read', String(n)], 500_000, 'one byte, then lseek back (untrapped)');
  const trappedRead = perCallRow('simterpose, read of a file', reads, 50_000, 'notified, let through');
  return [
    native,
    floor,
    notified,
    trapped,
    trappedStops,
    untrapped,
    ratioRow('trapped simterpose, ptrace stop / C tracer', trappedStops, floor, TRAPPED_TARGET),
    ratioRow('trapped simterpose, user notification / C supervisor', trapped, notified),
    ratioRow('trapped simterpose, user notification / ptrace stop', trapped, trappedStops),
    ratioRow('untrapped simterpose / native', untrapped, native, UNTRAPPED_TARGET),
    nativeOpen,
    trappedOpen,
    stoppedOpen,
    untrappedOpen,
    ratioRow('openat+close trapped / untrapped openat', trappedOpen, untrappedOpen, OPEN_TRAP_TARGET),
    nativeReceive,
    trappedReceive,
    nativeRead,
    trappedRead,
  ];
}
