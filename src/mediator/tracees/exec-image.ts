import { AT_RANDOM, AT_SYSINFO_EHDR, type ExecStack, ignoreAuxvEntry, setAuxvValue } from '../abi/exec-stack.js';
import type { TraceeMemory } from '../abi/tracee-memory.js';

/** Where the kernel's vDSO starts in the new program (its AT_SYSINFO_EHDR), if it has one. */
export function kernelVdso(stack: ExecStack): number | undefined {
  return stack.auxv.find((entry) => entry.type === AT_SYSINFO_EHDR)?.value;
}

/**
 * At the exec stop, the new program's auxiliary vector (read in `stack`)
 * is rewritten. AT_SYSINFO_EHDR names `vdsoHeader`, simterpose's own vDSO,
 * when there is one; otherwise it becomes AT_IGNORE: without the kernel's
 * vDSO, glibc's clock_gettime and gettimeofday are real, trappable
 * syscalls. The 16 bytes AT_RANDOM points to (glibc's stack protector and
 * pointer guard) become the seeded generator's.
 */
export function prepareExecImage(memory: TraceeMemory, stack: ExecStack, randomBytes: Buffer, vdsoHeader?: number): void {
  for (const entry of stack.auxv) {
    if (entry.type === AT_SYSINFO_EHDR) {
      if (vdsoHeader === undefined) ignoreAuxvEntry(memory, entry);
      else setAuxvValue(memory, entry, vdsoHeader);
    } else if (entry.type === AT_RANDOM) memory.write(entry.value, randomBytes);
  }
}
