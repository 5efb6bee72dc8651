import { accessSync, constants, existsSync, mkdirSync, statSync, statfsSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from './errors.js';

/**
 * The kernel's own filesystems, by statfs magic (linux/magic.h): writing
 * there changes settings or fails in odd ways, and never keeps a file (Node's
 * recursive mkdir even loops forever under /proc).
 */
const KERNEL_FILESYSTEMS = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
]);

/**
 * Refuses, before any program runs, a file that `option` could not write
 * once the run is over: in a missing folder, where this process may not
 * write, on a kernel filesystem, or a folder itself. A device or a pipe
 * (/dev/stdout, a shell's process substitution) is welcome.
 */
export function checkOutputFile(option: string, path: string): void {
  const refuse = (why: string): UserError => new UserError(`${option}: cannot write ${path}: ${why}`);
  const full = resolve(path);
  const existing = statOrUndefined(full, refuse);
  if (existing?.isDirectory()) throw refuse('it is a folder');
  if (existing !== undefined) {
    if (existing.isFile()) refuseKernelFilesystem(full, refuse);
    if (!writable(full, constants.W_OK)) throw refuse('no permission');
    return;
  }
  const folder = dirname(full);
  const parent = statOrUndefined(folder, refuse);
  if (parent === undefined) throw refuse(`folder ${dirname(path)} does not exist`);
  checkFolder(folder, parent, refuse);
}

/** Refuses, before any program runs, a folder that `option` could not create or write files in. */
export function checkOutputFolder(option: string, path: string): void {
  const refuse = (why: string): UserError => new UserError(`${option}: cannot write in ${path}: ${why}`);
  let folder = resolve(path);
  let existing = statOrUndefined(folder, refuse);
  // It is created with its missing parents: the nearest existing one must take them.
  while (existing === undefined) {
    folder = dirname(folder);
    existing = statOrUndefined(folder, refuse);
  }
  checkFolder(folder, existing, refuse);
}

/** Creates `path` and its missing parents, one at a time (Node's recursive mkdir can loop forever where mkdir fails oddly). */
export function makeFolder(path: string): void {
  const full = resolve(path);
  if (existsSync(full)) return;
  const parent = dirname(full);
  if (parent !== full) makeFolder(parent);
  try {
    mkdirSync(full);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

function checkFolder(folder: string, stats: Stats, refuse: (why: string) => Error): void {
  if (!stats.isDirectory()) throw refuse(`${folder} is not a folder`);
  refuseKernelFilesystem(folder, refuse);
  if (!writable(folder, constants.W_OK | constants.X_OK)) throw refuse(`no permission to write in ${folder}`);
}

function refuseKernelFilesystem(path: string, refuse: (why: string) => Error): void {
  const kernel = KERNEL_FILESYSTEMS.get(statfsSync(path).type);
  if (kernel !== undefined) throw refuse(`it is on the kernel's ${kernel} filesystem, which keeps no files`);
}

/** Its stats, undefined if nothing is there; any other failure is the user's to fix. */
function statOrUndefined(path: string, refuse: (why: string) => Error): Stats | undefined {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ENOTDIR') throw refuse(`a folder on its way is a file`);
    throw refuse((error as Error).message);
  }
}

function writable(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
