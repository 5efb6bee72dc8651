import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { sleepSync } from '../sleep.js';
import { holdingStderr, instantiate, loadModule, type ShimExports } from './module.js';
import { checkConfig, checkPlatform } from './platform-check.js';
import { effectiveSettings, engineArguments, parseSetting, platformSettings, refusedSetting, type Setting } from './settings.js';

export interface HostInfo {
  name: string;
  /** Flops per second of one core. */
  speed: number;
  cores: number;
  properties: Record<string, string>;
}

export type SharingPolicy = 'SHARED' | 'SPLITDUPLEX' | 'FATPIPE' | 'WIFI' | 'NONLINEAR';

export interface LinkInfo {
  name: string;
  /** Bytes per second. */
  bandwidth: number;
  /** Seconds. */
  latency: number;
  sharing: SharingPolicy;
}

export interface Route {
  /** Names of the links crossed, in order. */
  links: string[];
  /** Sum of the links' latencies, in seconds. */
  latency: number;
}

export interface AdvanceResult {
  /** The clock after advancing, in seconds. */
  clock: number;
  /** Ids of the activities that finished in this round, in increasing order. */
  completed: number[];
  /** Ids of the activities that failed in this round (a host or link went down). */
  failed: number[];
}

export interface SimulationOptions {
  /** Extra SimGrid configuration, as `--cfg` values: `network/model:CM02`. */
  cfg?: string[];
  /**
   * Accept state profiles, which turn hosts and links off and on: SimGrid then
   * reports the activities they end as failed. Refused by default: a caller
   * must handle that (a run does, turning the programs' hosts and links off
   * at the same dates: src/faults/state-profiles.ts).
   */
  allowStateProfiles?: boolean;
}

/** A host is designated by its name or, on hot paths, by its index in hosts(). */
export type HostRef = string | number;

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * One SimGrid engine with one platform, driven from outside: activities are
 * started here and the clock only moves in advance(). Everything is
 * synchronous once loadSimulation() resolved.
 */
export class Simulation {
  private readonly hostList: HostInfo[];
  private readonly linkList: LinkInfo[];
  private readonly hostIndex = new Map<string, number>();
  private dead: string | undefined;
  private heap32: Int32Array;
  /**
   * The engine's clock as of the last advance, the only call that moves it:
   * the mediator reads the date several times per syscall (224070 times in
   * a 2 GiB stream), and each read would otherwise be a call into WebAssembly.
   */
  private clock: number;

  private constructor(
    private readonly shim: ShimExports,
    readonly source: string,
    /** SimGrid's settings in force, each with where it came from (see settings.ts). */
    readonly settings: readonly Setting[],
    setAbortReason: (listener: (reason: string) => void) => void,
  ) {
    this.heap32 = new Int32Array(this.shim.memory.buffer);
    this.clock = this.shim.simw_now();
    setAbortReason((reason) => {
      this.dead = reason;
    });
    const platform = JSON.parse(this.readString(this.shim.simw_platform_json())) as {
      hosts: HostInfo[];
      links: LinkInfo[];
    };
    this.hostList = platform.hosts;
    this.linkList = platform.links;
    for (const [i, h] of this.hostList.entries()) this.hostIndex.set(h.name, i);
  }

  /** @internal Use loadSimulation() or loadSimulationFromString(). */
  static create(kind: 'file' | 'string', input: string, options: SimulationOptions): Simulation {
    const source = kind === 'file' ? input : '<platform string>';
    const text = kind === 'file' ? readPlatform(input) : input;
    const run = (options.cfg ?? []).map((cfg) => parseSetting(cfg));
    const settings = effectiveSettings(platformSettings(text, source), run);
    const refused =
      (options.cfg ?? []).map(checkConfig).find((error) => error !== undefined) ??
      checkPlatform(text, source, { ...options, directory: kind === 'file' ? dirname(input) : undefined });
    if (refused !== undefined) throw refused;
    const booted = boot(kind, input, engineArguments(settings));
    if ('refusal' in booted) throw refusedSettingAmong(settings) ?? booted.refusal(source);
    return new Simulation(booted.shim, source, settings, booted.onAbort);
  }

