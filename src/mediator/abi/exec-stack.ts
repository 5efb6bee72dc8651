import { POINTER_SIZE, readU64, type TraceeMemory } from './tracee-memory.js';

/**
 * The stack a new program starts on (System V x86_64 ABI, 3.4.1): argc,
 * argv[], NULL, envp[], NULL, then the auxiliary vector, pairs of (type,
 * value) ending with AT_NULL.
 */
export const AT_NULL = 0;
export const AT_IGNORE = 1;
export const AT_RANDOM = 25;
export const AT_SYSINFO_EHDR = 33;
/** AT_RANDOM points to 16 random bytes. */
export const AT_RANDOM_BYTES = 16;

const PAGE = 4096;
const AUXV_ENTRY = 2 * POINTER_SIZE;

export interface AuxvEntry {
  type: number;
  value: number;
  /** Where the entry lies, to rewrite its type. */
  address: number;
}

export interface ExecStack {
  argv: string[];
  auxv: AuxvEntry[];
}

/** Reads the stack at `stackPointer`, as it is at the exec stop. */
export function readExecStack(memory: TraceeMemory, stackPointer: number): ExecStack {
  const argc = readU64(memory, stackPointer);
  const argvAddress = stackPointer + POINTER_SIZE;
  const pointers = memory.read(argvAddress, argc * POINTER_SIZE);
  const argv: string[] = [];
  for (let i = 0; i < argc; i++) argv.push(memory.cString(Number(pointers.readBigUInt64LE(i * POINTER_SIZE))));
  const envp = argvAddress + (argc + 1) * POINTER_SIZE;
  return { argv, auxv: readAuxv(memory, pastNull(memory, envp)) };
}

/** Marks an auxiliary vector entry AT_IGNORE: the program skips it. */
export function ignoreAuxvEntry(memory: TraceeMemory, entry: AuxvEntry): void {
  const type = Buffer.alloc(POINTER_SIZE);
  type.writeBigUInt64LE(BigInt(AT_IGNORE));
  memory.write(entry.address, type);
}

/** Points an auxiliary vector entry elsewhere (AT_SYSINFO_EHDR at another vDSO). */
export function setAuxvValue(memory: TraceeMemory, entry: AuxvEntry, value: number): void {
  const data = Buffer.alloc(POINTER_SIZE);
  data.writeBigUInt64LE(BigInt(value));
  memory.write(entry.address + POINTER_SIZE, data);
}

/** Reads words from `start` up to the end of its page at most: the stack's top page ends the mapping. */
function readWords(memory: TraceeMemory, start: number, maxWords: number): Buffer {
  return memory.read(start, Math.min(maxWords * POINTER_SIZE, PAGE - (start % PAGE)));
}

/** The address just past the NULL that ends a pointer array (envp). */
function pastNull(memory: TraceeMemory, start: number): number {
  let cursor = start;
  for (;;) {
    const chunk = readWords(memory, cursor, 64);
    for (let i = 0; i < chunk.length / POINTER_SIZE; i++) {
      if (chunk.readBigUInt64LE(i * POINTER_SIZE) === 0n) return cursor + (i + 1) * POINTER_SIZE;
    }
    cursor += chunk.length;
  }
}

function readAuxv(memory: TraceeMemory, start: number): AuxvEntry[] {
  const entries: AuxvEntry[] = [];
  let cursor = start;
  for (;;) {
    const chunk = readWords(memory, cursor, 64);
    const count = Math.floor(chunk.length / AUXV_ENTRY);
    if (count === 0) return entries;
    for (let i = 0; i < count; i++) {
      const type = Number(chunk.readBigUInt64LE(i * AUXV_ENTRY));
      if (type === AT_NULL) return entries;
      entries.push({ type, value: Number(chunk.readBigUInt64LE(i * AUXV_ENTRY + POINTER_SIZE)), address: cursor + i * AUXV_ENTRY });
    }
    cursor += count * AUXV_ENTRY;
  }
}
