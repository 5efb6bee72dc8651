import { Errno } from '../../abi/errno.js';
import {
  CLONE_CHILD_CLEARTID,
  CLONE_CHILD_SETTID,
  CLONE_PARENT_SETTID,
  CLONE_UNTRACED,
  CLONE_VFORK,
  CLONE_VM,
  P_ALL,
  P_PGID,
  P_PID,
  PTRACE_ATTACH,
  PTRACE_SEIZE,
  PTRACE_TRACEME,
  CONTINUED_WAIT_STATUS,
  RUSAGE_SIZE,
  WCONTINUED,
  WEXITED,
  WNOHANG,
  WNOWAIT,
  WUNTRACED,
  stoppedWaitStatus,
  clearCloneArgsFlag,
  cloneArgsFields,
  cloneArgsSizeAccepted,
} from '../../abi/process.js';
import { CLD_CONTINUED, CLD_STOPPED, SIGCHLD, SIGCONT, childSiginfo, readSiginfoPid, writeSiginfoPid } from '../../abi/signal.js';
import { asInt, asUint, writeI32 } from '../../abi/tracee-memory.js';
import type { ChildReport, Process } from '../../tracees/tracees.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, blocked, done, fail, instead, native, type Outcome } from '../outcome.js';
import { isRefused, kernelPid, virtualId, virtualResult } from '../pid-arguments.js';
import { remoteLaunch } from '../remote-launch.js';
import { OUTSIDE_PID } from '../../tracees/virtual-pids.js';
import { clone3Refusal, cloneRefusal } from './namespaces.js';

/** Process lifecycle: clone family (flags recorded for the event that follows), wait4, waitid. */

/**
 * The clone family runs in the kernel; what it reports in real ids is
 * rewritten to virtual ones: the result in the parent here, and the tid
 * words of CLONE_PARENT_SETTID and CLONE_CHILD_SETTID when the new thread
 * is attached (lifecycle), before anyone reads them.
 */
function recordClone(ctx: SyscallContext, flags: number, parentTid: number, childTid: number): void {
  ctx.thread.pendingClone = {
    flags,
    clearChildTid: (flags & CLONE_CHILD_CLEARTID) !== 0 ? childTid : 0,
    parentSetTid: (flags & CLONE_PARENT_SETTID) !== 0 ? parentTid : 0,
    childSetTid: (flags & CLONE_CHILD_SETTID) !== 0 ? childTid : 0,
  };
}

/*
 * CLONE_UNTRACED would make a child the kernel does not attach: it would run
 * outside the simulation, unscheduled, and outlive simterpose. The flag is
 * taken out before the kernel sees the call; nothing else about the child
 * depends on it.
 */

function clone(ctx: SyscallContext): Outcome {
  // x86_64: clone(flags, stack, parent_tid, child_tid, tls); the kernel reads the flags' low 32 bits.
  const [flags, , parentTid, childTid] = ctx.args as [number, number, number, number];
  const refusal = cloneRefusal(flags);
  if (refusal !== undefined) return refusal;
  recordClone(ctx, flags, parentTid, childTid);
  if ((flags & CLONE_UNTRACED) === 0) return native(virtualResult(ctx));
  const args = [...ctx.args];
  args[0] = (asUint(flags) & ~CLONE_UNTRACED) >>> 0;
  return instead(ctx.sysno, args, virtualResult(ctx));
}

/** clone3(args, size): an untraced child's struct clone_args is copied below the stack without the flag, for this call only. */
function clone3(ctx: SyscallContext): Outcome {
  const [address, size] = ctx.args as [number, number];
  // The kernel refuses the call before reading anything.
  if (!cloneArgsSizeAccepted(size)) return NATIVE;
  const bytes = ctx.memory.read(address, size);
  const { flags, parentTid, childTid } = cloneArgsFields(bytes);
  const refusal = clone3Refusal(bytes);
  if (refusal !== undefined) return refusal;
  recordClone(ctx, flags, parentTid, childTid);
  if ((flags & CLONE_UNTRACED) === 0) return native(virtualResult(ctx));
  clearCloneArgsFlag(bytes, CLONE_UNTRACED);
  const copy = ctx.scratchBelowStack(size);
  ctx.memory.write(copy, bytes);
  return instead(ctx.sysno, [copy, size, ...ctx.args.slice(2)], virtualResult(ctx));
}

function forking(flags: number) {
  return (ctx: SyscallContext): Outcome => {
    recordClone(ctx, flags, 0, 0);
    return native(virtualResult(ctx));
  };
}

const fork = forking(SIGCHLD);
const vfork = forking(CLONE_VM | CLONE_VFORK | SIGCHLD);

/**
 * glibc keeps the result as the thread's own tid (pthread_self()->tid): it
 * must be the virtual one. While the kernel clears no tid for the thread
 * (none since its exec: glibc's call at start-up), the call is answered
 * without running, in one stop rather than two (its exit stop, for the
 * result), and the mediator clears the tid at the thread's exit instead
 * (Lifecycle). Otherwise the kernel must forget its address: the call runs.
 */
