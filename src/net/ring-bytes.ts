import type { Payload } from './payload.js';

const INITIAL_CAPACITY = 4096;

/**
 * The bytes of one direction of a connection under full mediation, in one
 * ring of memory that grows (doubling) when it must and is reused as bytes
 * are read: a long stream copies each byte in and out once, into memory
 * that stays in the CPU's caches, with no allocation per send. The views
 * `take` and `peek` return are valid until the next `append`.
 */
export class RingBytes {
  private ring = Buffer.allocUnsafeSlow(INITIAL_CAPACITY);
  /** Where the oldest byte is. */
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Appends `count` bytes of `payload`, from its byte `from` on. */
  append(payload: Payload, from: number, count: number): void {
    if (count <= 0) return;
    if (this.size + count > this.ring.length) this.grow(this.size + count);
    for (const piece of this.free(count)) {
      payload.copy(piece, from);
      from += piece.length;
    }
    this.size += count;
  }

  /** Removes up to `max` bytes from the front, as views of the ring (one, or two where it wraps). */
  take(max: number): Buffer[] {
    const pieces = this.peek(max);
    const n = Math.min(max, this.size);
    this.head = (this.head + n) % this.ring.length;
    this.size -= n;
    if (this.size === 0) this.head = 0;
    return pieces;
  }

  /** Up to `max` bytes from the front, left in place, as views of the ring. */
  peek(max: number): Buffer[] {
    return this.span(this.head, Math.min(max, this.size));
  }

  /** Drops up to `max` bytes from the front. */
  discard(max: number): void {
    this.take(max);
  }

  /** The `count` free bytes after the last one, as views of the ring. */
  private free(count: number): Buffer[] {
    return this.span((this.head + this.size) % this.ring.length, count);
  }

  /** `count` bytes of the ring from `start` on, wrapping at its end. */
  private span(start: number, count: number): Buffer[] {
    if (count === 0) return [];
    const first = Math.min(count, this.ring.length - start);
    const pieces = [this.ring.subarray(start, start + first)];
    if (first < count) pieces.push(this.ring.subarray(0, count - first));
    return pieces;
  }

  private grow(needed: number): void {
    let capacity = this.ring.length * 2;
    while (capacity < needed) capacity *= 2;
    const bigger = Buffer.allocUnsafeSlow(capacity);
    let at = 0;
    for (const piece of this.peek(this.size)) {
      piece.copy(bigger, at);
      at += piece.length;
    }
    this.ring = bigger;
    this.head = 0;
  }
}
