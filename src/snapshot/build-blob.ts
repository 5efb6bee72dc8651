import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { lockBuild } from '../background-build.js';
import { packagePath } from '../package-root.js';
import { simterposeVersion } from '../version.js';

/**
 * Builds the CLI's startup snapshot (entry.ts, bundled as dist/snapshot/cli.cjs,
 * compiled whole by build-main.cjs) for the Node.js binary running this
 * script, into the file named by its first argument: `node dist/snapshot/build-blob.js BLOB NODE`, NODE being
 * where bin/simterpose found that binary. bin/simterpose starts from BLOB
 * when BLOB.node, the stamp written beside it, has NODE's modification time.
 *
 * NODE must be the binary itself (or a link to it), not a version manager's
 * shim that runs whichever Node.js is chosen: the shim's time would not
 * change when another Node.js is chosen, and that one refuses the snapshot
 * (it exits with status 14). No snapshot is built for a shim.
 *
 * The blob is built under another name, tried, and only then renamed into
 * place: a run never starts from a blob half written, or one that does not
 * start (Node.js crashes on a damaged blob). A failed build leaves
 * BLOB.failed, and no build is tried again for the same bundle.
 */
const [blob, node] = process.argv.slice(2);
if (blob === undefined || node === undefined) throw new Error('usage: node build-blob.js BLOB NODE');
const bundle = packagePath('dist/snapshot/cli.cjs');
const lock = `${blob}.building`;
const attempt = `${blob}.${process.pid}`;

function isTheBinary(): boolean {
  try {
    return realpathSync(node) === process.execPath;
  } catch {
    return false;
  }
}

function build(): boolean {
  if (!isTheBinary()) return false;
  const made = spawnSync(process.execPath, ['--snapshot-blob', attempt, '--build-snapshot', packagePath('dist/snapshot/build-main.cjs')], { stdio: 'ignore' });
  if (made.status !== 0) return false;
  const tried = spawnSync(process.execPath, ['--snapshot-blob', attempt, bundle, '--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return tried.status === 0 && tried.stdout.trim() === simterposeVersion();
}

/** The stamp: an empty file with the Node.js binary's modification time, which touch copies to the nanosecond (utimes would round it). */
function stamp(): boolean {
  writeFileSync(`${attempt}.node`, '');
  return spawnSync('touch', ['-r', node, `${attempt}.node`]).status === 0;
}

/**
 * Removes the snapshots of commands that are gone (a package removed, or a
 * temporary install as npx and scripts/pack-check.sh make): each takes
 * 7.5 MB. A snapshot's path, inside the folder of snapshots, is the
 * command's path and then the node binary's: the command is gone when no
 * file ends a prefix of that path.
 */
function forgetGoneCommands(): void {
  const folder = blob.slice(0, blob.indexOf('/simterpose/snapshot/') + '/simterpose/snapshot'.length);
  for (const entry of readdirSync(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.blob(\.node|\.failed)?$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    const parts = file.slice(folder.length + 1).split('/');
    const commandThere = parts.slice(0, -1).some((_, i) => statSync(`/${parts.slice(0, i + 1).join('/')}`, { throwIfNoEntry: false })?.isFile());
    if (!commandThere) rmSync(file, { force: true });
  }
}

mkdirSync(dirname(blob), { recursive: true });
if (!lockBuild(lock)) process.exit(0);
try {
  if (build() && stamp()) {
    renameSync(attempt, blob);
    renameSync(`${attempt}.node`, `${blob}.node`);
    rmSync(`${blob}.failed`, { force: true });
    forgetGoneCommands();
  } else {
    writeFileSync(`${blob}.failed`, '');
  }
} finally {
  rmSync(attempt, { force: true });
  rmSync(`${attempt}.node`, { force: true });
  rmSync(lock, { force: true });
}
