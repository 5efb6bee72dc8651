import { AT_RANDOM, AT_SYSINFO_EHDR, ignoreAuxvEntry, readExecStack, setAuxvValue } from '../abi/exec-stack.js';
import type { TraceeMemory } from '../abi/tracee-memory.js';

/**
 * At the exec stop, the new program's auxiliary vector is rewritten.
 * AT_SYSINFO_EHDR names `vdsoHeader`, simterpose's own vDSO, when there is
 * one; otherwise it becomes AT_IGNORE: without the kernel's vDSO, glibc's
 * clock_gettime and gettimeofday are real, trappable syscalls. The 16
 * bytes AT_RANDOM points to (glibc's stack protector and pointer guard)
 * become the seeded generator's. Returns the new program's argv.
 */
export function prepareExecImage(memory: TraceeMemory, stackPointer: number, randomBytes: Buffer, vdsoHeader?: number): string[] {
  const { argv, auxv } = readExecStack(memory, stackPointer);
  for (const entry of auxv) {
    if (entry.type === AT_SYSINFO_EHDR) {
      if (vdsoHeader === undefined) ignoreAuxvEntry(memory, entry);
      else setAuxvValue(memory, entry, vdsoHeader);
    } else if (entry.type === AT_RANDOM) memory.write(entry.value, randomBytes);
  }
  return argv;
}
