// Bundles the CLI that tsc wrote to dist/ into dist/bundle: cli.js and the
// `start` chunk with what every command needs, a `mediator` chunk with the
// mediator and the network (`run` and the commands that read the syscall
// table), and a chunk per other dynamic import (a command's own modules,
// SimGrid's). Node.js loads a few large files much faster than two hundred
// small ones, or than the twenty small chunks rolldown would make of what
// the commands share (each costs 0.5 ms or so): this is start-up time
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
import { build, RolldownMagicString } from 'rolldown';

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

// An ES module's import of a builtin goes through a facade that reads each
// of its exports once, the lazy ones too: importing node:fs loads its
// streams and its promises API, node:util its argument parser and its diff,
// node:crypto the Web Crypto API. Each chunk takes the builtins as
// process.getBuiltinModule gives them, which loads nothing more (2 to 4 ms
// of CPU at each start).
const BUILTIN_IMPORT = /^import (?:(\w+), )?\{([^}]*)\} from "(node:[\w/]+)";$/gm;
const builtinsWithoutFacades = {
  name: 'builtins-without-facades',
  renderChunk(code) {
    const edited = new RolldownMagicString(code);
    for (const { 0: line, 1: whole, 2: names, 3: id, index } of code.matchAll(BUILTIN_IMPORT)) {
      const bindings = names
        .split(',')
        .map((name) => name.trim().replace(/^(\S+) as (\S+)$/, '$1: $2'))
        .filter((name) => name !== '')
        .join(', ');
      const builtin = `process.getBuiltinModule("${id}")`;
      edited.overwrite(
        index,
        index + line.length,
        whole === undefined ? `const { ${bindings} } = ${builtin};` : `const ${whole} = ${builtin}, { ${bindings} } = ${whole};`,
      );
    }
    return edited;
  },
};

const out = `${root}dist/bundle`;

rmSync(out, { recursive: true, force: true });
await build({
  cwd: root,
  input: { cli: `${root}dist/cli.js` },
  platform: 'node',
  external: (id, importer) => (/^node:/.test(id) && !commandersChildProcess(id, importer)) || id === 'pino' || id === 'pino-pretty',
  plugins: [lazyChildProcess, builtinsWithoutFacades],
  logLevel: 'warn',
  output: {
    dir: out,
    format: 'esm',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
    // Doc comments left out and every character ASCII (escaped in strings):
    // a third less to read and decode at each start, and sources V8 keeps
    // as one-byte strings, where a single → in a comment made the whole
    // chunk a two-byte one. Stack traces still point at the same code.
    comments: { legal: true, annotation: true, jsdoc: false },
    charset: 'ascii',
    // Every module that cli.js imports, however far down, is in `start` (tag
    // $initial): a module of the mediator imported from there loads at every start.
    codeSplitting: {
      groups: [
        { name: 'start', tags: ['$initial'], priority: 2 },
        { name: 'mediator', test: /[\\/]dist[\\/](mediator|net)[\\/]/, priority: 1 },
      ],
    },
  },
});
