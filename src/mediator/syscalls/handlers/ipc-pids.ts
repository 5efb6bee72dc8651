import { IPC_64, IPC_STAT, MSG_STAT, MSG_STAT_ANY, MSQID_DS_PIDS, SEM_GETPID, SHM_STAT, SHM_STAT_ANY, SHMID_DS_PIDS } from '../../abi/ipc.js';
import { asInt, readI32, writeI32 } from '../../abi/tracee-memory.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, native, type Outcome } from '../outcome.js';
import { virtualId, virtualResult } from '../pid-arguments.js';

/**
 * The pids System V IPC objects keep about their users (shared memory's
 * creator and last attacher, a queue's last sender and receiver, a
 * semaphore's last operator) are the kernel's: the calls that hand them
 * out run in the kernel, and the pids are made virtual on the way back. A
 * pid of no process (0: nobody yet) stays 0.
 */

/** The command at argument `index`, without IPC_64 (which asks for the 64-bit structures x86_64 always uses). */
const command = (ctx: SyscallContext, index: number): number => asInt(ctx.args[index]!) & ~IPC_64;

/** After a successful state copy into `buffer`: the pids at `offsets` made virtual. */
function virtualPidsIn(ctx: SyscallContext, buffer: number, offsets: readonly number[]): Outcome {
  return native((result) => {
    if (result < 0) return;
    for (const offset of offsets) {
      const real = readI32(ctx.memory, buffer + offset);
      if (real > 0) writeI32(ctx.memory, buffer + offset, virtualId(ctx, real));
    }
  });
}

function shmctl(ctx: SyscallContext): Outcome {
  const stat = [IPC_STAT, SHM_STAT, SHM_STAT_ANY].includes(command(ctx, 1));
  return stat ? virtualPidsIn(ctx, ctx.args[2]!, SHMID_DS_PIDS) : NATIVE;
}

function msgctl(ctx: SyscallContext): Outcome {
  const stat = [IPC_STAT, MSG_STAT, MSG_STAT_ANY].includes(command(ctx, 1));
  return stat ? virtualPidsIn(ctx, ctx.args[2]!, MSQID_DS_PIDS) : NATIVE;
}

/** semctl(GETPID) returns the pid; semctl's other commands carry none. */
function semctl(ctx: SyscallContext): Outcome {
  return command(ctx, 2) === SEM_GETPID ? native(virtualResult(ctx)) : NATIVE;
}

export const ipcPidSyscalls: FamilyTable = {
  shmctl: {
    level: 'mediated',
    handler: shmctl,
    note: 'runs in the kernel; IPC_STAT, SHM_STAT and SHM_STAT_ANY give the creator and last attacher as virtual pids',
  },
  msgctl: {
    level: 'mediated',
    handler: msgctl,
    note: 'runs in the kernel; IPC_STAT, MSG_STAT and MSG_STAT_ANY give the last sender and receiver as virtual pids',
  },
  semctl: { level: 'mediated', handler: semctl, note: "runs in the kernel; GETPID's result is the last operator's virtual pid" },
};
