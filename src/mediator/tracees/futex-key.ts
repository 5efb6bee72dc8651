import { readFileSync } from 'node:fs';

/** Futex words are identified per address space: threads and CLONE_VM children share them. */
export function futexKey(addressSpace: number, address: number): string {
  return `${addressSpace}:${address}`;
}

/**
 * The key of a word that a futex operation without FUTEX_PRIVATE_FLAG
 * names. In a shared mapping (shared memory, a file mapped MAP_SHARED) the
 * word is the same futex in every process mapping it, at whatever address:
 * it is keyed by the mapped object (device and inode) and its offset there,
 * as the kernel's get_futex_key does. In private memory it is the address
 * space's, as with the flag.
 */
export function sharedFutexKey(process: { addressSpace: number; liveTid: number }, address: number): string {
  const mapping = sharedMappingAt(process.liveTid, address);
  if (mapping === undefined) return futexKey(process.addressSpace, address);
  return `shared:${mapping.device}:${mapping.inode}:${mapping.offset + (address - mapping.start)}`;
}

interface SharedMapping {
  start: number;
  offset: number;
  device: string;
  inode: string;
}

/** The MAP_SHARED mapping holding `address` in the process of `tid`, from /proc/TID/maps; undefined in private memory. */
function sharedMappingAt(tid: number, address: number): SharedMapping | undefined {
  let maps: string;
  try {
    maps = readFileSync(`/proc/${tid}/maps`, 'latin1');
  } catch {
    return undefined;
  }
  // start-end perms offset dev inode [path]
  for (const line of maps.split('\n')) {
    const fields = line.split(/\s+/);
    if (fields.length < 5) continue;
    const [range, perms, offset, device, inode] = fields as [string, string, string, string, string];
    const dash = range.indexOf('-');
    const start = Number.parseInt(range.slice(0, dash), 16);
    const end = Number.parseInt(range.slice(dash + 1), 16);
    if (address < start || address >= end) continue;
    return perms[3] === 's' ? { start, offset: Number.parseInt(offset, 16), device, inode } : undefined;
  }
  return undefined;
}
