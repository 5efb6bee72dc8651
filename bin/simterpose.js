#!/usr/bin/env node
import { fileURLToPath } from 'node:url';

// A reader that stops early (`simterpose run --help | head`) is no error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  // What the generated addon loader throws when neither a prebuilt addon
  // package nor a local build fits this machine.
  if (!String(error?.message).startsWith('Cannot find native binding')) throw error;
  const buildAddon = fileURLToPath(new URL('../scripts/build-addon.js', import.meta.url));
  process.stderr.write(
    `simterpose: no prebuilt addon fits this machine (${process.platform}-${process.arch}): build it from the sources the package ships, with Rust 1.88 or later: node ${buildAddon}\n`,
  );
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
