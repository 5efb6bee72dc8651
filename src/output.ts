import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { UserError } from './errors.js';
import type { ExperimentOptions } from './experiment.js';
import type { LaunchSpec, Mediator } from './mediator/mediator.js';
import { ptrace } from './mediator/native.js';
import type { Process } from './mediator/tracees/tracees.js';
import { makeFolder } from './output-paths.js';
import { shownPid } from './report/ids.js';

/**
 * Output of many processes on one terminal: each line a process writes is
 * prefixed with its host and pid, and lines are never mixed mid-line.
 */
export class PrefixedOutput {
  private readonly partial = new Map<string, { prefix: string; text: string }>();

  constructor(private readonly write: (text: string) => void) {}

  feed(host: string, pid: number, bytes: Buffer): void {
    const key = `${host} ${pid}`;
    const pending = this.partial.get(key) ?? { prefix: `[${host} ${pid}] `, text: '' };
    const text = pending.text + bytes.toString('utf8');
    const lines = text.split('\n');
    const rest = lines.pop()!;
    if (lines.length > 0) this.write(lines.map((line) => `${pending.prefix}${line}\n`).join(''));
    pending.text = rest;
    if (rest === '') this.partial.delete(key);
    else this.partial.set(key, pending);
  }

  /** Writes what is left of unfinished lines (a process exited without a final newline). */
  flush(): void {
    for (const { prefix, text } of this.partial.values()) this.write(`${prefix}${text}\n`);
    this.partial.clear();
  }
}

export type StreamName = 'stdout' | 'stderr';

/** What one process wrote, kept in memory for `runExperiment`'s result. */
export class CapturedOutput {
  private readonly chunks = new Map<Process, Record<StreamName, Buffer[]>>();

  feed(process: Process, stream: StreamName, bytes: Buffer): void {
    let streams = this.chunks.get(process);
    if (streams === undefined) {
      streams = { stdout: [], stderr: [] };
      this.chunks.set(process, streams);
    }
    streams[stream].push(bytes);
  }

  text(process: Process, stream: StreamName): string {
    const chunks = this.chunks.get(process)?.[stream];
    return chunks === undefined ? '' : Buffer.concat(chunks).toString('utf8');
  }
}

/**
 * `--output-dir DIR`: each process's stdout, stderr and strace in its own
 * file, DIR/HOST/NAME.PID.stdout (NAME: the program's base name when the
 * process first writes). Files are created on a process's first write.
 */
export class OutputDirectory {
  private readonly files = new Map<Process, Map<string, number>>();

  constructor(private readonly root: string) {
    try {
      makeFolder(root);
    } catch (error) {
      throw new UserError(`--output-dir: cannot create ${root}: ${(error as Error).message}`);
    }
  }

  write(process: Process, kind: StreamName | 'strace', data: Buffer | string): void {
    let byKind = this.files.get(process);
    if (byKind === undefined) {
      byKind = new Map();
      this.files.set(process, byKind);
    }
    let fd = byKind.get(kind);
    if (fd === undefined) {
      const folder = join(this.root, process.host);
      makeFolder(folder);
      fd = openSync(join(folder, `${basename(process.command)}.${shownPid(process)}.${kind}`), 'w');
      byKind.set(kind, fd);
    }
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
  }

  close(): void {
    for (const byKind of this.files.values()) for (const fd of byKind.values()) closeSync(fd);
    this.files.clear();
  }
}

export interface OutputRoute {
  /** Whether programs write to pipes simterpose reads, rather than straight to its own stdout and stderr. */
  piped: boolean;
  /** Runs before echoed output reaches the terminal (the progress line steps aside). */
  beforeWrite: () => void;
  /** Writes what is left of unfinished echoed lines. */
  flush: () => void;
  /** Closes the pipes, once the run is over (a test suite runs many in one process). */
  close: () => void;
}

/** Hands over what a pipe holds, up to the point where reading it would wait. */
function drainPipe(fd: number, take: (bytes: Buffer) => void): void {
  const buffer = Buffer.allocUnsafe(PIPE_DRAIN_CHUNK);
  for (;;) {
    let count: number;
    try {
      count = readSync(fd, buffer, 0, buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return;
      throw error;
    }
    if (count === 0) return;
    take(Buffer.from(buffer.subarray(0, count)));
  }
}

const PIPE_DRAIN_CHUNK = 64 * 1024;

/**
 * A single program writes straight to simterpose's stdout and stderr. With
 * several processes, captured output or an output directory, each start gets
 * pipes as stdout and stderr instead; the mediator takes what is written
 * there and hands it, with the writing process, to the memory capture, the
 * output directory, or the terminal (line by line, prefixed with host and pid).
 */
export function routeOutputs(
  mediator: Mediator,
  specs: LaunchSpec[],
  options: Pick<ExperimentOptions, 'writeStdout' | 'writeStderr'>,
  captured: CapturedOutput | undefined,
  outputDir: OutputDirectory | undefined,
): OutputRoute {
  const route: OutputRoute = { piped: false, beforeWrite: () => undefined, flush: () => undefined, close: () => undefined };
  if (specs.length === 1 && captured === undefined && outputDir === undefined) return route;
  const echoed = outputDir === undefined && (captured === undefined || options.writeStdout !== undefined || options.writeStderr !== undefined);
  const echo = (write: ((text: string) => void) | undefined, fallback: NodeJS.WriteStream): PrefixedOutput =>
    new PrefixedOutput((text) => {
      route.beforeWrite();
      (write ?? ((chunk: string) => fallback.write(chunk)))(text);
    });
  const prefixed: Record<StreamName, PrefixedOutput> = { stdout: echo(options.writeStdout, process.stdout), stderr: echo(options.writeStderr, process.stderr) };
  const take =
    (stream: StreamName) =>
    (writer: Process, bytes: Buffer): void => {
      captured?.feed(writer, stream, bytes);
      outputDir?.write(writer, stream, bytes);
      if (echoed) prefixed[stream].feed(writer.host, shownPid(writer), bytes);
    };
  const takers = { stdout: take('stdout'), stderr: take('stderr') };
  // One pipe per stream for every process: the writing process is known from the tracee that writes.
  const pipeEnds: number[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const [readEnd, writeEnd] = ptrace.makePipe() as [number, number];
    // The pipe opened again for reading, without waiting (Node opens close-on-exec): what sendfile or splice put there is taken at once.
    const drainEnd = openSync(`/proc/self/fd/${readEnd}`, constants.O_RDONLY | constants.O_NONBLOCK);
    pipeEnds.push(readEnd, writeEnd, drainEnd);
    const { dev, ino } = fstatSync(writeEnd);
    mediator.outputs.set(`${dev}:${ino}`, { take: takers[stream], drain: (writer) => drainPipe(drainEnd, (bytes) => takers[stream](writer, bytes)) });
    for (const spec of specs) spec[stream] = writeEnd;
  }
  route.piped = true;
  route.close = () => {
    for (const fd of pipeEnds.splice(0)) closeSync(fd);
  };
  route.flush = () => {
    prefixed.stdout.flush();
    prefixed.stderr.flush();
  };
  return route;
}
