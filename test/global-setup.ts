import { execFile } from 'node:child_process';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { APPS_BIN_DIR, APPS_SOURCE_DIR, REPO_ROOT } from './helpers/paths.js';

const run = promisify(execFile);

const GCC_FLAGS = ['-O1', '-Wall', '-Werror', '-pthread'];
const GO = '/usr/local/go/bin/go';
/** Built a second time, statically linked: no dynamic loader, no libc.so. */
const ALSO_STATIC = ['hello'];

declare module 'vitest' {
  export interface ProvidedContext {
    /** tsc's or the bundler's output when dist/ could not be rebuilt; null when dist/ is fresh. */
    distBuildError: string | null;
  }
}

/**
 * Compiles the test programs into test/apps/bin (skipping those newer than
 * their sources) and rebuilds dist/ so that end-to-end tests run the current
 * CLI. A failing test program build fails the run; a failing dist/ build only
 * fails the tests that run the CLI, with tsc's output, so unit tests still report.
 */
export default async function setup(project: TestProject): Promise<void> {
  await mkdir(APPS_BIN_DIR, { recursive: true });
  await Promise.all([buildCPrograms(), buildGoProgram()]);
  project.provide('distBuildError', await buildDist());
}

async function buildCPrograms(): Promise<void> {
  const entries = await readdir(APPS_SOURCE_DIR);
  const sources = entries.filter((name) => name.endsWith('.c'));
  const headers = entries.filter((name) => name.endsWith('.h')).map((name) => join(APPS_SOURCE_DIR, name));
  const builds = sources.flatMap((source) => {
    const name = source.slice(0, -'.c'.length);
    const inputs = [join(APPS_SOURCE_DIR, source), ...headers];
    const variants = [{ output: name, extra: [] as string[] }];
    if (ALSO_STATIC.includes(name)) variants.push({ output: `${name}-static`, extra: ['-static'] });
    return variants.map(({ output, extra }) =>
      buildIfStale(join(APPS_BIN_DIR, output), inputs, () =>
        compile('gcc', [...GCC_FLAGS, ...extra, '-o', join(APPS_BIN_DIR, output), join(APPS_SOURCE_DIR, source)], REPO_ROOT),
      ),
    );
  });
  await Promise.all(builds);
}

async function buildGoProgram(): Promise<void> {
  const goDir = join(APPS_SOURCE_DIR, 'go');
  const inputs = (await readdir(goDir)).map((name) => join(goDir, name));
  const output = join(APPS_BIN_DIR, 'go-app');
  await buildIfStale(output, inputs, () =>
    compile(GO, ['build', '-o', output, '.'], goDir, {
      // A cache inside the ignored bin/ works as root on CI and needs no network.
      GOCACHE: join(APPS_BIN_DIR, '.gocache'),
      GOTOOLCHAIN: 'local',
      GOFLAGS: '',
      // A static binary: the Go runtime makes its own raw syscalls, no libc.
      CGO_ENABLED: '0',
    }),
  );
}

async function buildIfStale(output: string, inputs: string[], build: () => Promise<void>): Promise<void> {
  const built = await modifiedAt(output);
  if (built !== undefined) {
    const newestInput = Math.max(...(await Promise.all(inputs.map(async (input) => (await modifiedAt(input)) ?? Infinity))));
    if (built >= newestInput) return;
  }
  await build();
}

async function modifiedAt(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return undefined;
  }
}

async function compile(command: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<void> {
  try {
    await run(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `building a test program failed: ${command} ${args.join(' ')}\n${failure.stderr ?? ''}${failure.stdout ?? ''}` +
        (failure.stderr || failure.stdout ? '' : failure.message),
    );
  }
}

/**
 * As `npm run build:ts` builds it: tsc's modules, then the CLI bundled from
 * them (bin/simterpose.js runs the bundle), and bundled for its startup
 * snapshot (bin/simterpose starts from one).
 */
async function buildDist(): Promise<string | null> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    await run(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-cli.js')], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    await run(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle-snapshot.js')], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
    return null;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    const output = `${failure.stdout ?? ''}${failure.stderr ?? ''}`.trim() || failure.message;
    process.stderr.write(`global setup: building dist/ (npm run build:ts) failed; tests that run the CLI will fail:\n${output}\n`);
    return output;
  }
}
