#!/usr/bin/env node
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// A reader that stops early (`simterpose run --help | head`) is no error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// Node.js 22.1 and later keep the code V8 compiled of the CLI (and of the
// modules it loads) in a cache on disk: later runs start without compiling
// it again. Node.js 20 has no such cache, and starts the slower for it. The
// cache goes to the user's cache folder, not Node.js's default in TMPDIR,
// where a run leaves nothing behind.
module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'simterpose', 'compile-cache'));

// The CLI as scripts/bundle-cli.js bundles it, a few files that load much
// faster than the two hundred modules tsc writes to dist/ (the library's).
const cli = await import('../dist/bundle/cli.js');
process.exitCode = await cli.main(process.argv);
