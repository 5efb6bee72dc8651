import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const APPS_SOURCE_DIR = join(REPO_ROOT, 'test', 'apps');
/** Where global setup puts the compiled test programs (ignored by git). */
export const APPS_BIN_DIR = join(APPS_SOURCE_DIR, 'bin');
