/**
 * A tracee's memory as the mediator reads and writes it: byte copies at
 * addresses the program gave. Every struct layout in abi/ is written over
 * this interface, so the same code runs on a real tracee (tracees/memory.ts)
 * and on a fake in unit tests.
 */
export interface TraceeMemory {
  /** `length` bytes at `address`. */
  read(address: number, length: number): Buffer;
  /** Fills `target` from `address`. */
  readInto(address: number, target: Buffer): void;
  write(address: number, data: Buffer): void;
  /** The NUL-terminated string at `address`, cut at `max` bytes. */
  cString(address: number, max?: number): string;
}

/**
 * An address the kernel would refuse to copy from or to (unmapped, out of
 * the user range): the syscall that handed it over fails with EFAULT, as on
 * Linux. The dispatcher turns it into that errno; it never ends the run.
 */
export class TraceeFault extends Error {
  constructor(readonly address: number) {
    super(`bad address 0x${address.toString(16)} in the tracee`);
    this.name = 'TraceeFault';
  }
}

/** Size of a pointer, a long and a size_t on x86_64. */
export const POINTER_SIZE = 8;

/** Syscall arguments arrive as 64-bit values; C `int` arguments are their low 32 bits. */
export const asInt = (value: number): number => value | 0;
export const asUint = (value: number): number => value >>> 0;

export function readI32(memory: TraceeMemory, address: number): number {
  return memory.read(address, 4).readInt32LE(0);
}

export function readU32(memory: TraceeMemory, address: number): number {
  return memory.read(address, 4).readUInt32LE(0);
}

/** A 64-bit integer as a number (exact up to 2^53: addresses and sizes). */
export function readI64(memory: TraceeMemory, address: number): number {
  return Number(memory.read(address, 8).readBigInt64LE(0));
}

export function readU64(memory: TraceeMemory, address: number): number {
  return Number(memory.read(address, 8).readBigUInt64LE(0));
}

/** The `index`-th pointer of the array at `address` (argv, envp...). */
export function readPointer(memory: TraceeMemory, address: number, index: number): number {
  return readU64(memory, address + index * POINTER_SIZE);
}

export function writeI32(memory: TraceeMemory, address: number, value: number): void {
  const data = Buffer.allocUnsafe(4);
  data.writeInt32LE(value | 0, 0);
  memory.write(address, data);
}

export function writeU32(memory: TraceeMemory, address: number, value: number): void {
  const data = Buffer.allocUnsafe(4);
  data.writeUInt32LE(value >>> 0, 0);
  memory.write(address, data);
}

export function writeI64(memory: TraceeMemory, address: number, value: number): void {
  const data = Buffer.allocUnsafe(8);
  writeInt64LE(data, value, 0);
  memory.write(address, data);
}

/**
 * Writes a safe integer as a little-endian int64, without the BigInt that
 * Buffer.writeBigInt64LE needs: clock reads write two per call.
 */
export function writeInt64LE(data: Buffer, value: number, offset: number): void {
  const high = Math.floor(value / 2 ** 32);
  data.writeUInt32LE(value - high * 2 ** 32, offset);
  data.writeInt32LE(high, offset + 4);
}

/** Reads a little-endian int64 as a number (exact up to 2^53), without the BigInt of Buffer.readBigInt64LE: the vDSO page is read back at each resume at a new date. */
export function readInt64LE(data: Buffer, offset: number): number {
  return data.readInt32LE(offset + 4) * 2 ** 32 + data.readUInt32LE(offset);
}
