import { TraceeFault, type TraceeMemory } from '../abi/tracee-memory.js';
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

/**
 * The addon's copies fail with EFAULT (naming the address) where the
 * kernel would have refused the program's own access: that is the
 * program's mistake, a TraceeFault. Anything else is ours.
 */
function faultsAsTraceeFaults<T>(address: number, copy: () => T): T {
  try {
    return copy();
  } catch (error) {
    if ((error as { code?: string }).code === 'EFAULT') throw new TraceeFault(address);
    throw error;
  }
}

/** The memory of the tracee `pid` (any of its threads' tids works too), through the addon. */
export function traceeMemory(pid: number): TraceeMemory {
  return {
    read(address, length) {
      const data = Buffer.allocUnsafe(length);
      faultsAsTraceeFaults(address, () => ptrace.readMemoryInto(pid, address, data));
      return data;
    },
    readInto(address, target) {
      faultsAsTraceeFaults(address, () => ptrace.readMemoryInto(pid, address, target));
    },
    write(address, data) {
      if (data.length > SMALL_WRITE) {
        faultsAsTraceeFaults(address, () => ptrace.writeMemory(pid, address, data));
        return;
      }
      data.copy(smallWriteScratch);
      faultsAsTraceeFaults(address, () => ptrace.writeMemory(pid, address, smallWriteScratch.subarray(0, data.length)));
    },
    cString(address, max = 4096) {
      if (cStringScratch.length < max) cStringScratch = Buffer.allocUnsafeSlow(max);
      const length = faultsAsTraceeFaults(address, () => ptrace.readCStringInto(pid, address, cStringScratch.subarray(0, max)));
      return cStringScratch.toString('utf8', 0, length);
    },
  };
}
