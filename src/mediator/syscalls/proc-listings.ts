import { Errno } from '../abi/errno.js';
import { type DirectoryEntry, directoryEntrySize, encodeDirectoryEntries, parseDirectoryEntries } from '../abi/dirent.js';
import { asInt, asUint } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import { NATIVE, done, fail, type Outcome } from './outcome.js';
import { reachableRealId } from './pid-arguments.js';

/**
 * Listing /proc and /proc/PID/task with getdents64, as the host shows them:
 * the kernel's entries named by real pids and tids become the virtual ones
 * of the caller's host, and every process outside it (simterpose, the
 * machine's others, other hosts' tracees) is left out, as under a /proc
 * mounted with hidepid=invisible (see proc-paths.ts for the paths
 * themselves). Any other directory is listed by the kernel.
 */

/** Which of the two listings a directory is: the processes, or one process's threads. */
type Listing = { of: 'processes' } | { of: 'threads'; realPid: number };

const TASK_DIRECTORY = /^\/proc\/(\d+)\/task$/;

function listingAt(ctx: SyscallContext, fd: number): Listing | undefined {
  const path = ctx.services.kernelFds.linkOf(ctx.process, fd);
  if (path === '/proc') return { of: 'processes' };
  const task = path === undefined ? null : TASK_DIRECTORY.exec(path);
  return task === null ? undefined : { of: 'threads', realPid: Number(task[1]) };
}

/** The entry as the caller's host shows it: a pid or tid turned virtual, or undefined when the host has no such process. */
function shown(ctx: SyscallContext, listing: Listing, entry: DirectoryEntry): DirectoryEntry | undefined {
  if (!/^\d+$/.test(entry.name)) return entry;
  const real = Number(entry.name);
  const { tracees } = ctx.services;
  if (listing.of === 'threads') {
    const thread = tracees.threads.get(real);
    return thread?.process.pid === listing.realPid ? { ...entry, name: String(thread.vtid) } : undefined;
  }
  const process = tracees.processes.get(real);
  return process !== undefined && reachableRealId(ctx, real) ? { ...entry, name: String(process.vpid) } : undefined;
}

/** getdents64(fd, dirp, count) */
export function listDirectory(ctx: SyscallContext): Outcome {
  const [fdArg, buffer, count] = ctx.args as [number, number, number];
  const fd = asInt(fdArg);
  const listing = listingAt(ctx, fd);
  if (listing === undefined) return NATIVE;
  const files = ctx.services.kernelFds;
  // The kernel takes count as an unsigned int.
  const room = asUint(count);
  const start = files.fileSource(ctx.process, fd)?.position ?? 0;
  const kept: DirectoryEntry[] = [];
  let used = 0;
  // Where the directory stands after the last entry looked at.
  let position = start;
  for (;;) {
    const batch = files.readDirectory(ctx.process, fd, room);
    if (!Buffer.isBuffer(batch)) return fail(batch.errno);
    const entries = parseDirectoryEntries(batch);
    if (entries.length === 0) break;
    for (const entry of entries) {
      const entryShown = shown(ctx, listing, entry);
      if (entryShown !== undefined && used + directoryEntrySize(entryShown) > room) {
        // It goes to the next call: the directory is put back where this entry starts.
        files.setFileOffset(ctx.process, fd, position);
        return kept.length === 0 ? fail(Errno.EINVAL) : written(ctx, buffer, kept);
      }
      if (entryShown !== undefined) {
        kept.push(entryShown);
        used += directoryEntrySize(entryShown);
      }
      position = Number(entry.nextOffset);
    }
    // A batch of hidden entries only: read on, as an empty result would say the directory has ended.
    if (kept.length > 0) break;
  }
  return written(ctx, buffer, kept);
}

function written(ctx: SyscallContext, buffer: number, entries: readonly DirectoryEntry[]): Outcome {
  const bytes = encodeDirectoryEntries(entries);
  if (bytes.length > 0) ctx.memory.write(buffer, bytes);
  return done(bytes.length);
}
