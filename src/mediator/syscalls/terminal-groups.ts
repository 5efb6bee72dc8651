import { TIOCGPGRP, TIOCGSID, TIOCSPGRP } from '../abi/fd.js';
import { asUint, readI32, writeI32 } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import { fail, instead, native, type Outcome } from './outcome.js';
import { isRefused, kernelGroup, virtualId } from './pid-arguments.js';

/**
 * A terminal's foreground process group and its session, as a shell's job
 * control uses them (tcsetpgrp, tcgetpgrp, tcgetsid): named by virtual
 * ids, made real for the kernel, read back virtual. A group the caller
 * cannot name is refused as pid-arguments.ts says (ESRCH, as Linux for a
 * group that does not exist).
 */
/** The requests terminalGroupIoctl answers. */
export const TERMINAL_GROUP_IOCTLS: readonly number[] = [TIOCSPGRP, TIOCGPGRP, TIOCGSID];

export function terminalGroupIoctl(ctx: SyscallContext, request: number): Outcome | undefined {
  const address = ctx.args[2]!;
  switch (asUint(request)) {
    case TIOCSPGRP: {
      const real = kernelGroup(ctx, readI32(ctx.memory, address));
      if (isRefused(real)) return fail(real.errno);
      const copy = ctx.scratchBelowStack(4);
      writeI32(ctx.memory, copy, real);
      return instead(ctx.sysno, [ctx.args[0]!, ctx.args[1]!, copy]);
    }
    case TIOCGPGRP:
    case TIOCGSID:
      return native((result) => {
        if (result === 0) writeI32(ctx.memory, address, virtualId(ctx, readI32(ctx.memory, address)));
      });
    default:
      return undefined;
  }
}
