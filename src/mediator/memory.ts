import { ptrace } from './native.js';

/** Where C strings are read: one buffer for all, as making one per read costs more than the copy. */
let cStringScratch = Buffer.allocUnsafeSlow(4096);

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
    ptrace.writeMemory(pid, addr, data);
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
    ptrace.writeMemory(pid, addr, data);
  },
  writeU32(pid: number, addr: number, value: number): void {
    const data = Buffer.alloc(4);
    data.writeUInt32LE(value >>> 0, 0);
    ptrace.writeMemory(pid, addr, data);
  },
  /** A struct timespec, as seconds. */
  timespec(pid: number, addr: number): number {
    const data = memory.read(pid, addr, 16);
    return Number(data.readBigInt64LE(0)) + Number(data.readBigInt64LE(8)) / 1e9;
  },
  writeTimespec(pid: number, addr: number, seconds: number): void {
    const data = Buffer.alloc(16);
    let whole = Math.floor(seconds);
    let nanoseconds = Math.round((seconds - whole) * 1e9);
    // Rounding may reach a whole second: carry it rather than write tv_nsec = 1e9.
    if (nanoseconds >= 1e9) {
      whole += 1;
      nanoseconds -= 1e9;
    }
    data.writeBigInt64LE(BigInt(whole), 0);
    data.writeBigInt64LE(BigInt(nanoseconds), 8);
    ptrace.writeMemory(pid, addr, data);
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

/** Syscall arguments arrive as 64-bit values; C `int` arguments are their low 32 bits. */
export const asInt = (value: number): number => value | 0;
export const asUint = (value: number): number => value >>> 0;
