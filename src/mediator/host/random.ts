import type { Process } from '../tracees/tracees.js';

/**
 * The one source of randomness tracees see (getrandom, /dev/urandom,
 * AT_RANDOM): Philox4x32-10, the counter-based generator of Salmon et al.,
 * "Parallel random numbers: as easy as 1, 2, 3" (SC 2011). Block i of a
 * stream is philox(counter = [i low, i high, host index, virtual pid],
 * key = the seed), so every process has its own stream, fixed by the seed,
 * its host and its virtual pid: a process added on another host, or one that
 * reads more, changes no other process's bytes.
 */

const MULTIPLIER_0 = 0xd2511f53;
const MULTIPLIER_1 = 0xcd9e8d57;
const KEY_BUMP_0 = 0x9e3779b9;
const KEY_BUMP_1 = 0xbb67ae85;
const ROUNDS = 10;
export const BLOCK_BYTES = 16;

/**
 * The high 32 bits of the 64-bit product of two 32-bit words, exactly: with
 * `b` cut in 16-bit halves, no partial result reaches 2^53. (Math.imul only
 * gives the low 32 bits.)
 */
function mulHigh(a: number, b: number): number {
  const high = a * (b >>> 16);
  const low = a * (b & 0xffff);
  return (Math.floor(high / 0x1_0000) + Math.floor(((high % 0x1_0000) * 0x1_0000 + low) / 0x1_0000_0000)) >>> 0;
}

/**
 * Philox4x32-10 of the 128-bit counter (c0 c1 c2 c3) under the 64-bit key
 * (k0 k1), into `out` (4 words). A run calls it a few times per process, too
 * few for V8 to optimize it: unoptimized, each block takes about 6 µs, its
 * words being heap numbers, so the stream below does nothing else per block.
 */
export function philox4x32(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let round = 0; round < ROUNDS; round++) {
    const high0 = mulHigh(MULTIPLIER_0, c0);
    const low0 = Math.imul(MULTIPLIER_0, c0) >>> 0;
    const high1 = mulHigh(MULTIPLIER_1, c2);
    const low1 = Math.imul(MULTIPLIER_1, c2) >>> 0;
    c0 = (high1 ^ c1 ^ k0) >>> 0;
    c1 = low1;
    c2 = (high0 ^ c3 ^ k1) >>> 0;
    c3 = low0;
    k0 = (k0 + KEY_BUMP_0) >>> 0;
    k1 = (k1 + KEY_BUMP_1) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

const TWO_32 = 0x1_0000_0000;

/** One process's bytes, in order: what it reads is never read again by anyone. */
export class RandomStream {
  private block = 0;
  private readonly words = new Uint32Array(4);
  /** The current block's bytes: its words in little-endian order, x86's own. */
  private readonly blockBytes = Buffer.from(this.words.buffer);
  /** How many of them were handed out already. */
  private used = BLOCK_BYTES;

  constructor(
    private readonly key: readonly [number, number],
    private readonly host: number,
    private readonly vpid: number,
  ) {}

  /** The next `length` bytes, copied out of the current block, which is made only when it runs out. */
  take(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let filled = 0; filled < length; ) {
      if (this.used === BLOCK_BYTES) this.nextBlock();
      const count = Math.min(BLOCK_BYTES - this.used, length - filled);
      this.blockBytes.copy(bytes, filled, this.used, this.used + count);
      this.used += count;
      filled += count;
    }
    return bytes;
  }

  private nextBlock(): void {
    const index = this.block++;
    philox4x32(index % TWO_32, Math.floor(index / TWO_32), this.host, this.vpid, this.key[0], this.key[1], this.words);
    this.used = 0;
  }
}

/** Largest --seed: the key is 64 bits, but a JavaScript number is exact up to 2^53. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** The run's streams: one per (host, virtual pid), all under the run's seed. */
export class RandomStreams {
  private readonly key: readonly [number, number];
  private readonly hostIndexes: ReadonlyMap<string, number>;
  private readonly byProcess = new WeakMap<Process, RandomStream>();

  /** `hosts`: the platform's host names, in platform order. */
  constructor(seed: number, hosts: readonly string[]) {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be an integer from 0 to ${MAX_SEED}, not ${seed}`);
    this.key = [seed % TWO_32, Math.floor(seed / TWO_32)];
    this.hostIndexes = new Map(hosts.map((name, index) => [name, index]));
  }

  stream(hostIndex: number, vpid: number): RandomStream {
    return new RandomStream(this.key, hostIndex, vpid);
  }

  /** The process's own stream; it goes on across execs. */
  of(process: Process): RandomStream {
    let stream = this.byProcess.get(process);
    if (stream === undefined) {
      stream = this.stream(this.hostIndexes.get(process.host)!, process.vpid);
      this.byProcess.set(process, stream);
    }
    return stream;
  }
}
