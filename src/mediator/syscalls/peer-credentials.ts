import { CMSGHDR_SIZE, credentialPids, SO_PASSCRED, SO_PEERCRED, UCRED_SIZE } from '../abi/credentials.js';
import { readMsghdr, readMsghdrControl, SOL_SOCKET } from '../abi/socket.js';
import { asInt, readI32, TraceeFault, writeI32 } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import { controlTooLong } from './control-length.js';
import { fail, NATIVE, native, nativeThen, type Outcome } from './outcome.js';
import { isRefused, kernelPid, virtualId } from './pid-arguments.js';

/**
 * The pids a kernel socket (AF_UNIX) tells about the process at its other
 * end: SO_PEERCRED names it by its real pid, the program gets the virtual
 * one; SCM_CREDENTIALS a program sends carry its virtual pid, which the
 * kernel must get real (it refuses any pid but the sender's own to an
 * unprivileged process); SCM_CREDENTIALS a program receives name the
 * sender by its real pid, made virtual when the call returns.
 */

/** A pid the kernel wrote at `address`, made virtual; 0 (no process) stays. */
function virtualizePid(ctx: SyscallContext, address: number): void {
  const real = readI32(ctx.memory, address);
  if (real > 0) writeI32(ctx.memory, address, virtualId(ctx, real));
}

/** getsockopt on a kernel socket: SO_PEERCRED's pid made virtual, other options as the kernel has them. */
export function kernelSocketOption(ctx: SyscallContext): Outcome {
  const [, level, name, value, lengthPointer] = ctx.args as [number, number, number, number, number];
  if (asInt(level) !== SOL_SOCKET || asInt(name) !== SO_PEERCRED) return NATIVE;
  return native((result) => {
    // The pid comes first: a caller with room for less than it gets a piece of it, as the kernel cut it.
    if (result === 0 && readI32(ctx.memory, lengthPointer) >= 4) virtualizePid(ctx, value);
  });
}

/**
 * recvmsg or recvmmsg on a kernel socket, which the kernel runs as `outcome`
 * says, into the message headers at `headers` (recvmmsg's entries, in
 * order): on a socket with SO_PASSCRED (the only one the kernel gives
 * credentials to; tracees/credential-passing.ts), when a control buffer has room for them, the pid of
 * each SCM_CREDENTIALS message the kernel wrote into the headers it filled
 * is made virtual when the call returns (recvmmsg's result, `countsHeaders`,
 * is how many headers it filled; recvmsg's, its bytes). recvmsg is a notified call: only
 * then is it let through to its return (loop/tracer.ts), the common call
 * costs nothing more; recvmmsg stops, and goes on to its exit stop then.
 */
export function receivedCredentials(ctx: SyscallContext, outcome: Outcome, headers: readonly number[], countsHeaders: boolean): Outcome {
  if (outcome.kind !== 'native' || outcome.afterExit !== undefined || outcome.restore !== undefined) return outcome;
  if (!headers.some((header) => credentialsFit(ctx, header)) || !ctx.services.credentialPassing.passes(ctx.process, asInt(ctx.args[0]!))) return outcome;
  return native((result) => {
    const filled = result < 0 ? 0 : countsHeaders ? result : 1;
    for (const header of headers.slice(0, filled)) {
      const { control, controlLength } = readMsghdrControl(ctx.memory, header);
      for (const pid of credentialPids(ctx.memory, control, controlLength)) virtualizePid(ctx, pid);
    }
  });
}

/** Whether the header at `address` has a control buffer with room for credentials; a header that faults takes none (the kernel's EFAULT). */
function credentialsFit(ctx: SyscallContext, address: number): boolean {
  try {
    const { control, controlLength } = readMsghdrControl(ctx.memory, address);
    return control !== 0 && controlLength >= CMSG_SPACE_UCRED_MIN;
  } catch (error) {
    if (error instanceof TraceeFault) return false;
    throw error;
  }
}

/** setsockopt on a kernel socket: SO_PASSCRED set or cleared makes every remembered answer stale. */
export function kernelSocketOptionSet(ctx: SyscallContext): Outcome {
  const [, level, name] = ctx.args as [number, number, number];
  if (asInt(level) === SOL_SOCKET && asInt(name) === SO_PASSCRED) ctx.services.credentialPassing.settingChanged();
  return NATIVE;
}

/** A control buffer shorter than one message with a struct ucred gets none (put_cmsg sets MSG_CTRUNC). */
const CMSG_SPACE_UCRED_MIN = CMSGHDR_SIZE + UCRED_SIZE;

/**
 * sendmsg on a kernel socket, which the kernel runs as `outcome` says: each
 * SCM_CREDENTIALS pid is made real in the program's own control buffer for
 * the call, and put back at the thread's next stop (sendmsg is a notified
 * call, with no exit stop: syscalls/table.ts). A pid the caller cannot name
 * fails the call as pid-arguments.ts says.
 */
export function sentCredentials(ctx: SyscallContext, outcome: Outcome): Outcome {
  if (outcome.kind !== 'native' || outcome.afterExit !== undefined) return outcome;
  const pids = credentialPidsOf(ctx);
  if (pids === undefined) return outcome;
  if (pids.length === 0) return outcome;
  const virtualPids = pids.map((address) => readI32(ctx.memory, address));
  const realPids: number[] = [];
  for (const virtual of virtualPids) {
    const real = kernelPid(ctx, virtual);
    if (isRefused(real)) {
      outcome.restore?.();
      return fail(real.errno);
    }
    realPids.push(real);
  }
  for (const [i, address] of pids.entries()) writeI32(ctx.memory, address, realPids[i]!);
  return nativeThen(() => {
    for (const [i, address] of pids.entries()) writeI32(ctx.memory, address, virtualPids[i]!);
    outcome.restore?.();
  });
}

/**
 * Where sendmsg's SCM_CREDENTIALS pids are; undefined when the header or its
 * control data cannot be read or is longer than the kernel takes: the kernel
 * answers that call (ENOTSOCK for a descriptor that is no socket comes before
 * EFAULT and ENOBUFS).
 */
function credentialPidsOf(ctx: SyscallContext): number[] | undefined {
  try {
    const header = readMsghdr(ctx.memory, ctx.args[1]!, false);
    if ('errno' in header || controlTooLong(header.controlLength)) return undefined;
    return credentialPids(ctx.memory, header.control, header.controlLength);
  } catch (error) {
    if (error instanceof TraceeFault) return undefined;
    throw error;
  }
}
