// Bundles the CLI that tsc wrote to dist/ into dist/bundle: cli.js with what
// every command needs, and a chunk per dynamic import (a command's own
// modules, the mediator that only `run` loads). Node.js loads a few large
// files much faster than two hundred small ones: this is start-up time
// (bench/startup.js). The library (dist/index.js) stays tsc's modules.
//
// Paths to the package's own files are found from package.json
// (src/package-root.ts), never relative to a module, since bundling moves
// every module. pino stays out of the bundle: src/log.ts requires it from
// node_modules when something is logged, and its transports load files of
// its own package by path.
//
// Each file has its source map beside it (left out of the package, as
// dist/'s are): `node --enable-source-maps bin/simterpose.js` gives stack
// traces in dist/'s modules. It is not on by default: reading the maps at
// each start costs 10-25 ms of CPU, against a start-up target of 50.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));

// commander requires node:child_process as it loads, for the executable
// subcommands that simterpose never declares; loading it (and net, dgram,
// their bindings) costs every start about 2 ms of CPU. It gets a spawn that
// loads node:child_process on its first call instead.
const COMMANDER = /[\\/]node_modules[\\/]commander[\\/]/;
const LAZY_CHILD_PROCESS = '\0lazy-child-process';
const commandersChildProcess = (id, importer) => id === 'node:child_process' && importer !== undefined && COMMANDER.test(importer);
const lazyChildProcess = {
  name: 'lazy-child-process-for-commander',
  resolveId: (source, importer) => (commandersChildProcess(source, importer) ? LAZY_CHILD_PROCESS : null),
  load(id) {
    if (id !== LAZY_CHILD_PROCESS) return null;
    return [
      "import { createRequire } from 'node:module';",
      'const require = createRequire(import.meta.url);',
      "export function spawn(...args) { return require('node:child_process').spawn(...args); }",
    ].join('\n');
  },
};

const out = `${root}dist/bundle`;

rmSync(out, { recursive: true, force: true });
await build({
  cwd: root,
  input: { cli: `${root}dist/cli.js` },
  platform: 'node',
  external: (id, importer) => (/^node:/.test(id) && !commandersChildProcess(id, importer)) || id === 'pino' || id === 'pino-pretty',
  plugins: [lazyChildProcess],
  logLevel: 'warn',
  output: {
    dir: out,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
});
