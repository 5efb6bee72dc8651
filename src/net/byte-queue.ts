import { Queue } from './queue.js';

/**
 * Bytes as a queue of chunks with an offset into the first: adding and
 * removing cost O(1) per chunk and reading copies only what is read, so a
 * long stream never goes through a growing Buffer.concat.
 */
export class ByteQueue {
  private readonly chunks = new Queue<Buffer>();
  /** Bytes of the first chunk already consumed. */
  private offset = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  /** Keeps `bytes` without copying: the caller must not change them afterwards. */
  push(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  /** Removes up to `max` bytes from the front, as views of the stored chunks. */
  take(max: number): Buffer[] {
    const pieces: Buffer[] = [];
    let wanted = Math.min(max, this.size);
    while (wanted > 0) {
      const chunk = this.chunks.peek()!;
      const available = chunk.length - this.offset;
      const n = Math.min(available, wanted);
      pieces.push(chunk.subarray(this.offset, this.offset + n));
      wanted -= n;
      this.size -= n;
      if (n === available) {
        this.chunks.shift();
        this.offset = 0;
      } else {
        this.offset += n;
      }
    }
    return pieces;
  }

  /** Removes up to `max` bytes into one Buffer (a copy only when they span chunks). */
  read(max: number): Buffer {
    return join(this.take(max));
  }

  /** Up to `max` bytes from the front, left in place. */
  peek(max: number): Buffer {
    const pieces: Buffer[] = [];
    let wanted = Math.min(max, this.size);
    let offset = this.offset;
    for (let i = 0; wanted > 0; i++) {
      const chunk = this.chunks.at(i)!;
      const n = Math.min(chunk.length - offset, wanted);
      pieces.push(chunk.subarray(offset, offset + n));
      wanted -= n;
      offset = 0;
    }
    return join(pieces);
  }

  /** Drops up to `max` bytes from the front. */
  discard(max: number): void {
    this.take(max);
  }
}

function join(pieces: Buffer[]): Buffer {
  if (pieces.length === 1) return pieces[0]!;
  return Buffer.concat(pieces);
}
