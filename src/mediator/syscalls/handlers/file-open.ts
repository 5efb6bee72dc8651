import { readFileSync } from 'node:fs';
import { Errno } from '../../abi/errno.js';
import { AT_FDCWD, O_NOFOLLOW, OPEN_HOW_SIZE_VER0, readOpenHowFlags } from '../../abi/fd.js';
import { asInt } from '../../abi/tracee-memory.js';
import { SERVED_PATHS as CPU_FILE_PATHS } from '../../host/cpu-files.js';
import { NAME_FILE_PATHS } from '../../host/name-files.js';
import { HOST_PATHS } from '../../host/path-view.js';
import { type ProcessView, uptimeFile, virtualStat, virtualStatus } from '../../host/proc-files.js';
import { PROC_NET_TABLES, procNetFile } from '../../host/proc-net-files.js';
import { INTERFACE_FILES, interfaceFile } from '../../host/interface-files.js';
import { hostInterfaces } from '../../host/interfaces.js';
import { socketsOnHost } from '../../sockets/host-sockets.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, fail, instead, openInsteadFor, type Outcome } from '../outcome.js';
import { virtualId } from '../pid-arguments.js';
import { listDirectory } from '../proc-listings.js';
import { type ProcOpen, procNames, procOpen } from '../proc-paths.js';

/**
 * Opening files stays native, except for the files that would show this
 * machine rather than the host: those through which a program counts CPUs
 * (host/cpu-files.ts), learns host names (host/name-files.ts), its ids and
 * its host's uptime (host/proc-files.ts). For those, the program opens a
 * file generated for the host instead: a stopped call has its path argument
 * pointed at it, a notified one gets the mediator's own open of it, made
 * with the program's credentials (loop/tracer.ts). Paths into
 * /proc/PID take virtual pids and reach only the host's tracees
 * (proc-paths.ts), and listing /proc shows them alone (proc-listings.ts).
 * Opens come as notifications (table.ts): every open pays one read of its
 * path and one stat, and one that needs nothing else is let through to the
 * kernel unchanged. A blocking open of a named FIFO first waits, in
 * virtual time, for the other end to be open (fifo-opens.ts).
 */

const UPTIME = '/proc/uptime';
/** Served wherever they are named from: the ones in /proc are also recognised once a path is followed. */
const SERVED_PATHS: ReadonlySet<string> = new Set([...CPU_FILE_PATHS, ...NAME_FILE_PATHS, UPTIME]);
const PATH_MAX = 4096;
/** The permission bits open(2) keeps of its mode (S_IALLUGO). */
const MODE_BITS = 0o7777;
/** Most paths are shorter: reading this much first saves copying the rest of the page. */
const SHORT_PATH = 256;

/** The path argument, whole; undefined when it has PATH_MAX bytes or more (the kernel refuses it: ENAMETOOLONG). */
function pathAt(ctx: SyscallContext, address: number): string | undefined {
  const path = ctx.memory.cString(address, SHORT_PATH);
  if (Buffer.byteLength(path) < SHORT_PATH) return path;
  const long = ctx.memory.cString(address, PATH_MAX);
  return Buffer.byteLength(long) < PATH_MAX ? long : undefined;
}

/** How the call names its file and its flags: argument positions, or openat2's struct open_how. */
interface OpenCall {
  readonly pathArgument: number;
  readonly flagsArgument: number | 'open_how';
}

/**
 * The program opens `path` in place of the file it named: a stopped call
 * has its path argument pointed at `path` (written below the stack, for this
 * call); a notified one is opened by the mediator (see openInsteadFor).
 * `afterOpen` runs once the file is open.
 */
function openInstead(ctx: SyscallContext, call: OpenCall, path: string, afterOpen?: () => void): Outcome {
  // openat2 is never notified (table.ts): its flags are out of the seccomp filter's sight.
  if (ctx.thread.notified && call.flagsArgument !== 'open_how') {
    const flags = asInt(ctx.args[call.flagsArgument]!);
    return openInsteadFor(path, flags, asInt(ctx.args[call.flagsArgument + 1]!) & MODE_BITS, afterOpen);
  }
  const bytes = Buffer.from(`${path}\0`);
  const address = ctx.scratchBelowStack(bytes.length);
  ctx.memory.write(address, bytes);
  const args = [...ctx.args];
  args[call.pathArgument] = address;
  return instead(ctx.sysno, args, afterOpen);
}

/** A file generated for this open alone, removed once opened. */
function openGenerated(ctx: SyscallContext, call: OpenCall, contents: string): Outcome {
  const { procFiles } = ctx.services;
  const file = procFiles.write(contents);
  return openInstead(ctx, call, file, () => procFiles.discard(file));
}

