import { memory } from './memory.js';
import { ptrace } from '../native.js';

/**
 * At an exec stop the new stack holds argc, argv[], NULL, envp[], NULL, then
 * the auxiliary vector. Rewriting its AT_SYSINFO_EHDR entry to AT_IGNORE
 * keeps the kernel's vDSO from being used, so glibc's clock_gettime and
 * gettimeofday become real, trappable syscalls. The 16 bytes AT_RANDOM
 * points to (glibc's stack protector and pointer guard) are replaced with
 * the seeded generator's.
 */
const AT_NULL = 0;
const AT_IGNORE = 1;
const AT_RANDOM = 25;
const AT_SYSINFO_EHDR = 33;
const WORD = 8;
export const AT_RANDOM_BYTES = 16;

export interface ExecImage {
  argv: string[];
}

/** Disables the vDSO of a thread stopped at its exec event and writes its AT_RANDOM bytes; returns the new image's argv. */
export function prepareExecImage(tid: number, randomBytes: Buffer): ExecImage {
  const stack = ptrace.stackPointer(tid);
  const argc = memory.i64(tid, stack);
  let cursor = stack + WORD;
  const argv: string[] = [];
  const argvPointers = memory.read(tid, cursor, (argc + 1) * WORD);
  for (let i = 0; i < argc; i++) argv.push(memory.cString(tid, Number(argvPointers.readBigUInt64LE(i * WORD))));
  cursor += (argc + 1) * WORD;
  cursor = skipNullTerminated(tid, cursor);
  rewriteAuxv(tid, cursor, randomBytes);
  return { argv };
}

const PAGE = 4096;

/** Reads words from `start` up to the end of its page at most: the stack's top page ends the mapping. */
function readWords(tid: number, start: number, maxWords: number): Buffer {
  const toPageEnd = PAGE - (start % PAGE);
  return memory.read(tid, start, Math.min(maxWords * WORD, toPageEnd));
}

/** Returns the address just past the NULL that ends a pointer array (envp). */
function skipNullTerminated(tid: number, start: number): number {
  let cursor = start;
  for (;;) {
    const chunk = readWords(tid, cursor, 64);
    for (let i = 0; i < chunk.length / WORD; i++) {
      if (chunk.readBigUInt64LE(i * WORD) === 0n) return cursor + (i + 1) * WORD;
    }
    cursor += chunk.length;
  }
}

function rewriteAuxv(tid: number, auxv: number, randomBytes: Buffer): void {
  let cursor = auxv;
  for (;;) {
    const vector = readWords(tid, cursor, 64);
    const entries = Math.floor(vector.length / (2 * WORD));
    if (entries === 0) return;
    for (let i = 0; i < entries; i++) {
      const type = Number(vector.readBigUInt64LE(i * 2 * WORD));
      if (type === AT_NULL) return;
      if (type === AT_SYSINFO_EHDR) {
        const ignore = Buffer.alloc(WORD);
        ignore.writeBigUInt64LE(BigInt(AT_IGNORE));
        memory.write(tid, cursor + i * 2 * WORD, ignore);
      } else if (type === AT_RANDOM) {
        memory.write(tid, Number(vector.readBigUInt64LE(i * 2 * WORD + WORD)), randomBytes);
      }
    }
    cursor += entries * 2 * WORD;
  }
}