  /** Hosts in platform order: the index of a host here is its HostRef number. */
  hosts(): readonly HostInfo[] {
    return this.hostList;
  }

  links(): readonly LinkInfo[] {
    return this.linkList;
  }

  /** The index of a host, or a UserError naming the valid ones. */
  hostId(host: HostRef): number {
    if (typeof host === 'number') {
      if (Number.isInteger(host) && host >= 0 && host < this.hostList.length) return host;
      throw new RangeError(`no host with index ${host} (the platform has ${this.hostList.length})`);
    }
    const id = this.hostIndex.get(host);
    if (id === undefined)
      throw unknownHost(
        host,
        this.hostList.map((h) => h.name),
      );
    return id;
  }

  route(src: HostRef, dst: HostRef): Route {
    const ptr = this.call(this.shim.simw_route_json(this.hostId(src), this.hostId(dst)));
    return JSON.parse(this.readString(ptr)) as Route;
  }

  /** Starts a computation of `flops` on a host; returns the activity id. */
  startExec(host: HostRef, flops: number): number {
    const h = typeof host === 'number' ? host : this.hostId(host);
    try {
      return this.call(this.shim.simw_exec_start(h, flops));
    } catch (error) {
      throw this.rethrow(error);
    }
  }

  /** Starts a transfer of `bytes` from one host to another; returns the activity id. */
  startComm(src: HostRef, dst: HostRef, bytes: number): number {
    const s = typeof src === 'number' ? src : this.hostId(src);
    const d = typeof dst === 'number' ? dst : this.hostId(dst);
    try {
      return this.call(this.shim.simw_comm_start(s, d, bytes));
    } catch (error) {
      throw this.rethrow(error);
    }
  }

  /** Whether SimGrid aborted: nothing can be asked of it any more. */
  get aborted(): boolean {
    return this.dead !== undefined;
  }

  /** Cancels a started activity; it will never be reported as completed. */
  cancel(id: number): void {
    try {
      this.call(this.shim.simw_cancel(id));
    } catch (error) {
      throw this.rethrow(error);
    }
  }

  /**
   * What a running activity still has to do at the current date: bytes for
   * a comm (all of them during its latency), flops for an exec.
   */
  remaining(id: number): number {
    try {
      return this.call(this.shim.simw_remaining(id));
    } catch (error) {
      throw this.rethrow(error);
    }
  }

  /**
   * Moves the clock forward until at least one activity completes (all those
   * completing at that date are returned) or until `deadline` (Infinity: no
   * deadline). With nothing pending, the clock moves to the deadline.
   */
  advance(deadline: number): AdvanceResult {
    const completed: number[] = [];
    const failed: number[] = [];
    this.advanceInto(deadline, completed, failed);
    return { clock: this.clock, completed, failed };
  }

  /**
   * advance() without allocating: pushes completed and failed ids onto the
   * given arrays and returns how many activities ended (completed + failed).
   */
  advanceInto(deadline: number, completed: number[], failed: number[]): number {
    if (Number.isNaN(deadline) || deadline < 0) throw new RangeError(`invalid deadline ${deadline}`);
    let n: number;
    try {
      n = this.call(this.shim.simw_advance(deadline === Infinity ? -1 : deadline));
    } catch (error) {
      throw this.rethrow(error);
    }
    this.clock = this.shim.simw_now();
    if (n === 0) return 0;
    // One view over the whole memory, renewed only when the memory grew: growing
    // detaches the old buffer, which empties its views. (Reading memory.buffer
    // or heap32.buffer on every call costs more than the rest of this method.)
    if (this.heap32.length === 0) this.heap32 = new Int32Array(this.shim.memory.buffer);
    const first = this.shim.simw_completed() >>> 2;
    for (let i = 0; i < n; i++) {
      const id = this.heap32[first + i]!;
      if (id > 0) completed.push(id);
      else failed.push(-id);
    }
    return n;
  }

