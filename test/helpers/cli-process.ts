import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

const CLI = join(REPO_ROOT, 'bin', 'simterpose.js');

/** A `simterpose` command still running: the test acts on it (signals, input) while it goes on. */
export interface RunningCli {
  child: ChildProcess;
  /** Its real pid. */
  pid: number;
  /** Resolves once it exited, with what it printed. */
  finished: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Starts `simterpose ARGS` with a pipe as its stdin, which the test may write to or close. */
export function startSimterpose(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk));
  const finished = new Promise<Awaited<RunningCli['finished']>>((resolve) => {
    child.on('close', (status, signal) =>
      resolve({ status, signal, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') }),
    );
  });
  return { child, pid: child.pid!, finished };
}

/** Descendants of `pid` that still exist and are not zombies. */
export function liveDescendants(pid: number): number[] {
  const children = (parent: number): number[] => {
    const path = `/proc/${parent}/task/${parent}/children`;
    if (!existsSync(path)) return [];
    return readFileSync(path, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  };
  const all: number[] = [];
  const queue = children(pid);
  while (queue.length > 0) {
    const next = queue.shift()!;
    all.push(next);
    queue.push(...children(next));
  }
  return all.filter(isLive);
}

/** Whether `pid` is a process that runs (not a zombie, not gone). */
export function isLive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
}

/** The program name of a live process (its comm). */
export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Waits until `ready` returns something other than undefined, for at most `ms` milliseconds. */
export async function waitFor<T>(ready: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = ready();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not ready after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
