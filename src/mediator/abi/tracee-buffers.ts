import { decodeSockaddrIn, encodeSockaddrIn, type Endpoint, type Payload, type SocketError } from '../../net/index.js';
import { memory } from '../tracees/memory.js';

/**
 * Moving socket payloads and addresses between the tracee and the mediator:
 * iovec gathering and scattering, struct msghdr, and value-result sockaddr
 * arguments (the length is read, the address truncated to it, the full
 * length written back).
 */
export interface Iovec {
  base: number;
  length: number;
}

const MAX_IOV = 1024;

export function readIovecs(pid: number, address: number, count: number): Iovec[] {
  if (count <= 0) return [];
  const raw = memory.read(pid, address, Math.min(count, MAX_IOV) * 16);
  const vectors: Iovec[] = [];
  for (let i = 0; i < raw.length / 16; i++) {
    vectors.push({ base: Number(raw.readBigUInt64LE(i * 16)), length: Number(raw.readBigUInt64LE(i * 16 + 8)) });
  }
  return vectors;
}

export function totalLength(vectors: readonly Iovec[]): number {
  return vectors.reduce((sum, v) => sum + v.length, 0);
}

/** The bytes of `vectors`, in order, from `offset` on. */
export function gather(pid: number, vectors: readonly Iovec[], offset = 0): Buffer {
  const parts: Buffer[] = [];
  let skip = offset;
  for (const { base, length } of vectors) {
    if (skip >= length) {
      skip -= length;
      continue;
    }
    parts.push(memory.read(pid, base + skip, length - skip));
    skip = 0;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** The bytes of `vectors` from `offset` on, read from the tracee only as far as they are copied out. */
export function traceePayload(pid: number, vectors: readonly Iovec[], offset = 0): Payload {
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
        memory.readInto(pid, base + skip, target.subarray(at, at + n));
        at += n;
        skip = 0;
      }
    },
  };
}

/** Writes the bytes of `pieces`, in order, across `vectors`, without joining them first. */
export function scatter(pid: number, vectors: readonly Iovec[], pieces: readonly Buffer[]): void {
  let vector = 0;
  let into = 0;
  for (const piece of pieces) {
    let from = 0;
    while (from < piece.length && vector < vectors.length) {
      const { base, length } = vectors[vector]!;
      const n = Math.min(piece.length - from, length - into);
      if (n > 0) memory.write(pid, base + into, piece.subarray(from, from + n));
      from += n;
      into += n;
      if (into === length) {
        vector++;
        into = 0;
      }
    }
  }
}

/** struct msghdr: name, namelen, iov, iovlen, control, controllen, flags. */
export interface Msghdr {
  name: number;
  nameLength: number;
  vectors: Iovec[];
  control: number;
  controlLength: number;
}

export function readMsghdr(pid: number, address: number): Msghdr {
  const raw = memory.read(pid, address, 56);
  return {
    name: Number(raw.readBigUInt64LE(0)),
    nameLength: raw.readUInt32LE(8),
    vectors: readIovecs(pid, Number(raw.readBigUInt64LE(16)), Number(raw.readBigUInt64LE(24))),
    control: Number(raw.readBigUInt64LE(32)),
    controlLength: Number(raw.readBigUInt64LE(40)),
  };
}

/** After recvmsg: the address length, no control data, and the flags. */
export function finishMsghdr(pid: number, address: number, nameLength: number, flags: number): void {
  const lengths = Buffer.alloc(4);
  lengths.writeUInt32LE(nameLength);
  memory.write(pid, address + 8, lengths);
  memory.write(pid, address + 40, Buffer.alloc(8));
  const flagBytes = Buffer.alloc(4);
  flagBytes.writeInt32LE(flags);
  memory.write(pid, address + 48, flagBytes);
}

export function readSockaddr(pid: number, address: number, length: number): Endpoint | SocketError {
  const raw = memory.read(pid, address, Math.min(Math.max(length, 0), 128));
  return decodeSockaddrIn(raw);
}

/** Writes a sockaddr_in into a value-result (address, length pointer) pair; no-op when address is NULL. */
export function writeSockaddr(pid: number, address: number, lengthPointer: number, endpoint: Endpoint): void {
  if (address === 0 || lengthPointer === 0) return;
  const room = memory.i32(pid, lengthPointer);
  const encoded = encodeSockaddrIn(endpoint);
  if (room > 0) memory.write(pid, address, encoded.subarray(0, Math.min(room, encoded.length)));
  memory.writeI32(pid, lengthPointer, encoded.length);
}

