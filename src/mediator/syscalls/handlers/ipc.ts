import { Errno } from '../../abi/errno.js';
import {
  IPC_NOWAIT,
  MQ_PRIO_MAX,
  MSG_COPY,
  MSG_EXCEPT,
  SEMAPHORE_MAX,
  readMessageType,
  readSemaphoreOperations,
  type SemaphoreOperation,
} from '../../abi/ipc.js';
import { POLLIN, POLLOUT } from '../../abi/poll.js';
import { CLOCK_REALTIME, readTimespec, timespecSeconds, validTimespec } from '../../abi/time.js';
import { asInt, asUint } from '../../abi/tracee-memory.js';
import type { MessageQueue } from '../../tracees/kernel-ipc.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { waitFor } from '../kernel-io.js';
import { NATIVE, blocked, fail, type Outcome } from '../outcome.js';

/**
 * System V message queues and semaphores, POSIX message queues. A call
 * that will not sleep runs in the kernel as the program made it (it also
 * fails there, with Linux's errno, when it is wrong); one that would sleep
 * waits in virtual time instead, the object looked at again whenever no
 * thread can run (a tracee's call, a process exiting with SEM_UNDO, a
 * removal may have changed it: probing sees what no trapped call tells),
 * and runs once it can go on. Nothing is consumed by looking: the state
 * comes from the kernel (tracees/kernel-ipc.ts).
 */

/**
 * A System V call waits. A handled signal ends the wait with EINTR, with or
 * without SA_RESTART (man 7 signal: these calls are never restarted).
 */
function sysvWait(ctx: SyscallContext, reason: string, canGoOn: () => boolean, deadline?: number): Outcome {
  ctx.state.waitedOnIpc = true;
  return blocked({
    kind: 'io',
    reason: `${reason} in ${ctx.thread.label}`,
    isReady: canGoOn,
    // No descriptor to watch in wall time: a wait no tracee can end is reported as a deadlock.
    watch: [],
    deadline,
    onTimeout: () => fail(Errno.EAGAIN),
    onSignal: 'eintr',
  });
}

/**
 * The object is gone, or was never there: a call that waited for it fails
 * with EIDRM, as a sleeper does when the object is removed; any other runs
 * in the kernel, which gives its error.
 */
const vanished = (ctx: SyscallContext): Outcome => (ctx.state.waitedOnIpc === true ? fail(Errno.EIDRM) : NATIVE);

/** Linux takes a message while its text fits in the queue's bytes and the messages number no more than those bytes. */
const fits = (queue: MessageQueue, size: number): boolean => queue.bytes + size <= queue.capacity && queue.messages + 1 <= queue.capacity;

function msgsnd(ctx: SyscallContext): Outcome {
  const [msqidArg, message, size, flags] = ctx.args as [number, number, number, number];
  const msqid = asInt(msqidArg);
  if ((asInt(flags) & IPC_NOWAIT) !== 0 || msqid < 0 || size < 0) return NATIVE;
  const ipc = ctx.services.kernelIpc;
  const queue = ipc.messageQueue(msqid, false);
  if (queue === null) return vanished(ctx);
  // Too large a text, or a type below 1: the kernel refuses the call at once.
  if (size > queue.largest || fits(queue, size)) return NATIVE;
  if (readMessageType(ctx.memory, message, size) < 1) return NATIVE;
  return sysvWait(ctx, `room in message queue ${msqid}`, () => {
    const now = ipc.messageQueue(msqid, false);
    return now === null || fits(now, size);
  });
}

/** Whether a message msgrcv takes is in the queue (msgtyp 0: any; below 0: the lowest type up to |msgtyp|; MSG_EXCEPT: another type). */
function holdsMatch(queue: MessageQueue, type: number, flags: number): boolean {
  if (type === 0) return queue.messages > 0;
  if (type < 0) return queue.types.some((queued) => queued <= -type);
  if ((flags & MSG_EXCEPT) !== 0) return queue.types.some((queued) => queued !== type);
  return queue.types.includes(type);
}

