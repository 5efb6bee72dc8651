import { describe, expect, it } from 'vitest';
import { ByteQueue } from '../../src/net/byte-queue.js';
import { Queue } from '../../src/net/queue.js';

describe('byte queue', () => {
  it('reads and peeks across chunk boundaries, in order', () => {
    const queue = new ByteQueue();
    for (const piece of ['ab', '', 'cde', 'f']) queue.push(Buffer.from(piece));
    expect(queue.length).toBe(6);
    expect(queue.peek(4).toString()).toBe('abcd');
    expect(queue.read(1).toString()).toBe('a');
    expect(queue.peek(10).toString()).toBe('bcdef');
    expect(queue.read(3).toString()).toBe('bcd');
    expect(queue.read(10).toString()).toBe('ef');
    expect(queue.length).toBe(0);
    expect(queue.read(10).length).toBe(0);
  });

  it('hands out views of the stored chunks rather than copies when a read stays in one chunk', () => {
    const queue = new ByteQueue();
    // Big enough to own its memory rather than share Node's small-buffer pool.
    const chunk = Buffer.alloc(64 * 1024, 7);
    queue.push(chunk);
    const read = queue.read(1000);
    expect(read.buffer).toBe(chunk.buffer);
    expect(read.byteOffset).toBe(chunk.byteOffset);
  });
});

describe('fifo', () => {
  it('keeps order through many pushes and shifts', () => {
    const fifo = new Queue<number>();
    const out: number[] = [];
    for (let i = 0; i < 1000; i++) {
      fifo.push(i);
      if (i % 3 === 0) out.push(fifo.shift()!);
    }
    while (fifo.length > 0) out.push(fifo.shift()!);
    expect(out).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(fifo.shift()).toBeUndefined();
  });
});
