import { addonLoadError } from '../mediator/addon-missing.js';
import type * as Addon from '../../native/ptrace-rs/index.js';

/**
 * The ptrace addon in the CLI's startup snapshot, in place of
 * src/mediator/addon.ts: a snapshot can hold no native addon, so the
 * snapshot's main function loads it as the process starts. Until then it is
 * unset, which no module's top level uses.
 */
export let ptrace: typeof Addon;

export function loadAddon(): void {
  try {
    // Bundled with the snapshot (scripts/bundle-snapshot.js): its code is compiled already, and it loads its .node file from its own folder.
    ptrace = require('../../native/ptrace-rs/index.js') as typeof Addon;
  } catch (error) {
    throw addonLoadError(error);
  }
}