function msgrcv(ctx: SyscallContext): Outcome {
  const [msqidArg, , size, type, flagsArg] = ctx.args as [number, number, number, number, number];
  const msqid = asInt(msqidArg);
  const flags = asInt(flagsArg);
  if ((flags & (IPC_NOWAIT | MSG_COPY)) !== 0 || msqid < 0 || size < 0) return NATIVE;
  const ipc = ctx.services.kernelIpc;
  // Only a typed receive needs the types of the queued messages.
  const typed = type !== 0;
  const queue = ipc.messageQueue(msqid, typed);
  if (queue === null) return vanished(ctx);
  if (holdsMatch(queue, type, flags)) return NATIVE;
  return sysvWait(ctx, `a message${typed ? ` of type ${type}` : ''} in queue ${msqid}`, () => {
    const now = ipc.messageQueue(msqid, typed);
    return now === null || holdsMatch(now, type, flags);
  });
}

/**
 * Whether semop sleeps: Linux applies the operations in order, all or
 * none, and the first that cannot apply decides: a decrease below 0 or a
 * wait for zero sleeps, unless it has IPC_NOWAIT (EAGAIN at once); a value
 * past SEMVMX is ERANGE at once.
 */
function sleeps(values: readonly number[], operations: readonly SemaphoreOperation[]): boolean {
  const after = [...values];
  for (const { index, change, flags } of operations) {
    const value = after[index]!;
    const result = value + change;
    if ((change === 0 && value !== 0) || result < 0) return (flags & IPC_NOWAIT) === 0;
    if (result > SEMAPHORE_MAX) return false;
    after[index] = result;
  }
  return false;
}

function semaphoreOperations(ctx: SyscallContext, timeout: number): Outcome {
  const [semidArg, address, countArg] = ctx.args as [number, number, number];
  const semid = asInt(semidArg);
  // Linux takes nsops as an unsigned int.
  const count = asUint(countArg);
  if (semid < 0 || count < 1) return NATIVE;
  const ipc = ctx.services.kernelIpc;
  const set = ipc.semaphoreSet(semid);
  if (set === null) return vanished(ctx);
  // Too many operations (E2BIG), a semaphore past the set (EFBIG): refused at once by the kernel.
  if (count > set.maxOperations) return NATIVE;
  const operations = readSemaphoreOperations(ctx.memory, address, count);
  if (operations.some((operation) => operation.index >= set.values.length)) return NATIVE;
  if (timeout !== 0 && ctx.state.deadline === undefined) {
    const time = readTimespec(ctx.memory, timeout);
    if (!validTimespec(time)) return NATIVE;
    // Relative to the call's start: a retry after a wake that came to nothing keeps it.
    ctx.state.deadline = ctx.services.time.after(timespecSeconds(time), ctx.process.host);
  }
  if (!sleeps(set.values, operations)) return NATIVE;
  return sysvWait(
    ctx,
    `semaphores of set ${semid}`,
    () => {
      const now = ipc.semaphoreSet(semid);
      return now === null || !sleeps(now.values, operations);
    },
    ctx.state.deadline,
  );
}

const semop = (ctx: SyscallContext): Outcome => semaphoreOperations(ctx, 0);
const semtimedop = (ctx: SyscallContext): Outcome => semaphoreOperations(ctx, ctx.args[3]!);

/** An absolute CLOCK_REALTIME timeout as a virtual deadline: undefined for none, null for one Linux refuses (EINVAL). */
function queueDeadline(ctx: SyscallContext, address: number): number | undefined | null {
  if (address === 0) return undefined;
  const date = readTimespec(ctx.memory, address);
  return validTimespec(date) ? ctx.services.time.at(CLOCK_REALTIME, date, ctx.process.host) : null;
}

