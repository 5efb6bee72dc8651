import { readFileSync } from 'node:fs';

/** net.core.optmem_max, read once. */
let optionMemory: number | undefined;

/**
 * Whether sendmsg's control data is longer than the kernel takes: past
 * INT_MAX, or past what a socket may allocate for it (net.core.optmem_max),
 * it fails with ENOBUFS before a byte of it is read.
 */
export function controlTooLong(length: number): boolean {
  optionMemory ??= Number(readFileSync('/proc/sys/net/core/optmem_max', 'utf8'));
  return length > 0x7fff_ffff || length > optionMemory;
}
