import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInThisContext } from 'node:vm';
import { buildUnderWay } from '../background-build.js';
import { packagePath } from '../package-root.js';
import { switchedOn, userCacheFolder } from '../user-cache.js';

/**
 * The machine code V8 compiled of the SimGrid module, kept between runs.
 *
 * Node.js keeps no compiled WebAssembly from one process to the next: a run
 * compiled the ~400 functions of SimGrid it calls (V8's baseline compiler,
 * Liftoff) at every start, 25-35 ms of CPU, as much as Node.js's own start.
 * V8 can serialize a module's optimized code and load it back; Node.js has
 * no API for it, only V8's test functions %SerializeWasmModule and
 * %DeserializeWasmModule, which JavaScript reaches while
 * --allow-natives-syntax is set. build-code-cache.ts compiles, in the
 * background, the functions a run uses with V8's optimizing compiler
 * (TurboFan) and serializes them; later runs load that code in a few ms and
 * compile only the functions it lacks, with Liftoff as before.
 *
 * V8 refuses (and we then compile) code serialized by another V8 version,
 * for another CPU, or under other V8 flags; the cache file is named after
 * the V8 version and starts with a stamp of the module file it was compiled
 * from (size, modification time, inode), checked before V8 sees the code:
 * code loaded with other wire bytes than its own would run wrong.
 *
 * V8 flags must be the same when the code is serialized and loaded back:
 * both happen with --allow-natives-syntax set just for that call, and the
 * flags compile() sets for every run.
 */

/** The stamp of the module file the code was compiled from. */
export interface WasmStamp {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** SimGrid's module and its stamp, read through one descriptor so that both are of the same file. */
export function readWasm(file: string): { wire: Buffer<ArrayBuffer>; stamp: WasmStamp } {
  const fd = openSync(file, 'r');
  try {
    const { size, mtimeMs, ino } = fstatSync(fd);
    return { wire: readFileSync(fd), stamp: { size, mtimeMs, ino } };
  } finally {
    closeSync(fd);
  }
}

/** The folder of code caches: each one's path in it is its module file's, and then the V8 version. */
export function codeCacheFolder(): string {
  return `${userCacheFolder()}/wasm-code`;
}

/** Where the code compiled of `wasm` (an absolute path) by this V8 is kept. */
export function codeCacheFile(wasm: string): string {
  return `${codeCacheFolder()}${wasm}.v8-${process.versions.v8}`;
}

/** Whether the user asked for no code cache (SIMTERPOSE_NO_CODE_CACHE=1): SimGrid is compiled at each run and nothing is kept. */
export function codeCacheDisabled(): boolean {
  return switchedOn('SIMTERPOSE_NO_CODE_CACHE');
}

function sameStamp(a: WasmStamp, b: WasmStamp): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino;
}

/** Runs `source` (a function expression calling V8's test functions) with --allow-natives-syntax set only for the call. */
function withNatives<T>(source: string, call: (fn: (...args: unknown[]) => unknown) => T): T {
  setFlagsFromString('--allow-natives-syntax');
  try {
    return call(runInThisContext(source) as (...args: unknown[]) => unknown);
  } finally {
    setFlagsFromString('--no-allow-natives-syntax');
  }
}

/**
 * A cache file's contents: the length of the stamp's JSON (4 bytes, little
 * endian), the stamp's JSON, then V8's serialized module.
 */
export function encodeCodeCache(stamp: WasmStamp, serialized: ArrayBuffer): Buffer {
  const header = Buffer.from(JSON.stringify(stamp));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  return Buffer.concat([length, header, new Uint8Array(serialized)]);
}

/** The serialized module in `file` when its stamp is `stamp`; 'missing' when there is no file, 'stale' when it was compiled from another module file. */
export function readCodeCache(file: string, stamp: WasmStamp): ArrayBuffer | 'missing' | 'stale' {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return 'missing';
  }
  try {
    const length = Buffer.alloc(4);
    readSync(fd, length, 0, 4, 0);
    const header = Buffer.alloc(length.readUInt32LE(0));
    readSync(fd, header, 0, header.length, 4);
    if (!sameStamp(JSON.parse(header.toString()) as WasmStamp, stamp)) return 'stale';
    // V8 takes the whole ArrayBuffer: the serialized module is read into one of its own (a copy of 1.6 MB costs 1 ms).
    const serialized = new Uint8Array(fstatSync(fd).size - 4 - header.length);
    if (readSync(fd, serialized, 0, serialized.length, 4 + header.length) !== serialized.length) return 'stale';
    return serialized.buffer;
  } catch {
    return 'stale';
  } finally {
    closeSync(fd);
  }
}

/** The module V8 loads from `serialized` and `wire` (its wire bytes), or undefined when V8 refuses it (another V8, CPU or flags). */
export function deserializeModule(serialized: ArrayBuffer, wire: Uint8Array): WebAssembly.Module | undefined {
  try {
    const module = withNatives('(serialized, wire) => %DeserializeWasmModule(serialized, wire)', (deserialize) => deserialize(serialized, wire));
    return module instanceof WebAssembly.Module ? module : undefined;
  } catch {
    // A Node.js whose V8 lacks the function, or refuses the flag: the module is compiled as without a cache.
    return undefined;
  }
}

/** The optimized code of `module`, serialized (V8 aborts when no function of it has any). */
export function serializeModule(module: WebAssembly.Module): ArrayBuffer {
  return withNatives('(module) => %SerializeWasmModule(module)', (serialize) => serialize(module) as ArrayBuffer);
}

/**
 * Has build-code-cache.ts compile and keep the code of `wasm` for the next
 * runs, in the background: this run goes on with the code it compiled. Not
 * while another build is under way, nor again after a build from the same
 * module file failed (its marker holds the stamp it was tried with).
 */
export function buildCodeCacheLater(wasm: string, stamp: WasmStamp): void {
  const file = codeCacheFile(wasm);
  if (buildUnderWay(`${file}.building`)) return;
  try {
    if (sameStamp(JSON.parse(readFileSync(`${file}.failed`, 'utf8')) as WasmStamp, stamp)) return;
  } catch {
    // No failed build of this module file.
  }
  spawn(process.execPath, [packagePath('dist/sim/build-code-cache.js'), wasm], { detached: true, stdio: 'ignore' }).unref();
}
