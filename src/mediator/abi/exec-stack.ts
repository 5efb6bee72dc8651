import { POINTER_SIZE, type TraceeMemory, writeI64 } from './tracee-memory.js';

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
/** The most the argument strings are read in one copy; more (a huge command line), or laid out otherwise, they are read one by one. */
const MAX_ARGUMENT_BYTES = 4 * 1024 * 1024;
/** An argument string is cut there, as TraceeMemory.cString cuts it by default. */
const ARGUMENT_MAX = 4096;

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

/**
 * Reads the stack at `stackPointer`, as it is at the exec stop, in few
 * copies, since every program started pays them: the words from the stack
 * pointer on (argc, the pointer arrays, the auxiliary vector) come a page
 * at a time, and the argument strings, which lie end to end just below the
 * environment's, in one copy.
 */
export function readExecStack(memory: TraceeMemory, stackPointer: number): ExecStack {
  const words = new StackWords(memory, stackPointer);
  const argc = words.at(0);
  const envpIndex = argc + 2;
  let index = envpIndex;
  while (words.at(index) !== 0) index++;
  const auxvIndex = index + 1;
  const auxv: AuxvEntry[] = [];
  for (let entry = auxvIndex; ; entry += 2) {
    const type = words.at(entry);
    if (type === AT_NULL) break;
    auxv.push({ type, value: words.at(entry + 1), address: stackPointer + entry * POINTER_SIZE });
  }
  const pointers = Array.from({ length: argc }, (_, i) => words.at(1 + i));
  const stringsEnd = index > envpIndex ? words.at(envpIndex) : undefined;
  return { argv: argumentStrings(memory, pointers, stringsEnd), auxv };
}

/** The argument strings at `pointers`; `end`, where the environment's strings start, bounds them all (else each is read alone). */
function argumentStrings(memory: TraceeMemory, pointers: readonly number[], end: number | undefined): string[] {
  const first = pointers[0];
  const laidEndToEnd = first !== undefined && end !== undefined && end - first <= MAX_ARGUMENT_BYTES && pointers.every((p) => p >= first && p < end);
  if (!laidEndToEnd) return pointers.map((pointer) => memory.cString(pointer));
  const block = memory.read(first, end - first);
  return pointers.map((pointer) => {
    const start = pointer - first;
    const nul = block.indexOf(0, start);
    return block.toString('utf8', start, Math.min(nul < 0 ? block.length : nul, start + ARGUMENT_MAX));
  });
}

/** The words of the stack from `start` on, copied a page at a time as they are asked for: the stack's top page ends its mapping. */
class StackWords {
  private words: Buffer = Buffer.alloc(0);

  constructor(
    private readonly memory: TraceeMemory,
    private readonly start: number,
  ) {}

  /** The `index`-th word, a number (exact up to 2^53: addresses, sizes, auxiliary vector values). */
  at(index: number): number {
    const offset = index * POINTER_SIZE;
    while (offset + POINTER_SIZE > this.words.length) this.copyNextPage();
    return this.words.readUInt32LE(offset) + this.words.readUInt32LE(offset + 4) * 2 ** 32;
  }

  private copyNextPage(): void {
    const from = this.start + this.words.length;
    const page = this.memory.read(from, PAGE - (from % PAGE));
    this.words = this.words.length === 0 ? page : Buffer.concat([this.words, page]);
  }
}

/** Marks an auxiliary vector entry AT_IGNORE: the program skips it. */
export function ignoreAuxvEntry(memory: TraceeMemory, entry: AuxvEntry): void {
  writeI64(memory, entry.address, AT_IGNORE);
}

/** Points an auxiliary vector entry elsewhere (AT_SYSINFO_EHDR at another vDSO). */
export function setAuxvValue(memory: TraceeMemory, entry: AuxvEntry, value: number): void {
  writeI64(memory, entry.address + POINTER_SIZE, value);
}
