import { readI64, type TraceeMemory } from './tracee-memory.js';

/** System V IPC flags (linux/ipc.h, linux/msg.h). */
export const IPC_NOWAIT = 0o4000;
export const MSG_EXCEPT = 0o20000;
/** Reads the message at an index without removing it; Linux takes it only with IPC_NOWAIT. */
export const MSG_COPY = 0o40000;

/** The largest value a semaphore holds (SEMVMX): an operation past it fails with ERANGE. */
export const SEMAPHORE_MAX = 32767;

/** POSIX message priorities run below MQ_PRIO_MAX. */
export const MQ_PRIO_MAX = 32768;

/** One struct sembuf of a semop call. */
export interface SemaphoreOperation {
  readonly index: number;
  readonly change: number;
  readonly flags: number;
}

/** struct sembuf { unsigned short sem_num; short sem_op; short sem_flg; }: 6 bytes each. */
const SEMBUF_SIZE = 6;

export function readSemaphoreOperations(memory: TraceeMemory, address: number, count: number): SemaphoreOperation[] {
  const data = memory.read(address, count * SEMBUF_SIZE);
  const operations: SemaphoreOperation[] = [];
  for (let offset = 0; offset < data.length; offset += SEMBUF_SIZE) {
    operations.push({ index: data.readUInt16LE(offset), change: data.readInt16LE(offset + 2), flags: data.readInt16LE(offset + 4) });
  }
  return operations;
}

/** A msgbuf starts with its long mtype; its text follows. */
const MTYPE_SIZE = 8;

/** The type of the message at `address`, after checking its `size` bytes of text are readable (Linux copies them before it waits). */
export function readMessageType(memory: TraceeMemory, address: number, size: number): number {
  memory.read(address, MTYPE_SIZE + size);
  return readI64(memory, address);
}

/** Commands that copy an object's state out (linux/ipc.h, shm.h, msg.h), with IPC_64 (0x100) masked off. */
export const IPC_64 = 0x100;
export const IPC_STAT = 2;
export const SHM_STAT = 13;
export const SHM_STAT_ANY = 15;
export const MSG_STAT = 11;
export const MSG_STAT_ANY = 13;
/** semctl's command whose result is the pid of the last process to operate on the semaphore. */
export const SEM_GETPID = 11;

/** Where struct shmid64_ds keeps shm_cpid and shm_lpid on x86_64 (after a 48-byte ipc64_perm, the size and three times). */
export const SHMID_DS_PIDS = [80, 84] as const;
/** Where struct msqid64_ds keeps msg_lspid and msg_lrpid on x86_64 (after ipc64_perm, three times and three counts). */
export const MSQID_DS_PIDS = [96, 100] as const;
