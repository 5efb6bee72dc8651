import type { Payload } from '../../net/index.js';
import type { TraceeMemory } from './tracee-memory.js';

/** struct iovec { void *iov_base; size_t iov_len; } */
export interface Iovec {
  base: number;
  length: number;
}

const IOVEC_SIZE = 16;
/** UIO_MAXIOV: the kernel takes no more vectors than this. */
export const MAX_IOV = 1024;

export function readIovecs(memory: TraceeMemory, address: number, count: number): Iovec[] {
  if (count <= 0) return [];
  const raw = memory.read(address, Math.min(count, MAX_IOV) * IOVEC_SIZE);
  const vectors: Iovec[] = [];
  for (let i = 0; i < raw.length / IOVEC_SIZE; i++) {
    vectors.push({ base: Number(raw.readBigUInt64LE(i * IOVEC_SIZE)), length: Number(raw.readBigUInt64LE(i * IOVEC_SIZE + 8)) });
  }
  return vectors;
}

export function totalLength(vectors: readonly Iovec[]): number {
  return vectors.reduce((sum, v) => sum + v.length, 0);
}

/** The bytes of `vectors`, in order. */
export function gather(memory: TraceeMemory, vectors: readonly Iovec[]): Buffer {
  const parts = vectors.filter((v) => v.length > 0).map(({ base, length }) => memory.read(base, length));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The bytes of `vectors` from `offset` on, read from the tracee only as far as they are copied out. */
export function traceePayload(memory: TraceeMemory, vectors: readonly Iovec[], offset = 0): Payload {
  return {
    length: totalLength(vectors) - offset,
    copy(target, from) {
      let skip = offset + from;
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
