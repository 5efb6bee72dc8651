import { readFileSync } from 'node:fs';
import { packagePath } from './package-root.js';

/** simterpose's version, as package.json gives it. */
export function simterposeVersion(): string {
  const pkg = JSON.parse(readFileSync(packagePath('package.json'), 'utf8')) as { version: string };
  return pkg.version;
}
