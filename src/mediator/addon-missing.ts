import { packagePath } from '../package-root.js';

/** No addon loads: no prebuilt addon package fits this machine, and none was built from source. */
export class AddonMissingError extends Error {
  constructor(cause: unknown) {
    const buildAddon = packagePath('scripts/build-addon.js');
    super(
      `no prebuilt addon fits this machine (${process.platform}-${process.arch}): build it from the sources the package ships, with Rust 1.88 or later: node ${buildAddon}`,
      { cause },
    );
    this.name = 'AddonMissingError';
  }
}

/**
 * The error to throw for one the addon's generated loader threw. Its own
 * message blames an npm bug; what a user meets is a machine no prebuilt addon
 * package (an optional dependency) fits.
 */
export function addonLoadError(error: unknown): unknown {
  if (error instanceof Error && error.message.startsWith('Cannot find native binding')) return new AddonMissingError(error);
  return error;
}
