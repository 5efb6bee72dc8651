#!/usr/bin/env node
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
  // No addon loads on this machine: one line saying how to build one (src/mediator/native.ts), not a stack trace.
  if (error?.name !== 'AddonMissingError') throw error;
  process.stderr.write(`simterpose: ${error.message}\n`);
  process.exit(1);
}
process.exitCode = await cli.main(process.argv);
