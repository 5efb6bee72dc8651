import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { ptrace, StopKind } from '../mediator/native.js';
import { packagePath } from '../package-root.js';
import { syscallNumber } from '../mediator/syscalls/table.js';

/**
 * What `simterpose doctor` finds: each piece of the machine simterpose
 * uses, and whether it is there. A piece `needed` to run stops simterpose
 * when missing; any other missing piece has a fallback, and `detail` says
 * which and what it costs.
 */
export interface Check {
  name: string;
  ok: boolean;
  needed: boolean;
  detail: string;
}

/** Every check, in the order a run meets them. */
export function runChecks(): Check[] {
  const traced = tracedRun(false);
  return [
    nodeCheck(),
    kernelCheck(),
    yamaCheck(),
    ptraceCheck(traced),
    seccompCheck(traced),
    descriptorsCheck(traced),
    userNotificationCheck(traced),
    ioUringCheck(),
    waitidCheck(),
    counterCheck(),
    personalityCheck(),
  ];
}

/** The version `engines` asks for in package.json: `>=22.12` gives [22, 12, 0]. */
export function requiredNode(engines: string): number[] {
  const match = /^>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(engines.trim());
  if (match === null) throw new Error(`package.json engines.node is not '>=X.Y.Z': ${engines}`);
  return [Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)];
}

/** Whether version `have` (`20.20.2`) is at least `want`. */
export function atLeast(have: string, want: readonly number[]): boolean {
  const parts = have.split('.').map((part) => Number.parseInt(part, 10));
  for (const [i, wanted] of want.entries()) {
    const part = parts[i] ?? 0;
    if (part !== wanted) return part > wanted;
  }
  return true;
}

function nodeCheck(): Check {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { engines: { node: string } };
  const wanted = pkg.engines.node;
  const ok = atLeast(process.versions.node, requiredNode(wanted));
  return {
    name: 'Node.js',
    ok,
    needed: true,
    detail: ok ? `${process.version} (simterpose needs ${wanted})` : `${process.version} is too old: simterpose needs Node.js ${wanted}`,
  };
}

/** simterpose reaches programs' descriptors (pipes, sockets) with pidfd_getfd, which came in Linux 5.6. */
function kernelCheck(): Check {
  const ok = !kernelBefore(5, 6);
  return {
    name: 'Linux',
    ok,
    needed: true,
    detail: ok
      ? `${release()} (simterpose needs 5.6, for pidfd_getfd)`
      : `${release()} is too old: simterpose reaches programs' descriptors with pidfd_getfd (Linux 5.6)`,
  };
}

const YAMA = '/proc/sys/kernel/yama/ptrace_scope';

function yamaCheck(): Check {
  if (!existsSync(YAMA)) return { name: 'Yama ptrace_scope', ok: true, needed: true, detail: 'no Yama here: a process may trace its children' };
  const scope = readFileSync(YAMA, 'utf8').trim();
  switch (scope) {
    case '0':
    case '1':
      return { name: 'Yama ptrace_scope', ok: true, needed: true, detail: `${scope}: a process may trace its children, as simterpose does` };
    case '2':
      return hasCapability(CAP_SYS_PTRACE)
        ? { name: 'Yama ptrace_scope', ok: true, needed: true, detail: '2: only with CAP_SYS_PTRACE, which simterpose has here' }
        : { name: 'Yama ptrace_scope', ok: false, needed: true, detail: `2: only processes with CAP_SYS_PTRACE may trace (run as root, or set ${YAMA} to 1)` };
    default:
      return { name: 'Yama ptrace_scope', ok: false, needed: true, detail: `${scope}: no process may trace another until the next boot` };
  }
}

const CAP_SYS_PTRACE = 19;

/** Whether this process has a capability in its effective set (/proc/self/status, CapEff). */
function hasCapability(bit: number): boolean {
  const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return line !== null && ((BigInt(`0x${line[1]}`) >> BigInt(bit)) & 1n) === 1n;
}

