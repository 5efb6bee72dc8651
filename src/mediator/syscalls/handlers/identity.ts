import type { FamilyTable, SyscallContext } from '../context.js';
import { Errno } from '../../abi/errno.js';
import {
  IOPRIO_WHO_PGRP,
  IOPRIO_WHO_PROCESS,
  PERF_FLAG_PID_CGROUP,
  PRIO_PGRP,
  PRIO_PROCESS,
  writeSysinfoHostFields,
  writeUtsNodename,
} from '../../abi/process.js';
import { asInt, asUint } from '../../abi/tracee-memory.js';
import { done, fail, instead, native, type Outcome } from '../outcome.js';
import { OUTSIDE_PID } from '../../tracees/virtual-pids.js';
import { isRefused, kernelGroup, kernelPid, realProcessId, virtualGroupResult, withRealPids } from '../pid-arguments.js';

/**
 * Who a process is: its virtual ids answered from the tracee table in one
 * stop; calls that name other processes get their real ids from simterpose
 * and give back virtual ones.
 */

const getpid = ({ process }: SyscallContext): Outcome => done(process.vpid);
const gettid = ({ thread }: SyscallContext): Outcome => done(thread.vtid);
/** A parent outside simterpose, or one that exited (the orphan went to init), reads as OUTSIDE_PID. */
const getppid = ({ process }: SyscallContext): Outcome => done(process.parent?.vpid ?? OUTSIDE_PID);

/** getpgrp, setsid: the kernel's answer is a real group or session id. */
const answersAPid = (ctx: SyscallContext): Outcome => native(virtualGroupResult(ctx));

/** getpgid(pid), getsid(pid): one pid argument, a real id back. OUTSIDE_PID is a group and session leader, like init. */
const asksAboutAPid = (ctx: SyscallContext): Outcome =>
  asInt(ctx.args[0]!) === OUTSIDE_PID ? done(OUTSIDE_PID) : withRealPids(ctx, [0], virtualGroupResult(ctx));

/** The first argument names a process or thread (0: the caller). */
const namesAPid = (ctx: SyscallContext): Outcome => withRealPids(ctx, [0]);

/** setpgid(pid, pgid): pid is the caller or one of its children; pgid a group of its session, or pid itself to lead a new one. */
function setpgid(ctx: SyscallContext): Outcome {
  const target = asInt(ctx.args[0]!);
  // The processes outside the run are none of its children.
  const pid = target === OUTSIDE_PID ? undefined : target < 0 ? target : realProcessId(ctx, target);
  if (pid === undefined) return fail(Errno.ESRCH);
  const group = asInt(ctx.args[1]!);
  // A group is named by its leader's pid; the leader may have left it already. Outside groups are beyond reach.
  const realGroup = group <= 0 ? group : ctx.services.tracees.pids.toReal(ctx.process.host, group);
  if (realGroup === undefined || group === OUTSIDE_PID) return fail(Errno.EPERM);
  return instead(ctx.sysno, [pid, realGroup, ...ctx.args.slice(2)]);
}

/** getpriority, setpriority, ioprio_get, ioprio_set: (which, who): `who` is a pid or a group for some `which` (0: the caller's). */
const byWhich =
  (processKind: number, groupKind: number) =>
  (ctx: SyscallContext): Outcome => {
    const which = asInt(ctx.args[0]!);
    const who = asInt(ctx.args[1]!);
    if ((which !== processKind && which !== groupKind) || who === 0) return native();
    const real = which === processKind ? kernelPid(ctx, who) : kernelGroup(ctx, who);
    if (isRefused(real)) return fail(real.errno);
    return instead(ctx.sysno, [ctx.args[0]!, real, ...ctx.args.slice(2)]);
  };

/** perf_event_open(attr, pid, cpu, group_fd, flags): pid names a process, unless a flag makes it a cgroup's descriptor. */
function perfEventOpen(ctx: SyscallContext): Outcome {
  if ((asUint(ctx.args[4]!) & PERF_FLAG_PID_CGROUP) !== 0) return native();
  // -1 is any process, on one CPU: the kernel decides whether the caller may watch it.
  return asInt(ctx.args[1]!) === -1 ? native() : withRealPids(ctx, [1]);
}

