// A clone's `npm install` (npm's prepare step, which never runs for a
// package installed from the registry or a tarball): builds dist/ and the
// addon from source, as the README's two commands need. `npm pack` and
// `npm publish` run prepare too: they skip it here, the release build is
// prepublishOnly's (`npm run build`), and pack-check packs what is built.
//
// Without cargo on PATH, a prebuilt addon package that fits this machine
// (simterpose-linux-x64-gnu, an optional dependency) does instead.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function run(command, args) {
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

function hasCargo() {
  try {
    execFileSync('cargo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The error loading the addon gives (a local build or a prebuilt package), or undefined when it loads. */
async function addonLoadError() {
  try {
    await import(pathToFileURL(join(root, 'native', 'ptrace-rs', 'index.js')).href);
    return undefined;
  } catch (error) {
    return error;
  }
}

if (['install', 'ci'].includes(process.env.npm_command)) {
  run('npm', ['run', 'build:ts']);
  if (hasCargo()) {
    run('npm', ['run', 'build:native']);
  } else {
    const error = await addonLoadError();
    if (error !== undefined) {
      console.error(`simterpose: building the addon (native/ptrace-rs) needs Rust's cargo on PATH, and no prebuilt addon package fits this machine`);
      process.exit(1);
    }
    console.error('simterpose: no cargo on PATH: the prebuilt addon package stands in for a build of native/ptrace-rs');
  }
}
