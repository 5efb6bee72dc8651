import { closeSync, openSync, rmSync, statSync } from 'node:fs';

/**
 * What simterpose builds in the background for later runs (the CLI's
 * startup snapshot, SimGrid's code cache) is built by one process at a
 * time: the builder holds a lock file while it works.
 */

/** A build older than this is taken for one that died: another may start. */
const STALE_BUILD_MS = 10 * 60_000;

/** Whether a build holding `lock` is under way (its lock is there, and not that of a build that died long ago). */
export function buildUnderWay(lock: string): boolean {
  const since = statSync(lock, { throwIfNoEntry: false })?.mtimeMs;
  return since !== undefined && Date.now() - since < STALE_BUILD_MS;
}

/** Takes `lock` for this build: false when another build holds it. */
export function lockBuild(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch {
    if (buildUnderWay(lock)) return false;
    rmSync(lock, { force: true });
    closeSync(openSync(lock, 'wx'));
    return true;
  }
}
