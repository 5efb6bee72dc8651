import { ptrace } from '../native.js';

/** Where C strings are read: one buffer for all, as making one per read costs more than the copy. */
let cStringScratch = Buffer.allocUnsafeSlow(4096);

/**
 * V8 keeps a typed array of up to 64 bytes inside its heap, and the addon,
 * given one, has V8 move its bytes to a new allocation of their own, later
 * freed by the garbage collector: for a 16-byte timespec that cost more than
 * the write into the tracee. Small writes are copied into this buffer, which
 * lives outside the heap, and handed over from there.
 */
const SMALL_WRITE = 64;
const smallWriteScratch = Buffer.allocUnsafeSlow(SMALL_WRITE);

/** Typed reads and writes of a tracee's memory, over the addon's byte copies. */
export const memory = {
  read(pid: number, addr: number, length: number): Buffer {
    const data = Buffer.allocUnsafe(length);
    ptrace.readMemoryInto(pid, addr, data);
    return data;
  },
  /** Fills `target` from the tracee's memory at `addr`. */
  readInto(pid: number, addr: number, target: Buffer): void {
    ptrace.readMemoryInto(pid, addr, target);
  },
  write(pid: number, addr: number, data: Buffer): void {
    if (data.length > SMALL_WRITE) {
      ptrace.writeMemory(pid, addr, data);
      return;
    }
    data.copy(smallWriteScratch);
    ptrace.writeMemory(pid, addr, smallWriteScratch.subarray(0, data.length));
  },
  cString(pid: number, addr: number, max = 4096): string {
    if (cStringScratch.length < max) cStringScratch = Buffer.allocUnsafeSlow(max);
    const length = ptrace.readCStringInto(pid, addr, cStringScratch.subarray(0, max));
    return cStringScratch.toString('utf8', 0, length);
  },
  i32(pid: number, addr: number): number {
    return memory.read(pid, addr, 4).readInt32LE(0);
  },
  u32(pid: number, addr: number): number {
    return memory.read(pid, addr, 4).readUInt32LE(0);
  },
  i64(pid: number, addr: number): number {
    return Number(memory.read(pid, addr, 8).readBigInt64LE(0));
  },
  writeI32(pid: number, addr: number, value: number): void {
    const data = Buffer.alloc(4);
    data.writeInt32LE(value, 0);
    memory.write(pid, addr, data);
  },
  writeU32(pid: number, addr: number, value: number): void {
    const data = Buffer.alloc(4);
    data.writeUInt32LE(value >>> 0, 0);
    memory.write(pid, addr, data);
  },
  /** A struct timespec, as seconds. */
  timespec(pid: number, addr: number): number {
    const data = memory.read(pid, addr, 16);
    return Number(data.readBigInt64LE(0)) + Number(data.readBigInt64LE(8)) / 1e9;
  },
  /** A sigset_t argument (NULL: none), as a bit set of signals. */
  signalMask(pid: number, addr: number): bigint | undefined {
    return addr === 0 ? undefined : memory.read(pid, addr, 8).readBigUInt64LE(0);
  },
  /** A struct timeval, as seconds. */
  timeval(pid: number, addr: number): number {
    const data = memory.read(pid, addr, 16);
    return Number(data.readBigInt64LE(0)) + Number(data.readBigInt64LE(8)) / 1e6;
  },
};

/**
 * Writes a safe integer as a little-endian int64, without the BigInt that
 * Buffer.writeBigInt64LE needs: clock reads write two per call.
 */
export function writeInt64LE(data: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / 2 ** 32);
  data.writeUInt32LE(value - high * 2 ** 32, offset);
  data.writeInt32LE(high, offset + 4);
}

/** Syscall arguments arrive as 64-bit values; C `int` arguments are their low 32 bits. */
export const asInt = (value: number): number => value | 0;
export const asUint = (value: number): number => value >>> 0;