/** The kernel fills in the system's names; the node name becomes the simulated host's. */
function uname(ctx: SyscallContext): Outcome {
  const address = ctx.args[0]!;
  return native((result) => {
    if (result === 0) writeUtsNodename(ctx.memory, address, ctx.process.host);
  });
}

/**
 * The kernel fills in memory sizes; what tells of this machine's time and
 * load is made the host's: up since it booted (CLOCK_BOOTTIME), no load, its processes.
 */
function sysinfo(ctx: SyscallContext): Outcome {
  const address = ctx.args[0]!;
  const { time, tracees } = ctx.services;
  return native((result) => {
    if (result !== 0) return;
    const processes = [...tracees.processes.values()].filter((p) => p.alive && p.host === ctx.process.host).length;
    writeSysinfoHostFields(ctx.memory, address, time.sinceBoot(), processes);
  });
}

const PIDS_NOTE = `the pid argument is a virtual pid of the caller's host, made real for the kernel; ${OUTSIDE_PID} (outside the run) is out of reach (EPERM), any other pid is no process (ESRCH)`;

/**
 * A call whose first argument is a pid, which the kernel gets real. Pid 0
 * (the caller itself) needs nothing made real: the filter lets it run
 * natively, without a stop (glibc asks prlimit64(0, RLIMIT_STACK) as every
 * program starts).
 */
const namingAPid = {
  level: 'mediated',
  handler: namesAPid,
  stopsOnlyWhen: { argument: 0 },
  note: `${PIDS_NOTE}; 0 (the caller) runs natively, without a stop`,
} as const;

export const identitySyscalls: FamilyTable = {
  getpid: { level: 'emulated', handler: getpid, note: 'the virtual pid: per host, in creation order' },
  gettid: { level: 'emulated', handler: gettid, note: 'the virtual tid: per host, in creation order' },
  getppid: { level: 'emulated', handler: getppid, note: `the parent's virtual pid, ${OUTSIDE_PID} for one outside simterpose` },
  getpgrp: { level: 'mediated', handler: answersAPid, note: `runs in the kernel; the group as a virtual pid (${OUTSIDE_PID}: outside simterpose)` },
  setsid: { level: 'mediated', handler: answersAPid, note: 'runs in the kernel; the new session as a virtual pid' },
  getpgid: { level: 'mediated', handler: asksAboutAPid, note: `${PIDS_NOTE}; the group comes back virtual` },
  getsid: { level: 'mediated', handler: asksAboutAPid, note: `${PIDS_NOTE}; the session comes back virtual` },
  setpgid: { level: 'mediated', handler: setpgid, note: PIDS_NOTE },
  getpriority: { level: 'mediated', handler: byWhich(PRIO_PROCESS, PRIO_PGRP), note: PIDS_NOTE },
  setpriority: { level: 'mediated', handler: byWhich(PRIO_PROCESS, PRIO_PGRP), note: PIDS_NOTE },
  ioprio_get: { level: 'mediated', handler: byWhich(IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP), note: PIDS_NOTE },
  ioprio_set: { level: 'mediated', handler: byWhich(IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP), note: PIDS_NOTE },
  prlimit64: namingAPid,
  sched_setparam: namingAPid,
  sched_getparam: namingAPid,
  sched_setscheduler: namingAPid,
  sched_getscheduler: namingAPid,
  sched_rr_get_interval: namingAPid,
  sched_setattr: namingAPid,
  sched_getattr: namingAPid,
  get_robust_list: namingAPid,
  pidfd_open: namingAPid,
  process_vm_readv: namingAPid,
  process_vm_writev: namingAPid,
  migrate_pages: namingAPid,
  move_pages: namingAPid,
  kcmp: { level: 'mediated', handler: (ctx) => withRealPids(ctx, [0, 1]), note: PIDS_NOTE },
  perf_event_open: { level: 'mediated', handler: perfEventOpen, note: PIDS_NOTE },
  sysinfo: { level: 'mediated', handler: sysinfo, note: "runs in the kernel; uptime is CLOCK_BOOTTIME's, loads are 0, procs counts the host's processes" },
  uname: { level: 'mediated', handler: uname, note: 'the node name is the simulated host name (gethostname reads it)' },
  sethostname: { level: 'emulated', handler: () => fail(Errno.EPERM), note: "fails with EPERM: the host name is the platform's" },
};