/** How a probe program fared under ptrace: undefined when it ran to its end as told, else why not. */
interface TracedRun {
  error: string | undefined;
  /** The seccomp stops it made (one per trapped syscall). */
  seccompStops: number;
  /** Whether it was given a seccomp listener (notified syscalls asked for). */
  listener: boolean;
  /** Why its descriptors could not be looked at (pidfd_getfd) at its first stop; undefined when they could. */
  descriptorsRefused?: string;
}

const PROBE_PROGRAM = ['/bin/true', '/usr/bin/true'].find((path) => existsSync(path)) ?? '/bin/sh';

/**
 * Starts a small program as simterpose starts one (seized, a seccomp filter
 * trapping exit_group and execve; with `notified`, one syscall as a user
 * notification), resumes it at each stop and collects its exit.
 */
function tracedRun(notified: boolean): TracedRun {
  const trapped = ['execve', 'exit_group'].map((name) => syscallNumber(name)!);
  let pid: number;
  try {
    pid = ptrace.spawn({
      path: PROBE_PROGRAM,
      argv: [PROBE_PROGRAM, '-c', 'exit 0'],
      env: [],
      trapSyscalls: trapped,
      notifySyscalls: notified ? [syscallNumber('getppid')!] : undefined,
      trapAll: false,
    });
  } catch (error) {
    return { error: (error as Error).message, seccompStops: 0, listener: false };
  }
  const listener = ptrace.takeListener(pid);
  if (listener !== null) ptrace.closeListener(listener);
  const out = new Float64Array(16);
  let seccompStops = 0;
  let descriptorsRefused: string | undefined;
  try {
    for (;;) {
      ptrace.resume(pid, 0, false);
      const kind = ptrace.waitStop(pid, out, false, undefined);
      const seen = { seccompStops, listener: listener !== null, descriptorsRefused };
      if (kind === StopKind.exited) return { error: out[1] === 0 ? undefined : `it exited with ${out[1]}`, ...seen };
      if (kind === StopKind.killed) return { error: `it was killed by signal ${out[1]}`, ...seen };
      if (kind === StopKind.seccomp && seccompStops++ === 0) descriptorsRefused = refusedDescriptors(pid);
    }
  } catch (error) {
    return { error: (error as Error).message, seccompStops, listener: listener !== null };
  }
}

