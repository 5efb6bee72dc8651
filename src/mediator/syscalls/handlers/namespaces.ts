import { Errno } from '../../abi/errno.js';
import { CLONE_NAMESPACES, CLONE_NEWTIME } from '../../abi/process.js';
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

/** clone3's flags: EPERM when they ask for a new namespace, CLONE_NEWTIME included. */
export const clone3Refusal = (flags: number): Outcome | undefined => ((flags & ALL_NAMESPACES) !== 0 ? NOT_PERMITTED : undefined);

/** unshare(flags): EPERM for a new namespace; the rest (CLONE_FILES, CLONE_FS, CLONE_SYSVSEM) runs in the kernel. */
const unshare = (ctx: SyscallContext): Outcome => ((asInt(ctx.args[0]!) & ALL_NAMESPACES) !== 0 ? NOT_PERMITTED : NATIVE);

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
