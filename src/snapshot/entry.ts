/**
 * The CLI as its startup snapshot holds it (see bin/simterpose, and
 * scripts/bundle-snapshot.js, which bundles this file and what it imports
 * into dist/snapshot/cli.cjs). Building the snapshot runs this module: every
 * module the CLI and a run need is loaded and evaluated then, and a run
 * started from the snapshot only calls the main function below. Whatever a
 * module reads of the process at its top level (environment, arguments,
 * terminal) would be the builder's: no module does, and one that did would
 * need to read it in a function instead.
 */
import module from 'node:module';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startupSnapshot } from 'node:v8';
import { constants, Script } from 'node:vm';
import { main } from '../cli.js';
import '../experiment.js';
import '../sim/index.js';
import { packagePath } from '../package-root.js';
import { userCacheFolder } from '../user-cache.js';
import { loadAddon } from './addon.js';
import { buildSnapshotLater } from './build-later.js';

const bundle = packagePath('dist/snapshot/cli.cjs');
/** The bundle this snapshot was built from: a rebuilt or updated one makes the snapshot stale. */
const built = statSync(bundle);

function stale(): boolean {
  try {
    const now = statSync(bundle);
    return now.ino !== built.ino || now.size !== built.size || now.mtimeMs !== built.mtimeMs;
  } catch {
    return true;
  }
}

/** This run goes as bin/simterpose.js runs it, and a snapshot of the current bundle is built for the next. */
async function withoutSnapshot(): Promise<void> {
  const blob = process.execArgv.indexOf('--snapshot-blob') + 1;
  // bin/simterpose found this very binary: build-blob.ts checked it when it built the snapshot, and the stamp says it has not changed.
  if (blob > 0 && blob < process.execArgv.length) buildSnapshotLater(process.execArgv[blob]!, process.execPath);
  // The snapshot's own functions have no module loader to import with: a
  // script compiled now has the main one. Node.js 22 warns that this is
  // experimental, which would add a line to the run's output.
  const bin = pathToFileURL(packagePath('bin/simterpose.js')).href;
  const emitWarning = process.emitWarning;
  process.emitWarning = () => {};
  let imported: Promise<unknown>;
  try {
    const script = new Script(`import(${JSON.stringify(bin)})`, { importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER });
    imported = script.runInThisContext() as Promise<unknown>;
  } finally {
    process.emitWarning = emitWarning;
  }
  await imported;
}

async function run(): Promise<void> {
  if (stale()) return withoutSnapshot();
  // As bin/simterpose.js does: a reader that stops early is no error, and pino's modules (loaded only to log) are compiled once.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  module.enableCompileCache?.(join(userCacheFolder(), 'compile-cache'));
  try {
    loadAddon();
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'AddonMissingError') throw error;
    process.stderr.write(`simterpose: ${error.message}\n`);
    process.exit(1);
  }
  // node, then the script bin/simterpose named (it is not run), then the CLI's arguments.
  process.exitCode = await main(process.argv);
}

startupSnapshot.setDeserializeMainFunction(() => {
  void run();
});
