import type { Payload } from '../../net/index.js';
import { Errno } from './errno.js';
import type { TraceeMemory } from './tracee-memory.js';

/** struct iovec { void *iov_base; size_t iov_len; } */
export interface Iovec {
  base: number;
  length: number;
}

const IOVEC_SIZE = 16;
/** UIO_MAXIOV: the kernel takes no more vectors than this. */
export const MAX_IOV = 1024;
/** MAX_RW_COUNT: no read or write moves more than this (INT_MAX rounded down to a page); longer ones are cut to it. */
export const MAX_RW_COUNT = 0x7fff_f000;
/** The end of the user address space on x86_64 (TASK_SIZE_MAX with 4-level paging). */
const USER_SPACE_END = 2 ** 47 - 4096;

/**
 * access_ok: whether `length` bytes at `base` lie in the user address
 * space. The kernel checks this before copying anything (EFAULT), even for
 * a length of 0, and whether or not the pages are mapped.
 */
export function inUserSpace(base: number, length: number): boolean {
  return base >= 0 && length >= 0 && base + length < USER_SPACE_END;
}

/**
 * The iovec array of readv, writev, sendmsg and recvmsg as the kernel
 * imports it (import_iovec): more than UIO_MAXIOV vectors is `tooMany`
 * (readv/writev EINVAL, the msghdr calls EMSGSIZE); a length that is
 * negative as an ssize_t EINVAL; a vector outside the user address space
 * EFAULT (a lone vector once cut, as import_ubuf checks it); the total cut
 * to MAX_RW_COUNT. `count` is an unsigned 64-bit
 * argument, as the registers give it (signed: past 2^63 it is negative).
 */
export function importIovecs(memory: TraceeMemory, address: number, count: number, tooMany: number): Iovec[] | { errno: number } {
  if (count > MAX_IOV || count < 0) return { errno: tooMany };
  if (count === 0) return [];
  const raw = memory.read(address, count * IOVEC_SIZE);
  // Every length is checked as the array is copied in, before any vector's address.
  for (let i = 0; i < count; i++) if (raw.readBigInt64LE(i * IOVEC_SIZE + 8) < 0n) return { errno: Errno.EINVAL };
  const vectors: Iovec[] = [];
  let total = 0;
  for (let i = 0; i < count; i++) {
    const base = Number(raw.readBigUInt64LE(i * IOVEC_SIZE));
    const length = raw.readBigInt64LE(i * IOVEC_SIZE + 8);
    const kept = Math.min(Number(length), MAX_RW_COUNT - total);
    // A single vector is imported as one buffer (import_ubuf): cut to MAX_RW_COUNT before it is checked.
    if (!inUserSpace(base, count === 1 ? kept : Number(length))) return { errno: Errno.EFAULT };
    vectors.push({ base, length: kept });
    total += kept;
  }
  return vectors;
}

/**
 * The one buffer of read, write (vfs_read: the whole length must lie in
 * user space, then it is cut to MAX_RW_COUNT) or of sendto, recvfrom
 * (import_ubuf: cut first, then checked): EFAULT outside user space.
 * `length` is a size_t as the registers give it (negative: past 2^63).
 */
export function importBuffer(base: number, length: number, cutFirst: boolean): Iovec[] | { errno: number } {
  const kept = length < 0 ? MAX_RW_COUNT : Math.min(length, MAX_RW_COUNT);
  if (!inUserSpace(base, cutFirst ? kept : length)) return { errno: Errno.EFAULT };
  return [{ base, length: kept }];
}

export function totalLength(vectors: readonly Iovec[]): number {
  return vectors.reduce((sum, v) => sum + v.length, 0);
}

/** The bytes of `vectors`, in order. */
export function gather(memory: TraceeMemory, vectors: readonly Iovec[]): Buffer {
  const parts = vectors.filter((v) => v.length > 0).map(({ base, length }) => memory.read(base, length));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The bytes of `vectors`, read from the tracee only as far as they are copied out. */
export function traceePayload(memory: TraceeMemory, vectors: readonly Iovec[]): Payload {
  return {
    length: totalLength(vectors),
    copy(target, from) {
      let skip = from;
      let at = 0;
      for (const { base, length } of vectors) {
        if (at === target.length) return;
        if (skip >= length) {
          skip -= length;
          continue;
        }
        const n = Math.min(length - skip, target.length - at);
        memory.readInto(base + skip, target.subarray(at, at + n));
        at += n;
        skip = 0;
      }
    },
  };
}

/** How many bytes of `vectors`, in order, come before `address` (where a copy across them stopped). */
export function bytesBefore(vectors: readonly Iovec[], address: number): number {
  let before = 0;
  for (const { base, length } of vectors) {
    if (address >= base && address < base + length) return before + (address - base);
    before += length;
  }
  return before;
}

/** Writes the bytes of `pieces`, in order, across `vectors`, without joining them first. */
export function scatter(memory: TraceeMemory, vectors: readonly Iovec[], pieces: readonly Buffer[]): void {
  let vector = 0;
  let into = 0;
  for (const piece of pieces) {
    let from = 0;
    while (from < piece.length && vector < vectors.length) {
      const { base, length } = vectors[vector]!;
      const n = Math.min(piece.length - from, length - into);
      if (n > 0) memory.write(base + into, piece.subarray(from, from + n));
      from += n;
      into += n;
      if (into === length) {
        vector++;
        into = 0;
      }
    }
  }
}
