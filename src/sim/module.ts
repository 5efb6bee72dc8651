import fs from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { logger } from '../log.js';
import { packagePath } from '../package-root.js';
import { buildCodeCacheLater, codeCacheDisabled, codeCacheFile, deserializeModule, readCodeCache, readWasm, type WasmStamp } from './code-cache.js';
import { requireSimGridFactory } from './simgrid-factory.js';

/**
 * The SimGrid WebAssembly module (native/simgrid-wasm/dist, built by
 * `npm run build:simgrid`). It is compiled once per process; each simulation
 * gets its own instance, because SimGrid allows one engine per instance.
 */

/** The C functions of native/simgrid-wasm/shim.cpp, as the instance exports them. */
export interface ShimExports {
  memory: WebAssembly.Memory;
  malloc(size: number): number;
  free(ptr: number): void;
  simw_last_error(): number;
  simw_load_file(file: number, options: number): number;
  simw_load_string(xml: number, options: number): number;
  simw_platform_json(): number;
  simw_route_json(src: number, dst: number): number;
  simw_exec_start(host: number, flops: number): number;
  simw_comm_start(src: number, dst: number, bytes: number): number;
  simw_cancel(id: number): number;
  simw_remaining(id: number): number;
  simw_advance(deadline: number): number;
  simw_completed(): number;
  simw_now(): number;
  simw_pending(): number;
}

export interface EmscriptenOptions {
  instantiateWasm(imports: WebAssembly.Imports, receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void): WebAssembly.Exports;
  print(text: string): void;
  printErr(text: string): void;
  onAbort(reason: unknown): void;
}

/** What native/simgrid-wasm/dist/simgrid.cjs exports: it makes an instance. */
export type Factory = (options: EmscriptenOptions) => unknown;

const log = logger('sim');
const wasmFile = packagePath('native/simgrid-wasm/dist/simgrid.wasm');

/** SimGrid's module as this process has it, and how: compiled at this run, or loaded from the code cache. */
let compiled: { factory: Factory; module: WebAssembly.Module; loadMs: number; from: 'compiled' | 'code cache' } | undefined;

/**
 * How much a wasm function runs (V8's rough count of bytes executed) before
 * V8 compiles it again with its optimizing compiler, in the background: 100
 * times V8's default. With the default, loading a platform makes SimGrid's
 * start-up code hot enough, and a process exiting then waits for those
 * compilations (about 250 ms of CPU) to end: an empty run of two programs
 * took 0.44-0.52 s, and 0.29-0.33 s with this budget. The functions that stay
 * hot through a run still get optimized, a little later.
 */
const WASM_TIERING_BUDGET = 180_000_000;

/**
 * V8's flags for the module, set before it is compiled or loaded from the
 * code cache (code-cache.ts: V8 loads code back only under the flags it was
 * serialized with). The functions count against the tiering budget in force
 * when the module is made. V8 otherwise validates every function of the
 * module as it compiles it (8 ms of CPU for SimGrid's 1.3 MB of code, at
 * every run); lazily, a function is validated when it is first called and
 * compiled, and a run calls about 400 of its 2500.
 */
export function setModuleFlags(): void {
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
  setFlagsFromString('--wasm-lazy-validation');
}

function compile(): NonNullable<typeof compiled> {
  if (compiled !== undefined) return compiled;
  const begin = performance.now();
  const factory = requireSimGridFactory();
  setModuleFlags();
  const { wire, stamp } = readWasm(wasmFile);
  const cached = codeCacheDisabled() ? undefined : cachedModule(wasmFile, wire, stamp);
  const module = cached ?? new WebAssembly.Module(wire);
  compiled = { factory, module, loadMs: performance.now() - begin, from: cached === undefined ? 'compiled' : 'code cache' };
  log.debug({ ms: compiled.loadMs, from: compiled.from }, 'SimGrid WebAssembly module ready');
  return compiled;
}

/**
 * The module from the code cache; undefined when there is none yet, or none
 * V8 takes (another CPU, a damaged file, other V8 flags in NODE_OPTIONS):
 * one is then built for later runs, in the background.
 */
function cachedModule(wasm: string, wire: Buffer<ArrayBuffer>, stamp: WasmStamp): WebAssembly.Module | undefined {
  const serialized = readCodeCache(codeCacheFile(wasm), stamp);
  const module = typeof serialized === 'string' ? undefined : deserializeModule(serialized, wire);
  if (module === undefined) {
    if (serialized instanceof ArrayBuffer) log.debug({ file: codeCacheFile(wasm) }, 'V8 refused the code cache of the SimGrid module');
    buildCodeCacheLater(wasm, stamp);
  }
  return module;
}

/** Has this process use `module` (which build-code-cache.ts compiled or loaded itself) instead of making one. */
export function useModule(module: WebAssembly.Module): void {
  compiled = { factory: requireSimGridFactory(), module, loadMs: 0, from: 'compiled' };
}

/** Compiles the module, or loads it from the code cache, if not done yet (once per process). */
export async function loadModule(): Promise<void> {
  compile();
}

/** How long compiling the module took, in milliseconds (0 before it is loaded). */
export function moduleLoadMs(): number {
  return compiled?.loadMs ?? 0;
}

/** Where an instance's output goes, and what to do when SimGrid aborts. */
export interface InstanceHooks {
  printErr(text: string): void;
  onAbort(reason: unknown): void;
}

/** A fresh instance of SimGrid, with its own memory and engine. */
export function instantiate(hooks: InstanceHooks): ShimExports {
  const { factory, module } = compile();
  let exports: WebAssembly.Exports | undefined;
  factory({
    instantiateWasm(imports, receive) {
      const instance = new WebAssembly.Instance(module, imports);
      receive(instance, module);
      exports = instance.exports;
      return instance.exports;
    },
    print: (text) => process.stdout.write(`${text}\n`),
    printErr: hooks.printErr,
    onAbort: hooks.onAbort,
  });
  if (exports === undefined) throw new Error('SimGrid WebAssembly module did not instantiate synchronously');
  return exports as unknown as ShimExports;
}

/**
 * Runs `fn` with what it writes to file descriptor 2 added to `said` instead.
 * SimGrid's log, assertion messages included, reaches the real stderr through
 * NODERAWFS, that is through fs.writeSync on the node:fs module, not through
 * printErr. `fn` is synchronous, so nothing else writes in the meantime.
 */
export function holdingStderr<T>(said: string[], fn: () => T): T {
  const writeSync = fs.writeSync;
  const held = (fd: number, data: string | NodeJS.ArrayBufferView, ...rest: unknown[]): number => {
    if (fd !== 2) return (writeSync as (...args: unknown[]) => number)(fd, data, ...rest);
    if (typeof data === 'string') {
      said.push(data);
      return Buffer.byteLength(data);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : bytes.length - offset;
    said.push(Buffer.from(bytes.subarray(offset, offset + length)).toString('utf8'));
    return length;
  };
  fs.writeSync = held as typeof fs.writeSync;
  try {
    return fn();
  } finally {
    fs.writeSync = writeSync;
  }
}
