import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runNative, type RunResult } from '../helpers/apps.js';
import { waitFor } from '../helpers/cli-process.js';
import { REPO_ROOT } from '../helpers/paths.js';

// bin/simterpose, the package's command, starts Node.js from a startup
// snapshot of the CLI (src/snapshot) once one was built for the node binary
// on PATH, and runs the CLI as bin/simterpose.js does otherwise. Each test
// has its own cache folder (XDG_CACHE_HOME), where the snapshots go.

const NODE = join(dirname(process.execPath), 'node');
const PLATFORM = join(REPO_ROOT, 'platforms', 'two-hosts.xml');
const scratch = mkdtempSync(join(tmpdir(), 'simterpose-snapshot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let caches = 0;
function environment(): Record<string, string> {
  const cache = join(scratch, `cache${caches++}`);
  return { XDG_CACHE_HOME: cache, PATH: `${dirname(NODE)}:${process.env.PATH}` };
}

/** Where bin/simterpose looks for the snapshot of the command at `launcher`, for the node found first on PATH. */
function blobOf(env: Record<string, string>, launcher: string): string {
  return `${env.XDG_CACHE_HOME}/simterpose/snapshot${launcher}${NODE}.blob`;
}

/** Builds it now, as bin/simterpose has it built in the background. */
async function buildSnapshot(env: Record<string, string>, root = REPO_ROOT): Promise<string> {
  const blob = blobOf(env, join(root, 'bin', 'simterpose'));
  const build = await runNative([process.execPath, join(root, 'dist', 'snapshot', 'build-blob.js'), blob, NODE], { env, timeoutMs: 120_000 });
  expect(build.status, build.stderr).toBe(0);
  return blob;
}

/** The timings a run measures (they differ between any two runs), and the spaces that align them in the summary table, left out. */
function withoutTimings(text: string): string {
  return text.replace(/\d+(\.\d+)? (ns|µs|ms|s)\b/g, 'T').replace(/ +/g, ' ');
}

interface Started extends RunResult {
  /** Whether the command's process ran node with --snapshot-blob. */
  fromSnapshot: boolean;
}

/**
 * Runs `bin/simterpose run` on a program that waits for a line on its
 * standard input: while it waits, the command's process (bin/simterpose,
 * which execs node) shows how node was started.
 */
function runWaitingProgram(env: Record<string, string>, root = REPO_ROOT): Promise<Started> {
  const child = spawn(join(root, 'bin', 'simterpose'), ['run', PLATFORM, '--', 'sh', '-c', 'read line; echo "got $line"; exit 3'], {
    cwd: scratch,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  const finished = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal })),
  );
  return (async () => {
    // node runs once sh exec'd it, and the program waits once simterpose wrote nothing yet (the read holds the line back).
    const argv = await waitFor(() => {
      const args = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8').split('\0');
      return args[0] === NODE || args[0] === process.execPath ? args : undefined;
    });
    child.stdin.end('hello\n');
    const { status, signal } = await finished;
    return {
      status,
      signal,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
      fromSnapshot: argv.includes('--snapshot-blob'),
    };
  })();
}

