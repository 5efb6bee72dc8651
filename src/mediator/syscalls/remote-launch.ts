import { readlinkSync, realpathSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { packagePath } from '../../package-root.js';
import { POINTER_SIZE, readPointer } from '../abi/tracee-memory.js';
import type { SyscallContext } from './context.js';
import { instead, type Outcome } from './outcome.js';

/**
 * simterpose-remote (bin/simterpose-remote), the ssh of the simulated
 * platform: a program that execs it to run a command on another host (as
 * mpiexec, pdsh or a cluster's start scripts run ssh) is moved to that
 * host at the exec, and execs `sh -c COMMAND` there instead, with its
 * descriptors, working directory and environment. Its parent still sees
 * it as the child it started, by the same pid, and collects its status as
 * it would an ssh's. Only execve is recognised (not execveat).
 */

const SCRIPT = packagePath('bin/simterpose-remote');
/** The names it is execed by: its own, and ssh's where a link so named points to it (for scripts that call ssh). */
const NAMES: ReadonlySet<string> = new Set([basename(SCRIPT), 'ssh']);
let scriptPath: string | undefined;

/** ssh's options that take a value (`-o OPTION`, `-p PORT`...), as its manual lists them. */
const OPTIONS_WITH_VALUE = new Set('BbcDEeFIiJLlmOoPpQRSWw');
/** The arguments read at most: a command line longer than this is no launcher's. */
const MAX_ARGUMENTS = 4096;

/** What an ssh command line asks: the host (USER@ dropped) and the command, its words joined by spaces; undefined without a host. */
export function parseRemoteCommand(args: readonly string[]): { host: string; command: string | undefined } | undefined {
  let at = 0;
  while (at < args.length && args[at]!.startsWith('-')) {
    const option = args[at++]!;
    if (option === '--') break;
    // Flags group (-xq); a value follows its option in the same word or in the next one.
    for (let i = 1; i < option.length; i++) {
      if (!OPTIONS_WITH_VALUE.has(option[i]!)) continue;
      if (i === option.length - 1) at++;
      break;
    }
  }
  const target = args[at];
  if (target === undefined) return undefined;
  const words = args.slice(at + 1);
  return { host: target.slice(target.lastIndexOf('@') + 1), command: words.length === 0 ? undefined : words.join(' ') };
}

/** The execve of simterpose-remote, turned into the command's on its host; undefined for any other exec. */
export function remoteLaunch(ctx: SyscallContext): Outcome | undefined {
  const [pathAddress, argvAddress, envp] = ctx.args as [number, number, number];
  const path = ctx.memory.cString(pathAddress, 4096);
  if (!NAMES.has(basename(path)) || !isScript(ctx, path)) return undefined;
  const args: string[] = [];
  for (let i = 1; i < MAX_ARGUMENTS; i++) {
    const pointer = readPointer(ctx.memory, argvAddress, i);
    if (pointer === 0) break;
    args.push(ctx.memory.cString(pointer, 1 << 20));
  }
  const request = parseRemoteCommand(args);
  const host = request === undefined ? undefined : hostNamed(ctx, request.host);
  // The script itself then says what is wrong.
  if (request === undefined || host === undefined) return undefined;
  ctx.services.tracees.moveProcess(ctx.process, host);
  const argv = request.command === undefined ? ['sh'] : ['sh', '-c', request.command];
  const [shell, argvCopy] = writeBelowStack(ctx, '/bin/sh', argv);
  return instead(ctx.sysno, [shell, argvCopy, envp]);
}

/** Whether `path`, as the caller names it (relative to its working directory), is bin/simterpose-remote. */
function isScript(ctx: SyscallContext, path: string): boolean {
  try {
    scriptPath ??= realpathSync(SCRIPT);
    return realpathSync(resolve(readlinkSync(`/proc/${ctx.thread.tid}/cwd`), path)) === scriptPath;
  } catch {
    return false;
  }
}

/** The platform's host that `name` designates: a host's name or virtual address; localhost is the caller's. */
function hostNamed(ctx: SyscallContext, name: string): string | undefined {
  if (name === 'localhost') return ctx.process.host;
  const { addresses } = ctx.services.network;
  return addresses.entries.find((entry) => entry.host === name)?.host ?? addresses.hostAt(name);
}

/** `path` and the NULL-terminated `argv` written below the caller's stack: their addresses. */
function writeBelowStack(ctx: SyscallContext, path: string, argv: readonly string[]): [number, number] {
  const strings = [path, ...argv].map((text) => Buffer.from(`${text}\0`));
  const pointers = Buffer.alloc((argv.length + 1) * POINTER_SIZE);
  const bytes = Buffer.concat([pointers, ...strings]);
  const address = ctx.scratchBelowStack(bytes.length);
  let at = address + pointers.length + strings[0]!.length;
  argv.forEach((_, index) => {
    bytes.writeBigUInt64LE(BigInt(at), index * POINTER_SIZE);
    at += strings[index + 1]!.length;
  });
  ctx.memory.write(address, bytes);
  return [address + pointers.length, address];
}
