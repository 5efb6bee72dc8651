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

/** The high 32 bits of a 32×32-bit product: Math.imul only gives the low ones. */
function mulHigh(a: number, b: number): number {
  const aLow = a & 0xffff;
  const aHigh = a >>> 16;
  const bLow = b & 0xffff;
  const bHigh = b >>> 16;
  const lowLow = aLow * bLow;
  const cross = (lowLow >>> 16) + aHigh * bLow;
  const middle = (cross & 0xffff) + aLow * bHigh;
  return (aHigh * bHigh + Math.floor(cross / 0x10000) + Math.floor(middle / 0x10000)) >>> 0;
}

/** Philox4x32-10 of one 128-bit counter under a 64-bit key, into `out` (4 words). */
export function philox4x32(counter: readonly number[], key: readonly number[], out: Uint32Array): void {
  let [c0, c1, c2, c3] = counter as [number, number, number, number];
  let [k0, k1] = key as [number, number];
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
  /** Bytes of the current block not handed out yet. */
  private leftover = Buffer.alloc(0);

  constructor(
    private readonly key: readonly [number, number],
    private readonly host: number,
    private readonly vpid: number,
  ) {}

  take(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    let filled = this.leftover.copy(bytes, 0, 0, Math.min(length, this.leftover.length));
    this.leftover = this.leftover.subarray(filled);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    while (length - filled >= BLOCK_BYTES) {
      this.nextBlock();
      for (let i = 0; i < 4; i++) view.setUint32(filled + 4 * i, this.words[i]!, true);
      filled += BLOCK_BYTES;
    }
    if (filled < length) {
      this.nextBlock();
      const block = Buffer.alloc(BLOCK_BYTES);
      for (let i = 0; i < 4; i++) block.writeUInt32LE(this.words[i]!, 4 * i);
      block.copy(bytes, filled, 0, length - filled);
      this.leftover = block.subarray(length - filled);
    }
    return bytes;
  }

  private nextBlock(): void {
    const index = this.block++;
    philox4x32([index % TWO_32, Math.floor(index / TWO_32), this.host, this.vpid], this.key, this.words);
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
