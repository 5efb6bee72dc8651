import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/**
 * The folder simterpose is installed in (where its package.json is). Found
 * from this module upwards rather than at a fixed depth, because this module
 * runs from dist/ as tsc writes it, from src/ under vitest, and from the
 * bundled CLI in dist/bundle, each at its own depth.
 */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    folder = parent;
  }
  root = folder;
  return root;
}

/** A file or folder of the package, from its path relative to the package's root. */
export function packagePath(relative: string): string {
  return join(packageRoot(), relative);
}
