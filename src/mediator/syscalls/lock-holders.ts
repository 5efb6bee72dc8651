import { F_GETLK, F_OFD_GETLK, F_UNLCK, FLOCK_PID_OFFSET, readFlockType } from '../abi/fd.js';
import { readI32, writeI32 } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import { native, type Outcome } from './outcome.js';
import { virtualId } from './pid-arguments.js';

/**
 * fcntl F_GETLK and F_OFD_GETLK: the kernel names the holder of a
 * conflicting record lock by its real pid in struct flock's l_pid; the
 * program gets the virtual one. -1 (a lock held by an open file description)
 * stays, and so does l_pid when no lock conflicts: the kernel answers F_UNLCK
 * and leaves it as the program wrote it. Undefined for other commands.
 */
export function fcntlLockQuery(ctx: SyscallContext, command: number): Outcome | undefined {
  if (command !== F_GETLK && command !== F_OFD_GETLK) return undefined;
  const address = ctx.args[2]!;
  return native((result) => {
    if (result !== 0 || readFlockType(ctx.memory, address) === F_UNLCK) return;
    const holder = readI32(ctx.memory, address + FLOCK_PID_OFFSET);
    if (holder > 0) writeI32(ctx.memory, address + FLOCK_PID_OFFSET, virtualId(ctx, holder));
  });
}
