import { ptrace, type MessageQueue, type PosixMessageQueue, type SemaphoreSet } from '../native.js';
import type { Process } from './tracees.js';

/**
 * The kernel's IPC objects as handlers see them: System V message queues
 * and semaphore sets (simterpose shares its tracees' IPC namespace, so
 * their ids name the same objects here), and the POSIX message queue
 * behind a tracee's descriptor. Looked at without consuming anything, to
 * tell whether a call would sleep in the kernel.
 */
export type { MessageQueue, PosixMessageQueue, SemaphoreSet };

export interface KernelIpc {
  /** The queue `msqid` (`withTypes`: the type of each message, first to last); null when there is none we may look at. */
  messageQueue(msqid: number, withTypes: boolean): MessageQueue | null;
  /** The semaphore set `semid`; null when there is none we may look at. */
  semaphoreSet(semid: number): SemaphoreSet | null;
  /** The POSIX message queue behind `fd` of `process`; null when `fd` is none. */
  posixMessageQueue(process: Process, fd: number): PosixMessageQueue | null;
}

export const kernelIpc: KernelIpc = {
  messageQueue: (msqid, withTypes) => ptrace.messageQueue(msqid, withTypes),
  semaphoreSet: (semid) => ptrace.semaphoreSet(semid),
  posixMessageQueue: (process, fd) => ptrace.posixMessageQueue(process.liveTid, fd),
};
