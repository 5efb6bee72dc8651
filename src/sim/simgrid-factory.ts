import { createRequire } from 'node:module';
import { packagePath } from '../package-root.js';
import type { Factory } from './module.js';

/**
 * The JavaScript half of the SimGrid module, as Emscripten wrote it. The
 * CLI's startup snapshot, which holds it, replaces this module with
 * src/snapshot/simgrid-factory.ts.
 */
export function requireSimGridFactory(): Factory {
  return createRequire(packagePath('package.json'))(packagePath('native/simgrid-wasm/dist/simgrid.cjs')) as Factory;
}