/** Why a tracee's descriptor 0 cannot be looked at from here, as the mediator looks at them all (pidfd_getfd); undefined when it can. */
function refusedDescriptors(pid: number): string | undefined {
  try {
    ptrace.inspectFd(pid, 0);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

function descriptorsCheck(run: TracedRun): Check {
  const name = "a tracee's descriptors (pidfd_getfd)";
  if (run.seccompStops === 0) return { name, ok: false, needed: true, detail: 'not tried: no traced program stopped here' };
  if (run.descriptorsRefused === undefined) return { name, ok: true, needed: true, detail: "simterpose can look at a traced program's pipes and sockets" };
  return {
    name,
    ok: false,
    needed: true,
    detail: `${run.descriptorsRefused}: no program can run (in Docker, whose default profile allows pidfd_getfd only with CAP_SYS_PTRACE: docker run --cap-add SYS_PTRACE)`,
  };
}

function ptraceCheck(run: TracedRun): Check {
  return run.error === undefined || run.seccompStops > 0
    ? { name: 'ptrace', ok: true, needed: true, detail: `${PROBE_PROGRAM} ran traced to its end` }
    : { name: 'ptrace', ok: false, needed: true, detail: `a traced program could not run: ${run.error}` };
}

function seccompCheck(run: TracedRun): Check {
  const filters = /^Seccomp_filters:\s*(\d+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  const ours =
    filters === undefined || filters === '0' ? '' : ` (simterpose itself runs under ${filters} filter${filters === '1' ? '' : 's'}, as in a container)`;
  if (run.seccompStops > 0) return { name: 'seccomp filters', ok: true, needed: true, detail: `a filter chose which syscalls stop the program${ours}` };
  if (run.error?.startsWith('seccomp') !== true)
    return { name: 'seccomp filters', ok: false, needed: true, detail: `not tried: no traced program runs here${ours}` };
  return {
    name: 'seccomp filters',
    ok: false,
    needed: true,
    detail: `no syscall stopped at the filter: ${run.error ?? 'none of its trapped calls was seen'}${ours}`,
  };
}

function userNotificationCheck(plain: TracedRun): Check {
  const name = 'seccomp user notifications';
  if (plain.error !== undefined && plain.seccompStops === 0) return { name, ok: false, needed: false, detail: 'not tried: no traced program runs here' };
  const run = tracedRun(true);
  if (run.error === undefined && run.listener) return { name, ok: true, needed: false, detail: 'a filter handed its notifications to simterpose' };
  return {
    name,
    ok: false,
    needed: false,
    detail: `${run.error ?? 'no listener was handed over'} (Linux 5.19 or later): every trapped syscall is a ptrace stop, as with --no-notify-syscalls; socket data and clock calls cost about twice as much`,
  };
}

const IO_URING_DISABLED = '/proc/sys/kernel/io_uring_disabled';

function ioUringCheck(): Check {
  const name = 'io_uring';
  if (ptrace.notificationsAvailable()) return { name, ok: true, needed: false, detail: 'a ring waits for ptrace stops and notifications at once' };
  const disabled = existsSync(IO_URING_DISABLED) ? readFileSync(IO_URING_DISABLED, 'utf8').trim() : '0';
  const cost = 'without it every trapped syscall is a ptrace stop, as with --no-notify-syscalls';
  if (disabled === '2') return { name, ok: false, needed: false, detail: `disabled (${IO_URING_DISABLED} is 2): ${cost}` };
  if (disabled === '1') return { name, ok: false, needed: false, detail: `disabled for this user (${IO_URING_DISABLED} is 1): ${cost}` };
  return kernelBefore(6, 7)
    ? { name, ok: true, needed: false, detail: `there, but see IORING_OP_WAITID` }
    : { name, ok: false, needed: false, detail: `no ring could be set up (a seccomp profile may refuse io_uring_setup): ${cost}` };
}

function waitidCheck(): Check {
  const name = 'IORING_OP_WAITID';
  if (ptrace.notificationsAvailable()) return { name, ok: true, needed: false, detail: `Linux ${release()} has it (6.7 or later)` };
  return {
    name,
    ok: false,
    needed: false,
    detail: `${kernelBefore(6, 7) ? `Linux ${release()} is older than 6.7` : 'unusable here'}: without it no user notification can be waited for next to ptrace stops, and every trapped syscall is a ptrace stop (as --no-notify-syscalls)`,
  };
}

function kernelBefore(major: number, minor: number): boolean {
  return !atLeast(release().split('-')[0]!, [major, minor]);
}

function counterCheck(): Check {
  const name = 'hardware instruction counter';
  if (ptrace.instructionCounterAvailable()) {
    return { name, ok: true, needed: false, detail: 'perf_event_open counts retired instructions: the instructions CPU model, exact and reproducible' };
  }
  return {
    name,
    ok: false,
    needed: false,
    detail:
      'perf_event_open has no instruction counter here (many virtual machines): computation is measured in CPU time (--cpu-model cputime), whose timings vary from run to run; `simterpose calibrate` sets its speed, --cpu-model none makes reruns exact',
  };
}

function personalityCheck(): Check {
  const name = 'personality(ADDR_NO_RANDOMIZE)';
  return ptrace.addressRandomizationDisabled()
    ? { name, ok: true, needed: false, detail: 'programs run without address-space randomization: the same addresses on every run' }
    : {
        name,
        ok: false,
        needed: false,
        detail:
          "refused (a container's seccomp profile, such as Docker's default): programs keep address-space randomization, and the addresses they see vary from run to run",
      };
}
