import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.js';

let version: string | undefined;

/** simterpose's version, as package.json gives it (read once: a run asks three times). */
export function simterposeVersion(): string {
  version ??= (JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string }).version;
  return version;
}
