import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { constants } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { APPS_BIN_DIR, REPO_ROOT } from './paths.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  /** Exit status, or null when killed by a signal. */
  status: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunOptions {
  /** Working directory of the command (the repository root by default). */
  cwd?: string;
  /** Extra environment variables, on top of this process's. */
  env?: Record<string, string>;
  /** Killed with SIGKILL past this, and the run rejects (45 s by default). */
  timeoutMs?: number;
  /** Run as this user (and the group of the same number): as root, a test of what another user may not do. */
  uid?: number;
}

export interface SimterposeOptions extends RunOptions {
  /** Platform file, relative to the repository root. */
  platform?: string;
  /** Options of `simterpose run`, placed before the platform file. */
  runOptions?: string[];
}

export const DEFAULT_PLATFORM = 'platforms/two-hosts.xml';
const SIMTERPOSE_CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

/**
 * A deployment of net_transfer on platforms/two-hosts.xml: alice sends
 * `bytes` to bob from 0.1 s, 64 KiB a write, and bob prints when the last
 * byte came ("last byte at S"), a date the network model decides.
 */
export function netTransferDeployment(bytes: number): string {
  return `<?xml version='1.0'?>
<platform version="4.1">
  <actor host="bob" function="${appPath('net_transfer')}"><argument value="recv"/><argument value="7001"/><argument value="${bytes}"/></actor>
  <actor host="alice" function="${appPath('net_transfer')}" start_time="0.1">
    <argument value="send"/><argument value="bob"/><argument value="7001"/><argument value="${bytes}"/><argument value="65536"/>
  </actor>
</platform>
`;
}

/** Path of a test program compiled by global setup (`hello`, `hello-static`, `go-app`...). */
export function appPath(name: string): string {
  return join(APPS_BIN_DIR, name);
}

/** The status a shell would report: the exit status, or 128+N when killed by signal N. */
export function shellStatus(result: RunResult): number {
  if (result.status !== null) return result.status;
  if (result.signal !== null) return 128 + constants.signals[result.signal];
  throw new Error('a run ended with neither an exit status nor a signal');
}

/** Runs a command directly. A command that cannot be spawned rejects. */
export function runNative(argv: string[], options: RunOptions = {}): Promise<RunResult> {
  return runCommand(argv, options);
}

/**
 * Runs `simterpose run <platform> -- <argv>` through the CLI in bin/, which
 * needs dist/: global setup rebuilt it, and this rejects with tsc's errors if
 * that failed.
 */
export function runSimterpose(argv: string[], options: SimterposeOptions = {}): Promise<RunResult> {
  const { platform = DEFAULT_PLATFORM, runOptions = [], ...rest } = options;
  // --quiet: the summary table would otherwise follow the program's own stderr, which tests compare.
  return runCli(['run', '--quiet', ...runOptions, platform, '--', ...argv], rest);
}

/** Runs `simterpose ARGS` (any command) through the CLI in bin/; rejects with tsc's errors if global setup could not build dist/. */
export function runCli(args: string[], options: RunOptions = {}): Promise<RunResult> {
  const distBuildError = inject('distBuildError');
  if (distBuildError !== null) {
    return Promise.reject(new Error(`dist/ could not be built, so the CLI cannot run:\n${distBuildError}`));
  }
  return runCommand([process.execPath, SIMTERPOSE_CLI, ...args], options);
}

function runCommand(argv: string[], options: RunOptions): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new Error('no command to run'));
  const timeoutMs = options.timeoutMs ?? 45_000;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        status,
        signal,
      };
      if (timedOut) {
        reject(new Error(`${argv.join(' ')} ran past ${timeoutMs} ms and was killed\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`));
      } else {
        resolve(result);
      }
    });
  });
}

/** A TCP port on 127.0.0.1 that nothing listens on now, for a native run of a server. */
export function freeTcpPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}
