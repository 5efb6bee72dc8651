import { readFileSync } from 'node:fs';
import { Errno } from '../../abi/errno.js';
import { AT_FDCWD, O_NOFOLLOW, OPEN_HOW_SIZE_VER0, readOpenHowFlags } from '../../abi/fd.js';
import { asInt } from '../../abi/tracee-memory.js';
import { SERVED_PATHS as CPU_FILE_PATHS } from '../../host/cpu-files.js';
import { NAME_FILE_PATHS } from '../../host/name-files.js';
import { type ProcessView, uptimeFile, virtualStat, virtualStatus } from '../../host/proc-files.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, fail, instead, type Outcome } from '../outcome.js';
import { virtualId } from '../pid-arguments.js';
import { listDirectory } from '../proc-listings.js';
import { HOST_PATHS, procNames, procOpen } from '../proc-paths.js';

/**
 * Opening files stays native, except for the files that would show this
 * machine rather than the host: those through which a program counts CPUs
 * (host/cpu-files.ts), learns host names (host/name-files.ts), its ids and
 * its host's uptime (host/proc-files.ts). For those, the path argument is
 * pointed at a file generated for the host, for that one call. Paths into
 * /proc/PID take virtual pids and reach only the host's tracees
 * (proc-paths.ts), and listing /proc shows them alone (proc-listings.ts).
 * Every open pays one stop, one read of its path and one stat.
 */

const UPTIME = '/proc/uptime';
/** Served wherever they are named from: the ones in /proc are also recognised once a path is followed. */
const SERVED_PATHS: ReadonlySet<string> = new Set([...CPU_FILE_PATHS, ...NAME_FILE_PATHS, UPTIME]);
const PATH_MAX = 4096;
/** Most paths are shorter: reading this much first saves copying the rest of the page. */
const SHORT_PATH = 256;

/** The path argument, whole (up to PATH_MAX bytes, past which the kernel refuses it). */
function pathAt(ctx: SyscallContext, address: number): string {
  const path = ctx.memory.cString(address, SHORT_PATH);
  return Buffer.byteLength(path) < SHORT_PATH ? path : ctx.memory.cString(address, PATH_MAX);
}

/** The kernel opens `path` in place of the program's path argument (written below the stack, for this call). */
function openInstead(ctx: SyscallContext, pathArgument: number, path: string, afterExit?: () => void): Outcome {
  const bytes = Buffer.from(`${path}\0`);
  const address = ctx.scratchBelowStack(bytes.length);
  ctx.memory.write(address, bytes);
  const args = [...ctx.args];
  args[pathArgument] = address;
  return instead(ctx.sysno, args, afterExit);
}

/** A file generated for this open alone, removed once the kernel opened it. */
function openGenerated(ctx: SyscallContext, pathArgument: number, contents: string): Outcome {
  const { procFiles } = ctx.services;
  const file = procFiles.write(contents);
  return openInstead(ctx, pathArgument, file, () => procFiles.discard(file));
}

/** A served file: generated for the host once (CPU and name files), or for this open (uptime). */
function openServed(ctx: SyscallContext, pathArgument: number, path: string): Outcome {
  const { services } = ctx;
  const host = ctx.process.host;
  if (path === UPTIME) return openGenerated(ctx, pathArgument, uptimeFile(services.time.sinceBoot()));
  const served = NAME_FILE_PATHS.has(path) ? services.nameFiles.pathFor(path, host) : services.cpuFiles.pathFor(path, services.coresOf(host));
  return openInstead(ctx, pathArgument, served);
}

/**
 * The status or stat of a tracee (by its real pid or tid `id`, under its
 * task/ by the real tid `thread`), with the host's ids, as the kernel would
 * show it now; undefined for other files, or a process gone meanwhile.
 */