  /** The clock, in seconds since the simulation started. */
  now(): number {
    return this.clock;
  }

  /** How many activities are started and not yet reported or cancelled. */
  pending(): number {
    return this.shim.simw_pending();
  }

  /** Checks a shim result: -1 means a SimGrid error, an abort kills the engine. */
  private call(result: number): number {
    if (this.dead !== undefined) throw fatal(this.dead);
    if (result === -1) {
      throw new Error(`SimGrid: ${readCString(this.shim, this.shim.simw_last_error())}`);
    }
    return result;
  }

  /** A WebAssembly trap means SimGrid aborted: the instance is unusable from now on. */
  private rethrow(error: unknown): unknown {
    if (error instanceof WebAssembly.RuntimeError) {
      this.dead ??= error.message;
      return fatal(this.dead);
    }
    return error;
  }

  private readString(ptr: number): string {
    if (ptr === 0) throw new Error(`SimGrid: ${readCString(this.shim, this.shim.simw_last_error())}`);
    return readCString(this.shim, ptr);
  }
}

/** A fresh engine with the platform loaded, or why SimGrid refused it (as a UserError about `source`). */
type Boot =
  | { shim: ShimExports; onAbort: (listener: (reason: string) => void) => void }
  | {
      refusal: (source: string) => UserError;
      /** SimGrid's own words, as it said them. */
      said: string;
    };

/** Instantiates SimGrid and loads a platform with these settings on its command line. */
/** What the module's simw_load_string says when mkstemp found no free name (see boot). */
const TEMP_FILE_REFUSAL = 'cannot create a temporary file for the platform';
const TEMP_FILE_RETRIES = 20;

function boot(kind: 'file' | 'string', input: string, settings: readonly string[]): Boot {
  let abortListener: (reason: string) => void = () => {};
  // What SimGrid says while it loads is held back: when it aborts, its last words are the reason.
  const said: string[] = [];
  let printErr = (text: string) => {
    said.push(`${text}\n`);
  };
  const shim = instantiate({ printErr: (text) => printErr(text), onAbort: (reason) => abortListener(String(reason)) });
  const cfg = settings.map((c) => `--cfg=${c}\n`).join('');
  let status: number;
  try {
    const load = () =>
      holdingStderr(said, () =>
        withStrings(shim, [input, cfg], ([text, opts]) => (kind === 'file' ? shim.simw_load_file(text, opts) : shim.simw_load_string(text, opts))),
      );
    status = load();
    // The module's mkstemp draws its names from the clock, the same in every
    // process within one tick: runs loading platform strings at once (test
    // workers, sweeps) can exhaust its tries on each other's files. A later
    // tick draws other names.
    for (let retry = 0; status !== 0 && kind === 'string' && retry < TEMP_FILE_RETRIES; retry++) {
      if (readCString(shim, shim.simw_last_error()) !== TEMP_FILE_REFUSAL) break;
      sleepSync(1 + retry);
      status = load();
    }
  } catch (error) {
    if (!(error instanceof WebAssembly.RuntimeError)) throw error;
    return { refusal: (source) => refusedByAbort(source, said.join('')), said: said.join('') };
  }
  if (status !== 0) {
    const message = readCString(shim, shim.simw_last_error());
    return { refusal: (source) => platformError(source, message), said: message };
  }
  printErr = (text) => process.stderr.write(`${text}\n`);
  process.stderr.write(said.join(''));
  return {
    shim,
    onAbort: (listener) => {
      abortListener = listener;
    },
  };
}

/** The smallest platform SimGrid builds a network model for: enough to try one setting alone. */
const TRIAL_PLATFORM = `<?xml version='1.0'?>
<!DOCTYPE platform SYSTEM "https://simgrid.org/simgrid.dtd">
<platform version="4.1"><zone id="z" routing="Full"><host id="h" speed="1f"/></zone></platform>
`;