function setTidAddress({ thread, args }: SyscallContext): Outcome {
  const kernelClearsNone = thread.clearChildTid === 0 || thread.clearsTidHere;
  thread.clearChildTid = args[0]!;
  thread.clearsTidHere = kernelClearsNone;
  return kernelClearsNone ? done(thread.vtid) : native(() => thread.vtid);
}

/**
 * A tracee is traced already, by simterpose, and traces nothing itself:
 * PTRACE_TRACEME fails with EPERM; attaching to a process it can name
 * fails with EPERM (a tracee is traced already; OUTSIDE_PID is out of
 * reach) and any other request with ESRCH (it traces none of them), as do
 * all of them towards a pid it cannot name.
 */
function ptrace(ctx: SyscallContext): Outcome {
  const request = asInt(ctx.args[0]!);
  if (request === PTRACE_TRACEME) return fail(Errno.EPERM);
  const pid = asInt(ctx.args[1]!);
  const target = kernelPid(ctx, pid);
  const exists = pid === OUTSIDE_PID || (!isRefused(target) && target > 0);
  return fail(exists && (request === PTRACE_ATTACH || request === PTRACE_SEIZE) ? Errno.EPERM : Errno.ESRCH);
}

/** Trapped only so that the mediator knows an exec is under way: in a multi-threaded process it kills the other threads (see Lifecycle). */
/** An exec runs in the kernel, unless it is simterpose-remote's: then the command runs on its host. */
const exec = (ctx: SyscallContext): Outcome => remoteLaunch(ctx) ?? NATIVE;

function exitGroup({ process }: SyscallContext): Outcome {
  process.groupExiting = true;
  return NATIVE;
}

/** Children of `parent` that a wait for `selector` may collect (-1 or 0 or -pgid: any, approximated by any); a pid selector is virtual. */
function matching(set: ReadonlySet<Process>, selector: number): Process[] {
  return [...set].filter((child) => selector <= 0 || child.vpid === selector);
}

/** A virtual pid or group selector of wait4/waitid made real for the kernel; undefined when it names no tracee. */
function realSelector(ctx: SyscallContext, selector: number): number | undefined {
  if (selector === 0 || selector === -1) return selector;
  const real = ctx.services.tracees.pids.toReal(ctx.process.host, Math.abs(selector));
  return real === undefined ? undefined : Math.sign(selector) * real;
}

/** What a reaping wait returned, as the caller sees it: its result, and the virtual pid it collected (0: none). */
type Reaped = (result: number) => { result: number; reaped: number };

/** How a wait asks, and how it reports a child's stop or resumption (the kernel knows nothing of those: see JobControl). */
interface WaitRequest {
  selector: number;
  options: number;
  /** It may report exits: wait4 always, waitid with WEXITED. */
  exits: boolean;
  /** It consumes what it reports (not WNOWAIT). */
  reaps: boolean;
  kernelArgs: readonly number[];
  translate: Reaped;
  reportChange: (child: Process, report: ChildReport) => Outcome;
}

/** The stop or resumption of `child` that a wait with `options` reports, if any. */
function reportable(child: Process, options: number): ChildReport | undefined {
  const report = child.childReport;
  if (report === undefined) return undefined;
  return (options & (report.kind === 'stopped' ? WUNTRACED : WCONTINUED)) !== 0 ? report : undefined;
}

/**
 * A wait that would block is emulated; one that will not (a zombie is there,
 * WNOHANG, or no child at all) runs in the kernel, which reaps for real, with
 * the selector made real and the reaped pid (wait4's result, waitid's
 * si_pid) made virtual. A stop or resumption is reported by simterpose.
 */
function waitForChild(ctx: SyscallContext, request: WaitRequest): Outcome {
  const { process } = ctx;
  const { selector, options, reaps, kernelArgs, translate } = request;
  const zombies = request.exits ? matching(process.zombies, selector) : [];
  if (zombies.length > 0) {
    return instead(ctx.sysno, kernelArgs, (kernelResult) => {
      const { result, reaped } = translate(kernelResult);
      if (reaps && reaped > 0) {
        for (const zombie of process.zombies) if (zombie.vpid === reaped) process.zombies.delete(zombie);
      }
      return result;
    });
  }
  for (const child of matching(process.children, selector)) {
    const report = reportable(child, options);
    if (report === undefined) continue;
    if (reaps) child.childReport = undefined;
    return request.reportChange(child, report);
  }
  const waitable = matching(process.children, selector).length + matching(process.zombies, selector).length;
  if ((options & WNOHANG) !== 0 || waitable === 0) return instead(ctx.sysno, kernelArgs);
  return blocked({ kind: 'child', parent: process.pid, reason: `a child of ${process.command}[${process.vpid}] to change state`, onSignal: 'restartable' });
}

