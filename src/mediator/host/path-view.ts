import { readFileSync, statSync } from 'node:fs';
import { ptrace } from '../native.js';
import type { PathLook, PathView } from '../syscalls/proc-paths.js';

/** The looks that are no FIFO, made once: most opens get one. */
const IN_PROC: PathLook = { inProc: true, fifo: undefined };
const ELSEWHERE: PathLook = { inProc: false, fifo: undefined };

/** The mediator's own view, through the addon: Node's statSync costs several µs more, and most opens pay one (which also tells a FIFO, syscalls/fifo-opens.ts). */
export const HOST_PATHS: PathView = {
  look(path) {
    const look = ptrace.lookAt(path);
    // ENOENT, ENOTDIR, EACCES, ELOOP...: followed component by component.
    if (look === null) return undefined;
    // A FIFO's "dev:ino"; never in a proc file system.
    if (typeof look === 'string') return { inProc: false, fifo: look };
    return procDevices().has(look) ? IN_PROC : ELSEWHERE;
  },
  linkAt(path) {
    const target = ptrace.linkAt(path);
    if (target === null) return 'missing';
    return target === '' ? undefined : target;
  },
};

let cachedProcDevices: ReadonlySet<number> | undefined;

/**
 * The devices of the proc file systems mounted when the run started: /proc,
 * and any other (a bind mount of part of /proc shares its device). Tracees
 * cannot mount new ones (see refused.ts).
 */
function procDevices(): ReadonlySet<number> {
  if (cachedProcDevices !== undefined) return cachedProcDevices;
  const devices = new Set([statSync('/proc').dev]);
  // mountinfo: ID PARENT MAJOR:MINOR ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPEROPTIONS, spaces in paths as \040.
  for (const line of readFileSync('/proc/self/mountinfo', 'latin1').split('\n')) {
    const fields = line.split(' ');
    if (fields[fields.indexOf('-') + 1] !== 'proc') continue;
    const mountPoint = fields[4]!.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
    const device = statSync(mountPoint, { throwIfNoEntry: false })?.dev;
    if (device !== undefined) devices.add(device);
  }
  cachedProcDevices = devices;
  return devices;
}
