import { SERVED_PATHS as CPU_FILE_PATHS } from '../../host/cpu-files.js';
import { NAME_FILE_PATHS } from '../../host/name-files.js';
import type { FamilyTable, SyscallContext } from '../context.js';
import { NATIVE, instead, type Outcome } from '../outcome.js';

/**
 * Opening files stays native, except for the few files through which a
 * program counts CPUs (host/cpu-files.ts) or learns host names
 * (host/name-files.ts): for those, the path argument is pointed at a file
 * generated for the host, for that one call.
 * Every other open pays one stop and one short read of its path.
 */

const SERVED_PATHS: ReadonlySet<string> = new Set([...CPU_FILE_PATHS, ...NAME_FILE_PATHS]);
/** Longer paths are none of the served ones: no need to read further. */
const LONGEST_SERVED = Math.max(...[...SERVED_PATHS].map((path) => path.length));

const opening =
  (pathArgument: number) =>
  (ctx: SyscallContext): Outcome => {
    const path = ctx.memory.cString(ctx.args[pathArgument]!, LONGEST_SERVED + 1);
    if (!SERVED_PATHS.has(path)) return NATIVE;
    const { services } = ctx;
    const host = ctx.process.host;
    const served = NAME_FILE_PATHS.has(path) ? services.nameFiles.pathFor(path, host) : services.cpuFiles.pathFor(path, services.coresOf(host));
    const generated = Buffer.from(`${served}\0`);
    const address = ctx.scratchBelowStack(generated.length);
    ctx.memory.write(address, generated);
    const args = [...ctx.args];
    args[pathArgument] = address;
    return instead(ctx.sysno, args);
  };

const NOTE =
  "runs in the kernel; /proc/cpuinfo, /proc/stat and /sys/devices/system/cpu/{online,possible,present} open files describing the host's cores, /etc/hosts and /etc/hostname files naming the platform's hosts";

export const fileOpenSyscalls: FamilyTable = {
  open: { level: 'mediated', handler: opening(0), note: NOTE },
  openat: { level: 'mediated', handler: opening(1), note: NOTE },
  openat2: { level: 'mediated', handler: opening(1), note: NOTE },
};
