/**
 * The script `node --build-snapshot` runs (build-blob.ts): it runs the
 * CLI's bundle, dist/snapshot/cli.cjs, as Node.js would run it as that
 * script, but compiled with V8's --no-lazy. Each function of the bundle is
 * then compiled to bytecode before the snapshot is taken, and the snapshot
 * keeps it; compiled lazily, only the functions that ran while the snapshot
 * was built were, and a run compiled each other one it called at its first
 * call (parsing and bytecode generation were 8-16 % of a run's CPU). The
 * snapshot grows from 7.5 to 9.1 MB; a run of /bin/true from it costs
 * 87 ms of CPU against 97, and `--help`, which compiles little, 62 against
 * 58 (medians of 15 interleaved). Node.js's own
 * modules stay lazy: compiling all of them too doubles the snapshot, and
 * gains nothing.
 *
 * Plain JavaScript that scripts/bundle-snapshot.js copies beside the
 * bundle: tsc's CommonJS output writes to `exports`, which the snapshot
 * builder does not give its script.
 */
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setFlagsFromString } = require('node:v8');
const { runInThisContext } = require('node:vm');

const bundle = join(__dirname, 'cli.cjs');
const source = readFileSync(bundle, 'latin1');
setFlagsFromString('--no-lazy');
let run;
try {
  // Node.js's own wrapper of a CommonJS module, around the bundle (one-byte source: scripts/bundle-snapshot.js).
  run = runInThisContext(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: bundle });
} finally {
  setFlagsFromString('--lazy');
}
const bundleModule = { exports: {} };
run(bundleModule.exports, require, bundleModule, bundle, __dirname);
