import type { FamilyTable } from '../context.js';
import { Errno } from '../../abi/errno.js';
import type { SyscallContext } from '../context.js';
import { NATIVE, fail, type Outcome } from '../outcome.js';

/**
 * Interfaces simterpose does not mediate. Where programs are written to cope
 * with their absence (io_uring, userfaultfd), the call fails with the error an
 * older or locked-down kernel gives; where silence would break the
 * experiment, the run stops and names the call.
 */
const absent = () => fail(Errno.ENOSYS);

/**
 * A new proc file system would show this machine's processes by their
 * kernel pids, out of the host's namespace (see syscalls/proc-paths.ts):
 * mounting one fails as for a process without the privilege. Other file
 * systems, and bind mounts, are the kernel's to mount.
 */
const PROC_FS = 'proc';
const mountsProc = (ctx: SyscallContext, fsType: number): Outcome =>
  fsType !== 0 && ctx.memory.cString(fsType, PROC_FS.length + 1) === PROC_FS ? fail(Errno.EPERM) : NATIVE;

export const refusedSyscalls: FamilyTable = {
  io_uring_setup: { level: 'emulated', handler: absent, note: 'fails with ENOSYS: programs fall back to ordinary I/O' },
  io_uring_enter: { level: 'emulated', handler: absent, note: 'fails with ENOSYS' },
  io_uring_register: { level: 'emulated', handler: absent, note: 'fails with ENOSYS' },
  userfaultfd: { level: 'emulated', handler: absent, note: 'fails with ENOSYS' },
  mount: { level: 'mediated', handler: (ctx) => mountsProc(ctx, ctx.args[2]!), note: 'runs in the kernel; a proc file system fails with EPERM' },
  fsopen: { level: 'mediated', handler: (ctx) => mountsProc(ctx, ctx.args[0]!), note: 'runs in the kernel; a proc file system fails with EPERM' },
  io_getevents: { level: 'unsupported', note: 'would block inside the kernel' },
  io_pgetevents: { level: 'unsupported', note: 'would block inside the kernel' },
  vmsplice: { level: 'unsupported', note: 'may block inside the kernel on a pipe' },
};
