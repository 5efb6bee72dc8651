import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { UserError } from './errors.js';
import { EXIT_STATUS } from './exit-status.js';

const CANNOT_EXECUTE = EXIT_STATUS.cannotExecute;

function executableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the executable a program name designates, as execvp would: a name
 * with a slash is a path (relative to `cwd`), anything else is looked up on PATH.
 */
export function resolveProgram(name: string, cwd: string, path = process.env['PATH'] ?? '/usr/bin:/bin'): string {
  if (name.includes('/')) {
    const full = isAbsolute(name) ? name : resolve(cwd, name);
    try {
      statSync(full);
    } catch {
      throw new UserError(`cannot execute '${name}': no such file`, undefined, CANNOT_EXECUTE);
    }
    if (!executableFile(full)) throw new UserError(`cannot execute '${name}': not an executable file`, undefined, CANNOT_EXECUTE);
    return full;
  }
  for (const folder of path.split(delimiter)) {
    const candidate = join(folder === '' ? '.' : resolve(cwd, folder), name);
    if (executableFile(candidate)) return candidate;
  }
  throw new UserError(`cannot execute '${name}': not found on PATH`, undefined, CANNOT_EXECUTE);
}
