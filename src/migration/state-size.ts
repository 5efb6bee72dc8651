import { readdirSync, readFileSync } from 'node:fs';

/**
 * What a stop-and-copy migration transfers beside the memory, per thread: a
 * page for its registers, its FPU/XSAVE area (2.7 KB with AVX-512), its
 * signal mask and TLS descriptors, as a checkpoint's core image holds them.
 */
export const THREAD_STATE_BYTES = 4096;
/** Per open descriptor: its flags, its offset and what it designates (a path, a socket's addresses and options). */
export const DESCRIPTOR_STATE_BYTES = 256;

/**
 * The bytes that move a process to another host: its resident anonymous
 * memory (what exists nowhere else: heap, stacks, private writes; mapped
 * files are on the other host as well), read from /proc/PID/smaps_rollup,
 * plus the fixed costs of its threads and descriptors.
 */
export function migrationBytes(pid: number, threads: number): number {
  return anonymousBytes(pid) + fixedStateBytes(pid, threads);
}

/** What moves beside the memory: the threads' and descriptors' fixed costs. */
export function fixedStateBytes(pid: number, threads: number): number {
  return threads * THREAD_STATE_BYTES + descriptorCount(pid) * DESCRIPTOR_STATE_BYTES;
}

/** Resident anonymous memory: smaps_rollup's Anonymous line (kB), 0 if the process is gone. */
export function anonymousBytes(pid: number): number {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  } catch {
    return 0;
  }
  const match = /^Anonymous:\s+(\d+) kB$/m.exec(text);
  return match === null ? 0 : Number(match[1]) * 1024;
}

function descriptorCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}
