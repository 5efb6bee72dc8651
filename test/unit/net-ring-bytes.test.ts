import { describe, expect, it } from 'vitest';
import { payloadOf } from '../../src/net/payload.js';
import { RingBytes } from '../../src/net/ring-bytes.js';

const text = (pieces: Buffer[]) => Buffer.concat(pieces).toString();

describe('ring bytes', () => {
  it('gives back what was appended, in order, across the end of the ring', () => {
    const ring = new RingBytes();
    const fill = Buffer.alloc(3000, 'x');
    ring.append(payloadOf(fill), 0, 3000);
    ring.discard(2500);
    const abc = Buffer.from('0123456789'.repeat(300));
    ring.append(payloadOf(abc), 0, 3000); // 500 + 3000 bytes: past the end of the first 4096
    expect(ring.length).toBe(3500);
    expect(text(ring.take(500))).toBe('x'.repeat(500));
    const pieces = ring.take(3000);
    expect(pieces.length).toBe(2); // it wrapped
    expect(text(pieces)).toBe(abc.toString());
    expect(ring.length).toBe(0);
  });

  it('copies only the bytes asked for, from where they are asked from', () => {
    const ring = new RingBytes();
    ring.append(payloadOf(Buffer.from('hello world')), 6, 5);
    expect(text(ring.peek(100))).toBe('world');
    expect(text(ring.peek(3))).toBe('wor');
    expect(ring.length).toBe(5);
  });

  it('grows when wrapped and full, keeping the order', () => {
    const ring = new RingBytes();
    ring.append(payloadOf(Buffer.alloc(4000, 'a')), 0, 4000);
    ring.discard(3000);
    ring.append(payloadOf(Buffer.alloc(3000, 'b')), 0, 3000); // wraps: 1000 'a' then 3000 'b'
    ring.append(payloadOf(Buffer.alloc(5000, 'c')), 0, 5000); // must grow
    expect(ring.length).toBe(9000);
    expect(text(ring.take(9000))).toBe('a'.repeat(1000) + 'b'.repeat(3000) + 'c'.repeat(5000));
  });

  it('reuses its memory for a long stream that is read as it comes', () => {
    const ring = new RingBytes();
    const chunk = Buffer.alloc(1000, 'z');
    const seen = new Set<ArrayBufferLike>();
    for (let i = 0; i < 1000; i++) {
      ring.append(payloadOf(chunk), 0, chunk.length);
      for (const piece of ring.take(chunk.length)) seen.add(piece.buffer);
    }
    expect(seen.size).toBe(1);
  });
});