/**
 * A POSIX message queue call waits for its descriptor's readiness, as for
 * any kernel descriptor (readable: a message is queued; writable: there is
 * room). A handled signal restarts it with SA_RESTART (its deadline is
 * absolute), else it fails with EINTR.
 */
function queueWait(ctx: SyscallContext, fd: number, events: number, deadline: number | undefined): Outcome {
  if (deadline === undefined) return waitFor(ctx, fd, events);
  if (deadline <= ctx.services.scheduler.now) return fail(Errno.ETIMEDOUT);
  return waitFor(ctx, fd, events, { deadline, onTimeout: () => fail(Errno.ETIMEDOUT) });
}

function mqTimedsend(ctx: SyscallContext): Outcome {
  const [fdArg, message, length, priority, timeout] = ctx.args as [number, number, number, number, number];
  const fd = asInt(fdArg);
  if (asUint(priority) >= MQ_PRIO_MAX) return NATIVE;
  const deadline = queueDeadline(ctx, timeout);
  if (deadline === null) return NATIVE;
  const queue = ctx.services.kernelIpc.posixMessageQueue(ctx.process, fd);
  // Not a queue opened for writing (EBADF), O_NONBLOCK (EAGAIN), too long a message (EMSGSIZE), or room: the kernel answers.
  if (queue === null || !queue.writable || queue.nonblocking || length < 0 || length > queue.messageSize || queue.messages < queue.capacity) return NATIVE;
  // Linux copies the message before it waits: a bad pointer is EFAULT at once.
  if (length > 0) ctx.memory.read(message, length);
  return queueWait(ctx, fd, POLLOUT, deadline);
}

function mqTimedreceive(ctx: SyscallContext): Outcome {
  const [fdArg, , length, , timeout] = ctx.args as [number, number, number, number, number];
  const fd = asInt(fdArg);
  const deadline = queueDeadline(ctx, timeout);
  if (deadline === null) return NATIVE;
  const queue = ctx.services.kernelIpc.posixMessageQueue(ctx.process, fd);
  // Not a queue opened for reading (EBADF), O_NONBLOCK (EAGAIN), too small a buffer (EMSGSIZE), or a message: the kernel answers.
  if (queue === null || !queue.readable || queue.nonblocking || (length >= 0 && length < queue.messageSize) || queue.messages > 0) return NATIVE;
  return queueWait(ctx, fd, POLLIN, deadline);
}

/** What `simterpose syscalls` says of each call. */
const SIGNAL_ENDS = 'a handled signal ends the wait with EINTR, as on Linux (never restarted)';
const QUEUE_WAIT = 'else waits in virtual time, until its absolute CLOCK_REALTIME timeout (ETIMEDOUT); restarted after a SA_RESTART handler';

export const ipcSyscalls: FamilyTable = {
  msgsnd: { blocks: true, level: 'mediated', handler: msgsnd, note: `runs in the kernel when the queue has room; else waits in virtual time; ${SIGNAL_ENDS}` },
  msgrcv: {
    blocks: true,
    level: 'mediated',
    handler: msgrcv,
    note: `runs in the kernel when a message it takes (by type too) is queued; else waits in virtual time; ${SIGNAL_ENDS}`,
  },
  semop: {
    blocks: true,
    level: 'mediated',
    handler: semop,
    note: `runs in the kernel when its operations apply at once; else waits in virtual time; ${SIGNAL_ENDS}`,
  },
  semtimedop: {
    blocks: true,
    level: 'mediated',
    handler: semtimedop,
    note: `as semop, its relative timeout in virtual time (EAGAIN); ${SIGNAL_ENDS}`,
  },
  mq_timedsend: { blocks: true, level: 'mediated', handler: mqTimedsend, note: `runs in the kernel when the queue has room; ${QUEUE_WAIT}` },
  mq_timedreceive: { blocks: true, level: 'mediated', handler: mqTimedreceive, note: `runs in the kernel when the queue holds a message; ${QUEUE_WAIT}` },
};
