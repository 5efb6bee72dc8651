import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { buildUnderWay } from '../background-build.js';
import { packagePath } from '../package-root.js';

function modified(file: string): number | undefined {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

/**
 * Builds the CLI's startup snapshot into `blob` in the background
 * (build-blob.ts), for the next runs: this run goes on without it. Not while
 * another build is under way, nor again after a build of this bundle failed.
 * `node` is the path bin/simterpose found Node.js at.
 */
export function buildSnapshotLater(blob: string, node: string): void {
  if (buildUnderWay(`${blob}.building`)) return;
  const failed = modified(`${blob}.failed`);
  if (failed !== undefined && failed >= (modified(packagePath('dist/snapshot/cli.cjs')) ?? Infinity)) return;
  spawn(process.execPath, [packagePath('dist/snapshot/build-blob.js'), blob, node], { detached: true, stdio: 'ignore' }).unref();
}
