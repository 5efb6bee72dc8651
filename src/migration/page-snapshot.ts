import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';

const PAGE_SIZE = 4096;
/** /proc/PID/pagemap: a page is in memory (bit 63), and a file's or shared (bit 61) rather than the process's own. */
const PRESENT = 1n << 63n;
const FILE_OR_SHARED = 1n << 61n;

/**
 * The process's own memory at one moment (what /proc/PID/smaps_rollup
 * counts as Anonymous: its private pages in memory, its heap and stacks and
 * the pages it wrote of private file mappings), one digest per page. A
 * live migration compares two snapshots to find the pages written between
 * them: the kernel's soft-dirty bits would tell, but kernels built without
 * CONFIG_MEM_SOFT_DIRTY keep them clear, so the contents are compared
 * (a page written back to what it held counts as clean, and need not cross
 * again indeed).
 */
export class PageSnapshot {
  private constructor(private readonly digests: ReadonlyMap<number, string>) {}

  /** The process's memory now (empty if it is gone). */
  static take(pid: number): PageSnapshot {
    const digests = new Map<number, string>();
    let maps: string;
    let pagemap: number;
    let mem: number;
    try {
      maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
      pagemap = openSync(`/proc/${pid}/pagemap`, 'r');
      mem = openSync(`/proc/${pid}/mem`, 'r');
    } catch {
      return new PageSnapshot(digests);
    }
    try {
      const page = Buffer.alloc(PAGE_SIZE);
      for (const [start, end] of privateWritableRanges(maps)) {
        const entries = Buffer.alloc(((end - start) / PAGE_SIZE) * 8);
        readSync(pagemap, entries, 0, entries.length, (start / PAGE_SIZE) * 8);
        for (let i = 0; i < entries.length / 8; i++) {
          const entry = entries.readBigUInt64LE(i * 8);
          if ((entry & PRESENT) === 0n || (entry & FILE_OR_SHARED) !== 0n) continue;
          const address = start + i * PAGE_SIZE;
          if (readSync(mem, page, 0, PAGE_SIZE, address) !== PAGE_SIZE) continue;
          digests.set(address, createHash('sha1').update(page).digest('base64'));
        }
      }
    } finally {
      closeSync(pagemap);
      closeSync(mem);
    }
    return new PageSnapshot(digests);
  }

  /** Bytes of its pages. */
  get bytes(): number {
    return this.digests.size * PAGE_SIZE;
  }

  /** Bytes of this snapshot's pages that `earlier` did not have, or had with other contents. */
  changedSince(earlier: PageSnapshot): number {
    let pages = 0;
    for (const [address, digest] of this.digests) if (earlier.digests.get(address) !== digest) pages++;
    return pages * PAGE_SIZE;
  }
}

/** The private writable mappings of /proc/PID/maps, as [start, end) addresses (the vsyscall page left out). */
function privateWritableRanges(maps: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const line of maps.split('\n')) {
    const [range, permissions, , , , path] = line.split(/\s+/);
    if (range === undefined || permissions === undefined || permissions[1] !== 'w' || permissions[3] !== 'p' || path === '[vsyscall]') continue;
    const [start, end] = range.split('-').map((hex) => Number.parseInt(hex, 16)) as [number, number];
    ranges.push([start, end]);
  }
  return ranges;
}