describe('bin/simterpose and the startup snapshot', () => {
  it('runs without a snapshot at first, has one built, then starts from it', { timeout: 180_000 }, async () => {
    const env = environment();
    const first = await runWaitingProgram(env);
    expect(first.fromSnapshot).toBe(false);
    expect(first.status).toBe(3);
    expect(first.stdout).toBe('got hello\n');
    const blob = blobOf(env, join(REPO_ROOT, 'bin', 'simterpose'));
    await waitFor(() => (existsSync(`${blob}.node`) ? true : undefined), 120_000);

    const second = await runWaitingProgram(env);
    expect(second.fromSnapshot).toBe(true);
    expect(second.status).toBe(3);
    expect(second.stdout).toBe('got hello\n');
    expect(withoutTimings(second.stderr)).toBe(withoutTimings(first.stderr));
  });

  it('prints from the snapshot what bin/simterpose.js prints, and exits alike', { timeout: 180_000 }, async () => {
    const env = environment();
    await buildSnapshot(env);
    const commands = [
      ['--version'],
      ['platform', PLATFORM],
      ['run', PLATFORM, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'],
      ['run', 'nosuch.xml', '--', '/bin/true'],
      ['run', '--frobnicate', PLATFORM, '--', '/bin/true'],
      ['run', PLATFORM, '--', '/nonexistent/program'],
    ];
    for (const args of commands) {
      const fromSnapshot = await runNative([join(REPO_ROOT, 'bin', 'simterpose'), ...args], { env, cwd: scratch });
      const without = await runNative([process.execPath, join(REPO_ROOT, 'bin', 'simterpose.js'), ...args], { env, cwd: scratch });
      expect(fromSnapshot.status, args.join(' ')).toBe(without.status);
      expect(fromSnapshot.stdout, args.join(' ')).toBe(without.stdout);
      expect(withoutTimings(fromSnapshot.stderr), args.join(' ')).toBe(withoutTimings(without.stderr));
    }
  });

  it('leaves a snapshot aside once the node binary changed', { timeout: 180_000 }, async () => {
    const env = environment();
    const blob = await buildSnapshot(env);
    expect((await runWaitingProgram(env)).fromSnapshot).toBe(true);
    // Another binary at the same path (an upgrade) has another modification time than the stamp's.
    utimesSync(`${blob}.node`, new Date('2001-01-01'), new Date('2001-01-01'));
    const run = await runWaitingProgram(env);
    expect(run.fromSnapshot).toBe(false);
    expect(run.status).toBe(3);
    expect(run.stdout).toBe('got hello\n');
  });

  describe('in a copy of the package', () => {
    /** The files a run needs, copied: a test may change them there. */
    function copyPackage(): string {
      const root = join(scratch, `package${caches++}`);
      mkdirSync(join(root, 'native', 'ptrace-rs'), { recursive: true });
      for (const part of [
        'package.json',
        'bin',
        'dist',
        'native/simgrid-wasm/dist',
        'native/ptrace-rs/index.js',
        'native/ptrace-rs/ptrace.linux-x64-gnu.node',
      ]) {
        cpSync(join(REPO_ROOT, part), join(root, part), { recursive: true });
      }
      return root;
    }

    it('runs the CLI as it is now when its bundle changed since the snapshot, and has the snapshot built again', { timeout: 180_000 }, async () => {
      const env = environment();
      const root = copyPackage();
      const blob = await buildSnapshot(env, root);
      const built = statSync(blob).mtimeMs;
      const bundle = join(root, 'dist', 'snapshot', 'cli.cjs');
      utimesSync(bundle, new Date(), new Date(Date.now() + 60_000));
      const run = await runWaitingProgram(env, root);
      expect(run.fromSnapshot).toBe(true);
      expect(run.status).toBe(3);
      expect(run.stdout).toBe('got hello\n');
      expect(run.stderr).not.toContain('Warning');
      await waitFor(() => (statSync(blob).mtimeMs > built ? true : undefined), 120_000);
    });

    it('forgets the snapshot of a command that is gone when it builds another', { timeout: 180_000 }, async () => {
      const env = environment();
      const root = copyPackage();
      const gone = await buildSnapshot(env, root);
      rmSync(root, { recursive: true });
      const kept = await buildSnapshot(env);
      expect(existsSync(gone)).toBe(false);
      expect(existsSync(`${gone}.node`)).toBe(false);
      expect(existsSync(kept)).toBe(true);
      expect(existsSync(`${kept}.node`)).toBe(true);
    });

    it('builds no snapshot of a bundle that cannot make one, and runs without', { timeout: 180_000 }, async () => {
      const env = environment();
      const root = copyPackage();
      writeFileSync(join(root, 'dist', 'snapshot', 'cli.cjs'), "require('./not-a-built-in-module');\n");
      const blob = blobOf(env, join(root, 'bin', 'simterpose'));
      const build = await runNative([process.execPath, join(root, 'dist', 'snapshot', 'build-blob.js'), blob, NODE], { env, timeoutMs: 120_000 });
      expect(build.status).toBe(0);
      expect(existsSync(blob)).toBe(false);
      expect(existsSync(`${blob}.failed`)).toBe(true);
      const run = await runWaitingProgram(env, root);
      expect(run.fromSnapshot).toBe(false);
      expect(run.status).toBe(3);
      expect(run.stdout).toBe('got hello\n');
    });
  });
});
