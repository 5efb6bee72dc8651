/**
 * Bytes a sender hands over, copied out only as far as a connection takes
 * them: a program's write of 128 KiB into a send buffer with room for 10
 * bytes costs a copy of 10 bytes, into where the connection keeps them.
 */
export interface Payload {
  readonly length: number;
  /** Copies the payload's bytes from `from` on into all of `target`. */
  copy(target: Buffer, from: number): void;
}

/** A payload already in memory. */
export function payloadOf(bytes: Buffer): Payload {
  return { length: bytes.length, copy: (target, from) => bytes.copy(target, 0, from, from + target.length) };
}

/** The bytes of `payload` from `offset` on: what is left to send once `offset` bytes went. */
export function payloadAfter(payload: Payload, offset: number): Payload {
  if (offset === 0) return payload;
  return { length: payload.length - offset, copy: (target, from) => payload.copy(target, offset + from) };
}

/** All the bytes of `payload`, copied out (a datagram goes whole). */
export function payloadBytes(payload: Payload): Buffer {
  const bytes = Buffer.allocUnsafe(payload.length);
  payload.copy(bytes, 0);
  return bytes;
}