function processFile(ctx: SyscallContext, id: number, thread: number | undefined, file: string, realPath: string): string | undefined {
  if (file !== 'status' && file !== 'stat') return undefined;
  let real: string;
  try {
    real = readFileSync(realPath, 'latin1');
  } catch {
    return undefined;
  }
  const { tracees, time } = ctx.services;
  const shown = tracees.threads.get(thread ?? id);
  const process = shown?.process ?? tracees.processes.get(id);
  if (process === undefined) return undefined;
  // /proc/PID counts the whole process's time, /proc/PID/task/TID the thread's.
  let cpuTime = shown !== undefined && thread !== undefined ? shown.cpuTime : process.exitedThreadsCpuTime;
  if (thread === undefined) for (const member of process.threads.values()) cpuTime += member.cpuTime;
  const view: ProcessView = {
    virtualId: (realId) => virtualId(ctx, realId),
    // At a stop, the kernel says "tracing stop": the program would see itself running, and the others as the scheduler has them.
    state:
      shown === undefined
        ? undefined
        : process.jobStop !== undefined
          ? { letter: 'T', words: 'stopped' }
          : shown === ctx.thread || shown.state !== 'blocked'
            ? { letter: 'R', words: 'running' }
            : { letter: 'S', words: 'sleeping' },
    cores: ctx.services.coresOf(process.host),
    cpuTime,
    startedSinceBoot: time.sinceBoot(process.startedAt),
  };
  return file === 'status' ? virtualStatus(real, view) : virtualStat(real, view);
}

/** Whether the open follows a link in its last component; undefined when the kernel will refuse the call before. */
function followsLast(ctx: SyscallContext, flagsArgument: number | 'open_how'): boolean | undefined {
  if (flagsArgument !== 'open_how') return (asInt(ctx.args[flagsArgument]!) & O_NOFOLLOW) === 0;
  if (ctx.args[3]! < OPEN_HOW_SIZE_VER0) return undefined;
  return (readOpenHowFlags(ctx.memory, ctx.args[2]!) & O_NOFOLLOW) === 0;
}

const opening =
  (pathArgument: number, flagsArgument: number | 'open_how') =>
  (ctx: SyscallContext): Outcome => {
    const path = pathAt(ctx, ctx.args[pathArgument]!);
    if (SERVED_PATHS.has(path)) return openServed(ctx, pathArgument, path);
    // Too long: ENAMETOOLONG.
    if (Buffer.byteLength(path) >= PATH_MAX) return NATIVE;
    const follow = followsLast(ctx, flagsArgument);
    if (follow === undefined) return NATIVE;
    const dirfd = pathArgument === 0 || asInt(ctx.args[0]!) === AT_FDCWD ? 'cwd' : asInt(ctx.args[0]!);
    const reached = procOpen(procNames(ctx), HOST_PATHS, dirfd, path, follow);
    if (reached.kind === 'as-named') return NATIVE;
    // /proc/PID of a process outside the host does not exist for the program.
    if (reached.kind === 'hidden') return fail(Errno.ENOENT);
    if (SERVED_PATHS.has(reached.path)) return openServed(ctx, pathArgument, reached.path);
    const target = reached.process;
    const generated = target === undefined ? undefined : processFile(ctx, target.id, target.thread, target.file, reached.path);
    if (generated !== undefined) return openGenerated(ctx, pathArgument, generated);
    return reached.renamed ? openInstead(ctx, pathArgument, reached.path) : NATIVE;
  };

const NOTE =
  "runs in the kernel; /proc/cpuinfo, /proc/stat and /sys/devices/system/cpu/{online,possible,present} open files describing the host's cores, /etc/hosts and /etc/hostname files naming the platform's hosts, /proc/uptime the host's uptime; /proc/PID takes the host's virtual pids (ENOENT for any other process), and its status and stat show them";

export const fileOpenSyscalls: FamilyTable = {
  getdents64: {
    level: 'mediated',
    handler: listDirectory,
    note: "/proc and /proc/PID/task list the host's tracees by their virtual ids, and no other process; other directories are listed by the kernel",
  },
  open: { level: 'mediated', handler: opening(0, 1), note: NOTE },
  openat: { level: 'mediated', handler: opening(1, 2), note: NOTE },
  openat2: { level: 'mediated', handler: opening(1, 'open_how'), note: NOTE },
};
