import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);

/**
 * The folder of SimGrid's own example platforms (examples/platforms in the
 * source of the SimGrid that simterpose is built on). They come from the
 * source tarball that native/simgrid-wasm/source.sh fetches from Debian's
 * archive into its ignored work folder, as the WebAssembly build gets it;
 * both are kept there, so only the first call downloads and unpacks.
 * Rejects when the source cannot be had.
 */
export async function simgridExamplePlatforms(): Promise<string> {
  const { stdout } = await run('bash', [join(REPO_ROOT, 'native', 'simgrid-wasm', 'source.sh')], { maxBuffer: 64 << 20 });
  const tarball = stdout.trim();
  const version = /simgrid_([\d.]+)\.orig\.tar\.xz$/.exec(tarball)?.[1];
  if (version === undefined) throw new Error(`native/simgrid-wasm/source.sh printed no tarball path: ${stdout}`);
  const folder = join(dirname(tarball), `examples-${version}`, 'platforms');
  if (existsSync(folder)) return folder;
  // Unpacked beside, then moved in one step: an interrupted unpacking leaves no half folder behind.
  const unpacking = await mkdtemp(join(dirname(tarball), 'examples-unpacking-'));
  try {
    await run('tar', ['-xJf', tarball, '-C', unpacking, '--wildcards', `simgrid-${version}/examples/platforms/*`]);
    await mkdir(dirname(folder), { recursive: true });
    await rename(join(unpacking, `simgrid-${version}`, 'examples', 'platforms'), folder);
  } finally {
    await rm(unpacking, { recursive: true, force: true });
  }
  return folder;
}
