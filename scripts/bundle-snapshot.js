// Bundles the CLI for its startup snapshot (bin/simterpose): src/snapshot/entry.ts,
// as tsc wrote it to dist/snapshot/entry.js, and every module it imports, into
// one CommonJS file, dist/snapshot/cli.cjs, the script that
// `node --build-snapshot` runs (dist/snapshot/build-blob.js). Such a script
// may require only Node.js's built-in modules, so everything else is in the
// file, dynamic imports included, and two modules are swapped for their
// snapshot versions in src/snapshot:
// - the ptrace addon's: the snapshot holds the addon's generated loader but
//   cannot hold the addon, which is loaded when the snapshot starts;
// - the SimGrid module's JavaScript half, which the snapshot holds compiled.
// pino stays out, required from node_modules when something is logged, as in
// dist/bundle (scripts/bundle-cli.js). src/snapshot/build-main.cjs, the
// script the builder runs, which compiles the bundle whole, goes beside it.
import { copyFileSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/snapshot/cli.cjs`;
const swapped = {
  [`${root}dist/mediator/addon.js`]: `${root}dist/snapshot/addon.js`,
  [`${root}dist/sim/simgrid-factory.js`]: `${root}dist/snapshot/simgrid-factory.js`,
};
const addonLoader = `${root}native/ptrace-rs/index.js`;

rmSync(out, { force: true });
await build({
  cwd: root,
  input: `${root}dist/snapshot/entry.js`,
  platform: 'node',
  external: [/^node:/, 'pino', 'pino-pretty'],
  logLevel: 'warn',
  plugins: [
    {
      name: 'snapshot-modules',
      async resolveId(source, importer) {
        const resolved = await this.resolve(source, importer, { skipSelf: true });
        return resolved && swapped[resolved.id] ? swapped[resolved.id] : null;
      },
      // The addon's loader finds its .node files from its own URL: the bundle's would be dist/snapshot's.
      transform(code, id) {
        if (id !== addonLoader) return null;
        return code.replaceAll('import.meta.url', "(__dirname + '/../../native/ptrace-rs/index.js')");
      },
    },
  ],
  output: {
    file: out,
    format: 'cjs',
    codeSplitting: false,
    // One-byte source (no comments, only ASCII): V8 keeps it in the snapshot, where a two-byte string takes twice the room.
    minify: true,
    charset: 'ascii',
  },
});
copyFileSync(`${root}src/snapshot/build-main.cjs`, `${root}dist/snapshot/build-main.cjs`);