/** A served file: generated for the host once (CPU and name files), or for this open (uptime). */
function openServed(ctx: SyscallContext, call: OpenCall, path: string): Outcome {
  const { services } = ctx;
  const host = ctx.process.host;
  if (path === UPTIME) return openGenerated(ctx, call, uptimeFile(services.time.sinceBoot()));
  const served = NAME_FILE_PATHS.has(path) ? services.nameFiles.pathFor(path, host) : services.cpuFiles.pathFor(path, services.coresOf(host));
  return openInstead(ctx, call, served);
}

/**
 * The status or stat of a tracee (by its real pid or tid `id`, under its
 * task/ by the real tid `thread`), with the host's ids, as the kernel would
 * show it now; undefined for other files, or a process gone meanwhile.
 */
function processFile(ctx: SyscallContext, id: number, thread: number | undefined, file: string, realPath: string): string | undefined {
  const netTable = PROC_NET_TABLES.find((table) => file === `net/${table}`);
  // /proc/net is /proc/self/net: a network namespace's tables, here the host's.
  if (netTable !== undefined) return procNetFile(netTable, socketsOnHost(ctx.services.tracees.processes.values(), ctx.process.host));
  const described = INTERFACE_FILES.find((name) => file === `net/${name}`);
  if (described !== undefined) return interfaceFile(described, hostInterfaces(ctx.services.network.addresses, ctx.process.host));
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
  (call: OpenCall) =>
  (ctx: SyscallContext): Outcome => {
    const { pathArgument, flagsArgument } = call;
    const path = pathAt(ctx, ctx.args[pathArgument]!);
    if (path === undefined) return NATIVE;
    if (SERVED_PATHS.has(path)) return openServed(ctx, call, path);
    const follow = followsLast(ctx, flagsArgument);
    if (follow === undefined) return NATIVE;
    const dirfd = pathArgument === 0 || asInt(ctx.args[0]!) === AT_FDCWD ? 'cwd' : asInt(ctx.args[0]!);
    const reached = procOpen(procNames(ctx), HOST_PATHS, dirfd, path, follow);
    // /proc/PID of a process outside the host does not exist for the program.
    if (reached.kind === 'hidden') return fail(Errno.ENOENT);
    const opened = reached.kind === 'as-named' ? pathForMediator(ctx, dirfd, path) : reached.path;
    const go = (): Outcome => (reached.kind === 'as-named' ? NATIVE : openReached(ctx, call, reached));
    const seen = reached.kind === 'as-named' ? reached.seen : undefined;
    return ctx.services.fifoOpens.open(ctx, opened, follow, flagsOf(ctx, flagsArgument), go, seen) ?? go();
  };

/** A path followed through /proc: a served or generated file, or the file it reaches, named with real pids. */
function openReached(ctx: SyscallContext, call: OpenCall, reached: ProcOpen & { kind: 'followed' }): Outcome {
  if (SERVED_PATHS.has(reached.path)) return openServed(ctx, call, reached.path);
  const target = reached.process;
  const generated = target === undefined ? undefined : processFile(ctx, target.id, target.thread, target.file, reached.path);
  if (generated !== undefined) return openGenerated(ctx, call, generated);
  return reached.renamed ? openInstead(ctx, call, reached.path) : NATIVE;
}

/** The program's path (relative to `dirfd`) as the mediator can name it. */
function pathForMediator(ctx: SyscallContext, dirfd: number | 'cwd', path: string): string {
  if (path.startsWith('/')) return path;
  return dirfd === 'cwd' ? `/proc/${ctx.process.pid}/cwd/${path}` : `/proc/${ctx.process.pid}/fd/${dirfd}/${path}`;
}

function flagsOf(ctx: SyscallContext, flagsArgument: number | 'open_how'): number {
  return flagsArgument === 'open_how' ? readOpenHowFlags(ctx.memory, ctx.args[2]!) : asInt(ctx.args[flagsArgument]!);
}

const NOTE =
  "runs in the kernel; /proc/cpuinfo, /proc/stat and /sys/devices/system/cpu/{online,possible,present} open files describing the host's cores, /etc/hosts and /etc/hostname files naming the platform's hosts, /proc/uptime the host's uptime, /proc/net/{tcp,tcp6,udp,udp6} its sockets, /proc/net/{if_inet6,route} its interfaces; /proc/PID takes the host's virtual pids (ENOENT for any other process), and its status and stat show them; open and openat come as user notifications but with O_PATH, openat2 always stops";

export const fileOpenSyscalls: FamilyTable = {
  getdents64: {
    level: 'mediated',
    handler: listDirectory,
    note: "/proc and /proc/PID/task list the host's tracees by their virtual ids, and no other process; other directories are listed by the kernel",
  },
  open: { level: 'mediated', handler: opening({ pathArgument: 0, flagsArgument: 1 }), note: NOTE },
  openat: { level: 'mediated', handler: opening({ pathArgument: 1, flagsArgument: 2 }), note: NOTE },
  openat2: { level: 'mediated', handler: opening({ pathArgument: 1, flagsArgument: 'open_how' }), note: NOTE },
};
