import {
  FIOGETOWN,
  FIOSETOWN,
  F_GETOWN,
  F_GETOWN_EX,
  F_OWNER_PGRP,
  F_OWNER_PID,
  F_OWNER_TID,
  F_SETOWN,
  F_SETOWN_EX,
  SIOCGPGRP,
  SIOCSPGRP,
  ownerExBytes,
  readOwnerEx,
} from '../abi/fd.js';
import { asInt, asUint, readI32, writeI32 } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import type { AsyncOwner } from '../sockets/async-signals.js';
import { socketFileAt } from '../sockets/payloads.js';
import { fail, instead, native, type ExitHook, type Outcome } from './outcome.js';
import { isRefused, kernelGroup, kernelPid, kernelTid, virtualId, type Refused } from './pid-arguments.js';

/**
 * A descriptor's owner, the process, thread or group the kernel sends its
 * SIGIO and SIGURG to (fcntl F_SETOWN, F_SETOWN_EX; ioctl FIOSETOWN,
 * SIOCSPGRP): named by virtual ids, made real for the kernel, and read back
 * virtual. An owner the caller cannot name (pid-arguments.ts) is refused, so
 * that no signal ever leaves the run. A virtual socket's owner is noted too,
 * for the signals the mediator sends for it (sockets/async-signals.ts).
 */

/**
 * Notes `owner` (undefined: none) as the owner of the virtual socket at
 * descriptor `fd`, once the kernel took it; nothing for other descriptors.
 */
function noteOwner(ctx: SyscallContext, owner: AsyncOwner | undefined): ExitHook | undefined {
  const file = socketFileAt(ctx, asInt(ctx.args[0]!));
  if (file === undefined) return undefined;
  return (result) => {
    if (result === 0) file.object.async.owner = owner;
  };
}

/** F_SETOWN's real owner as the mediator follows it: a process (a group is not followed). */
function ownerOf(real: number): AsyncOwner | undefined {
  return real > 0 ? { kind: 'process', id: real } : undefined;
}

const INT_MIN = -(2 ** 31);
/** Results from -MAX_ERRNO to -1 are errors. */
const MAX_ERRNO = 4095;

/** F_SETOWN's argument: a pid, or a group as its negation (0: nobody). */
function kernelOwner(ctx: SyscallContext, owner: number): number | Refused {
  // The kernel refuses a group it cannot negate.
  if (owner === INT_MIN || owner === 0) return owner;
  if (owner > 0) return kernelPid(ctx, owner);
  const group = kernelGroup(ctx, -owner);
  return isRefused(group) ? group : -group;
}

/** A real owner as F_GETOWN reports it: a pid, or a group negated. */
function virtualOwner(ctx: SyscallContext, owner: number): number {
  if (owner === 0) return 0;
  return owner > 0 ? virtualId(ctx, owner) : -virtualId(ctx, -owner);
}

function setOwnerEx(ctx: SyscallContext, address: number): Outcome {
  const { type, pid } = readOwnerEx(ctx.memory, address);
  let real: number | Refused;
  if (pid === 0) real = 0;
  else if (type === F_OWNER_TID) real = kernelTid(ctx, pid);
  else if (type === F_OWNER_PID) real = kernelPid(ctx, pid);
  else if (type === F_OWNER_PGRP) real = kernelGroup(ctx, pid);
  // The kernel refuses other types.
  else return native();
  if (isRefused(real)) return fail(real.errno);
  const copy = ctx.scratchBelowStack(8);
  ctx.memory.write(copy, ownerExBytes(type, real));
  const owner: AsyncOwner | undefined = real === 0 || type === F_OWNER_PGRP ? undefined : { kind: type === F_OWNER_TID ? 'thread' : 'process', id: real };
  return instead(ctx.sysno, [ctx.args[0]!, ctx.args[1]!, copy], noteOwner(ctx, owner));
}

function getOwnerEx(ctx: SyscallContext, address: number): Outcome {
  return native((result) => {
    if (result !== 0) return;
    const { type, pid } = readOwnerEx(ctx.memory, address);
    if (pid > 0) ctx.memory.write(address, ownerExBytes(type, virtualId(ctx, pid)));
  });
}

/** fcntl's owner commands; undefined for the others. */
export function fcntlOwner(ctx: SyscallContext, command: number): Outcome | undefined {
  switch (command) {
    case F_SETOWN: {
      const real = kernelOwner(ctx, asInt(ctx.args[2]!));
      if (isRefused(real)) return fail(real.errno);
      return instead(ctx.sysno, [ctx.args[0]!, ctx.args[1]!, real >>> 0], noteOwner(ctx, ownerOf(real)));
    }
    case F_GETOWN:
      // The owner is the result, a group negated: a result in the errno range stays as it is (as Linux, F_GETOWN cannot tell a small group from an error).
      return native((result) => (result < 0 && result >= -MAX_ERRNO ? result : virtualOwner(ctx, result)));
    case F_SETOWN_EX:
      return setOwnerEx(ctx, ctx.args[2]!);
    case F_GETOWN_EX:
      return getOwnerEx(ctx, ctx.args[2]!);
    default:
      return undefined;
  }
}

/** The requests ioctlOwner answers. */
export const OWNER_IOCTLS: readonly number[] = [FIOSETOWN, SIOCSPGRP, FIOGETOWN, SIOCGPGRP];

/** ioctl's owner requests, whose argument points to the owner (an int, as F_SETOWN's); undefined for the others. */
export function ioctlOwner(ctx: SyscallContext, request: number): Outcome | undefined {
  const address = ctx.args[2]!;
  switch (asUint(request)) {
    case FIOSETOWN:
    case SIOCSPGRP: {
      const real = kernelOwner(ctx, readI32(ctx.memory, address));
      if (isRefused(real)) return fail(real.errno);
      const copy = ctx.scratchBelowStack(4);
      writeI32(ctx.memory, copy, real);
      return instead(ctx.sysno, [ctx.args[0]!, ctx.args[1]!, copy], noteOwner(ctx, ownerOf(real)));
    }
    case FIOGETOWN:
    case SIOCGPGRP:
      return native((result) => {
        if (result === 0) writeI32(ctx.memory, address, virtualOwner(ctx, readI32(ctx.memory, address)));
      });
    default:
      return undefined;
  }
}
