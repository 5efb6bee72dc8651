import { TraceeFault, type TraceeMemory } from '../abi/tracee-memory.js';
import { ptrace } from '../native.js';

/** Where C strings are read: one buffer for all, as making one per read costs more than the copy. */
let cStringScratch = Buffer.allocUnsafeSlow(4096);
/** The scratch's first bytes, up to the last read's limit: kept, as most reads (an open's path) have the same limit as the one before. */
let cStringView = cStringScratch;

/**
 * V8 keeps a typed array of up to 64 bytes inside its heap, and the addon,
 * given one, has V8 move its bytes to a new allocation of their own, later
 * freed by the garbage collector: for a 16-byte timespec that cost more than
 * the write into the tracee. Small writes are copied into this buffer, which
 * lives outside the heap, and handed over from there.
 */
const SMALL_WRITE = 64;
const smallWriteScratch = Buffer.allocUnsafeSlow(SMALL_WRITE);

/** The addon's EFAULT names the first address it could not copy: `process_vm_writev(PID, 0xADDRESS): EFAULT (...)`. */
const FAULT_ADDRESS = /, 0x([0-9a-f]+)\)/;

/**
 * The addon's copies fail with EFAULT where the kernel would have refused
 * the program's own access (copies honour page protections): that is the
 * program's mistake, a TraceeFault at the first address not copied (the
 * bytes before it were). Anything else is ours. (Each copy catches it
 * itself: a closure per copy would cost clock reads their speed.)
 */
function asTraceeFault(error: unknown, address: number): unknown {
  if ((error as { code?: string }).code !== 'EFAULT') return error;
  const named = FAULT_ADDRESS.exec((error as Error).message);
  return new TraceeFault(named === null ? address : Number.parseInt(named[1]!, 16));
}

/** The memory of a tracee process, through the addon, reached through the thread `liveTid` gives. */
export function traceeMemory(liveTid: () => number): TraceeMemory {
  const readInto = (address: number, target: Buffer): void => {
    try {
      ptrace.readMemoryInto(liveTid(), address, target);
    } catch (error) {
      throw asTraceeFault(error, address);
    }
  };
  return {
    read(address, length) {
      const data = Buffer.allocUnsafe(length);
      readInto(address, data);
      return data;
    },
    readInto,
    write(address, data) {
      const small = data.length <= SMALL_WRITE;
      if (small) data.copy(smallWriteScratch);
      try {
        ptrace.writeMemory(liveTid(), address, small ? smallWriteScratch.subarray(0, data.length) : data);
      } catch (error) {
        throw asTraceeFault(error, address);
      }
    },
    cString(address, max = 4096) {
      if (cStringView.length !== max) {
        if (cStringScratch.length < max) cStringScratch = Buffer.allocUnsafeSlow(max);
        cStringView = cStringScratch.subarray(0, max);
      }
      try {
        const length = ptrace.readCStringInto(liveTid(), address, cStringView);
        return cStringScratch.toString('utf8', 0, length);
      } catch (error) {
        throw asTraceeFault(error, address);
      }
    },
  };
}