/**
 * When SimGrid refused to load, the setting it refused, if one did: SimGrid's
 * message rarely names it, so each setting the platform or the run gave is
 * tried alone on a one-host platform (only on failure: a run pays nothing).
 */
function refusedSettingAmong(settings: readonly Setting[]): UserError | undefined {
  for (const setting of settings) {
    if (setting.origin.kind === 'default') continue;
    const trial = boot('string', TRIAL_PLATFORM, [`${setting.name}:${setting.value}`]);
    if ('refusal' in trial) return refusedSetting(setting, trial.said);
  }
  return undefined;
}

function fatal(reason: string): Error {
  const why = reason === '' ? 'an internal assertion failed' : reason;
  return new Error(`SimGrid aborted (${why}; its message is on stderr); this simulation cannot continue`);
}

function readCString(shim: ShimExports, ptr: number): string {
  const bytes = new Uint8Array(shim.memory.buffer);
  let end = ptr;
  while (bytes[end] !== 0) end++;
  return decoder.decode(bytes.subarray(ptr, end));
}

function withStrings<T>(shim: ShimExports, texts: string[], fn: (ptrs: number[]) => T): T {
  const ptrs = texts.map((text) => {
    const encoded = encoder.encode(text);
    const ptr = shim.malloc(encoded.length + 1);
    const heap = new Uint8Array(shim.memory.buffer, ptr, encoded.length + 1);
    heap.set(encoded);
    heap[encoded.length] = 0;
    return ptr;
  });
  try {
    return fn(ptrs);
  } finally {
    for (const ptr of ptrs) shim.free(ptr);
  }
}

/**
 * SimGrid aborts (xbt_assert, xbt_die) on some platforms it cannot build, after
 * printing "[0.000000] src/file.cpp:LINE: [root/CRITICAL] why".
 */
function refusedByAbort(source: string, said: string): UserError {
  const reasons = [...said.matchAll(/\[root\/CRITICAL\] (.*)$/gm)];
  const why = reasons[reasons.length - 1]?.[1];
  return new UserError(`${source}: SimGrid cannot build this platform: ${why === undefined ? 'it aborted without saying why' : oneLine(why)}`);
}

/** SimGrid says "Parse error at FILE:LINE: Invalid XML (XML input line N, state S): why". */
function platformError(source: string, message: string): UserError {
  const parse = /^Parse error at (.*?):(\d+): (?:Invalid XML \(XML input line \d+, state \d+\): )?(.*)$/s.exec(message);
  if (parse !== null) {
    return new UserError(`${parse[1]}:${parse[2]}: ${oneLine(parse[3]!)}`, 'see https://simgrid.org/doc/latest/platform.html');
  }
  return new UserError(`${source}: ${oneLine(message)}`);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export function unknownHost(name: string, valid: string[]): UserError {
  const shown = valid.length > 20 ? [...valid.slice(0, 20), `... (${valid.length} in all)`] : valid;
  return new UserError(`unknown host '${name}'; the platform's hosts are: ${shown.join(', ')}`);
}

function readPlatform(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read platform file ${file}: ${(error as Error).message}`);
  }
}

/** Loads the WebAssembly module (once per process) and a platform file into a new engine. */
export async function loadSimulation(platformFile: string, options: SimulationOptions = {}): Promise<Simulation> {
  const file = resolve(platformFile);
  if (!existsSync(file)) throw new UserError(`platform file not found: ${platformFile}`);
  if (!statSync(file).isFile()) throw new UserError(`platform file is not a regular file: ${platformFile}`);
  await loadModule();
  return Simulation.create('file', file, options);
}

/** Same as loadSimulation(), with the platform given as XML text. */
export async function loadSimulationFromString(xml: string, options: SimulationOptions = {}): Promise<Simulation> {
  await loadModule();
  return Simulation.create('string', xml, options);
}
