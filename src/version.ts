import { readFileSync } from 'node:fs';

/** simterpose's version, as package.json gives it. */
export function simterposeVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
