import { pathToFileURL } from 'node:url';
import { packagePath } from '../package-root.js';
import { addonLoadError } from './addon-missing.js';
import type * as Addon from '../../native/ptrace-rs/index.js';

async function loadAddon(): Promise<typeof Addon> {
  try {
    // A path computed at run time, which a bundler leaves alone: the loader stays beside its .node files.
    return (await import(pathToFileURL(packagePath('native/ptrace-rs/index.js')).href)) as typeof Addon;
  } catch (error) {
    throw addonLoadError(error);
  }
}

/**
 * The ptrace addon, loaded once. The CLI's startup snapshot, which can hold
 * no native addon, replaces this module with src/snapshot/addon.ts.
 */
export const ptrace = await loadAddon();