/** wait4's status and waitid's si_code and si_status for a child's stop or resumption. */
const waitStatus = (report: ChildReport): number => (report.kind === 'stopped' ? stoppedWaitStatus(report.signal) : CONTINUED_WAIT_STATUS);
const childCode = (report: ChildReport): { code: number; status: number } =>
  report.kind === 'stopped' ? { code: CLD_STOPPED, status: report.signal } : { code: CLD_CONTINUED, status: SIGCONT };

/** The struct rusage a wait fills, if asked: a stopped or resumed child is reported with none used since (simterpose keeps no per-child usage). */
function clearRusage(ctx: SyscallContext, address: number): void {
  if (address !== 0) ctx.memory.write(address, Buffer.alloc(RUSAGE_SIZE));
}

function wait4(ctx: SyscallContext): Outcome {
  const selector = asInt(ctx.args[0]!);
  const real = realSelector(ctx, selector);
  if (real === undefined) return fail(Errno.ECHILD);
  const [, statusAddress, , rusageAddress] = ctx.args as [number, number, number, number];
  return waitForChild(ctx, {
    selector,
    options: asInt(ctx.args[2]!),
    exits: true,
    reaps: true,
    kernelArgs: [real, ...ctx.args.slice(1)],
    translate: (result) => {
      const pid = result > 0 ? virtualId(ctx, result) : result;
      return { result: pid, reaped: Math.max(pid, 0) };
    },
    reportChange: (child, report) => {
      if (statusAddress !== 0) writeI32(ctx.memory, statusAddress, waitStatus(report));
      clearRusage(ctx, rusageAddress);
      return done(child.vpid);
    },
  });
}

function waitid(ctx: SyscallContext): Outcome {
  const [idtype, id, infop, optionsArg] = ctx.args as [number, number, number, number];
  const options = asInt(optionsArg);
  let selector = -1;
  let realId = id;
  if (idtype === P_PID || idtype === P_PGID) {
    if (idtype === P_PID) selector = asInt(id);
    if (asInt(id) !== 0) {
      const real = ctx.services.tracees.pids.toReal(ctx.process.host, asInt(id));
      if (real === undefined) return fail(Errno.ECHILD);
      realId = real;
    }
  } else if (idtype !== P_ALL) {
    return fail(Errno.EINVAL);
  }
  return waitForChild(ctx, {
    selector,
    options,
    exits: (options & WEXITED) !== 0,
    reaps: (options & WNOWAIT) === 0,
    kernelArgs: [idtype, realId, ...ctx.args.slice(2)],
    translate: (result) => {
      if (result !== 0 || infop === 0) return { result, reaped: 0 };
      const real = readSiginfoPid(ctx.memory, infop);
      if (real <= 0) return { result, reaped: 0 };
      const virtual = virtualId(ctx, real);
      writeSiginfoPid(ctx.memory, infop, virtual);
      return { result, reaped: virtual };
    },
    reportChange: (child, report) => {
      const { code, status } = childCode(report);
      if (infop !== 0) ctx.memory.write(infop, childSiginfo(code, child.vpid, report.uid, status));
      clearRusage(ctx, ctx.args[4]!);
      return done(0);
    },
  });
}

export const processSyscalls: FamilyTable = {
  clone: {
    level: 'mediated',
    handler: clone,
    note: 'runs in the kernel, without CLONE_UNTRACED; the new thread or process is attached and scheduled, and gets the next virtual id of its host; a new namespace fails with EPERM',
  },
  clone3: {
    level: 'mediated',
    handler: clone3,
    note: 'runs in the kernel, without CLONE_UNTRACED; the new thread or process is attached and scheduled, and gets the next virtual id of its host; a new namespace fails with EPERM',
  },
  fork: { level: 'mediated', handler: fork, note: 'runs in the kernel; the child is attached and scheduled' },
  vfork: { level: 'mediated', handler: vfork, note: 'the parent is held until the child execs or exits' },
  set_tid_address: { level: 'mediated', handler: setTidAddress, note: 'recorded so thread exits wake emulated futex waiters; returns the virtual tid' },
  exit_group: { level: 'mediated', handler: exitGroup, note: 'runs in the kernel' },
  ptrace: {
    level: 'emulated',
    handler: ptrace,
    note: 'tracees are traced by simterpose: PTRACE_TRACEME and attaching fail with EPERM, other requests with ESRCH',
  },
  wait4: { blocks: true, level: 'mediated', handler: wait4, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  waitid: { blocks: true, level: 'mediated', handler: waitid, note: 'emulated while it would block; reaping happens in the kernel; pids are virtual' },
  execve: {
    level: 'mediated',
    handler: exec,
    note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image',
  },
  execveat: {
    level: 'mediated',
    handler: exec,
    note: 'runs in the kernel; trapped because in a multi-threaded process it kills the other threads, which simterpose must let die; the vDSO is disabled in the new image',
  },
};
