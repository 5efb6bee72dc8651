import { Errno } from '../../abi/errno.js';
import {
  CLONE_FILES,
  CLONE_NAMESPACES,
  CLONE_NEWTIME,
  CLONE_PARENT,
  CLONE_SIGHAND,
  CLONE_THREAD,
  CLONE_VM,
  cloneArgsFields,
  cloneArgsValidityFields,
} from '../../abi/process.js';
import { asInt } from '../../abi/tracee-memory.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, fail, type Outcome } from '../outcome.js';

/**
 * Namespaces are not simulated: a tracee that made its own pid, network,
 * mount or user namespace would see and act outside the simulated host
 * (its pids, interfaces and mounts the kernel's, not simterpose's), and
 * simterpose often runs as root, where the kernel would let it. So every
 * call that makes or enters a namespace is answered as Linux answers an
 * unprivileged process: EPERM. That includes CLONE_NEWUSER, which
 * distributions differ on (Debian lets unprivileged processes make user
 * namespaces, Ubuntu's AppArmor does not): a user namespace gives its
 * maker every capability inside it, and so the other namespaces.
 */

const ALL_NAMESPACES = CLONE_NAMESPACES | CLONE_NEWTIME;
const NOT_PERMITTED = fail(Errno.EPERM);

/** clone's flags: EPERM when they ask for a new namespace (the low byte is the exit signal, so no CLONE_NEWTIME). */
export const cloneRefusal = (flags: number): Outcome | undefined => ((flags & CLONE_NAMESPACES) !== 0 ? NOT_PERMITTED : undefined);

/**
 * clone3's arguments: EPERM when they ask for a new namespace, CLONE_NEWTIME
 * included, unless the kernel refuses them first (then it answers: EINVAL).
 */
export function clone3Refusal(args: Buffer): Outcome | undefined {
  const { flags } = cloneArgsFields(args);
  if ((flags & ALL_NAMESPACES) === 0 || refusedBeforeNamespaces(args)) return undefined;
  return NOT_PERMITTED;
}

const CLONE_FS = 0x200;
const CLONE_NEWNS = 0x20000;
const CLONE_NEWUSER = 0x10000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_CLEAR_SIGHAND = 1n << 32n;
/** clone3_args_valid: no flag past CLONE_INTO_CGROUP (bit 33). */
const KNOWN_FLAGS_END = 34n;
const MAX_SIGNAL = 64n;

/** What clone3_args_valid and copy_process refuse with EINVAL before making any namespace. */
function refusedBeforeNamespaces(args: Buffer): boolean {
  const { flags: wide, exitSignal } = cloneArgsValidityFields(args);
  const flags = Number(wide & 0xffff_ffffn);
  const has = (flag: number) => (flags & flag) !== 0;
  return (
    wide >> KNOWN_FLAGS_END !== 0n ||
    exitSignal > MAX_SIGNAL ||
    ((wide & CLONE_CLEAR_SIGHAND) !== 0n && has(CLONE_SIGHAND)) ||
    (has(CLONE_THREAD | CLONE_PARENT) && exitSignal !== 0n) ||
    (has(CLONE_NEWNS) && has(CLONE_FS)) ||
    (has(CLONE_NEWUSER) && has(CLONE_FS)) ||
    (has(CLONE_THREAD) && !has(CLONE_SIGHAND)) ||
    (has(CLONE_SIGHAND) && !has(CLONE_VM)) ||
    (has(CLONE_THREAD) && has(CLONE_NEWUSER | CLONE_NEWPID))
  );
}

/**
 * unshare(flags): EPERM for a new namespace; the rest (CLONE_FILES, CLONE_FS,
 * CLONE_SYSVSEM) runs in the kernel. With CLONE_FILES the caller's
 * descriptor numbers may part from its table's other users', which the fd
 * table is told first (a call that fails costs it no more than a remembered answer).
 */
function unshare(ctx: SyscallContext): Outcome {
  const flags = asInt(ctx.args[0]!);
  if ((flags & ALL_NAMESPACES) !== 0) return NOT_PERMITTED;
  if ((flags & CLONE_FILES) !== 0) ctx.process.fds.unshared();
  return NATIVE;
}

/** setns(fd, nstype): entering a namespace needs CAP_SYS_ADMIN; a descriptor that is not open is still EBADF. */
function setns(ctx: SyscallContext): Outcome {
  const fd = asInt(ctx.args[0]!);
  if (fd < 0 || ctx.services.kernelFds.inspect(ctx.process, fd) === null) return fail(Errno.EBADF);
  return NOT_PERMITTED;
}

export const namespaceSyscalls: FamilyTable = {
  unshare: { level: 'mediated', handler: unshare, note: 'runs in the kernel; a new namespace fails with EPERM, as for an unprivileged process' },
  setns: { level: 'emulated', handler: setns, note: 'fails with EPERM, as for an unprivileged process' },
};
