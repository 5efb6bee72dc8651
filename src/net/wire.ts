/**
 * What segments and datagrams cost on the wire. A platform link's bandwidth is the
 * wire's bit rate, as for Ethernet: a comm carries every byte a real link
 * would serialize, not only the payload. On a 1500-byte MTU a segment carries
 * at most MSS payload bytes behind 52 bytes of IPv4 and TCP headers (20 + 20,
 * and the 12 of the timestamps option Linux uses), and Ethernet adds 38 bytes
 * around every frame (header 14, FCS 4, preamble and delimiter 8, inter-frame
 * gap 12). So a full segment is 1538 bytes on the wire for 1448 of payload.
 */

/** Payload bytes of a full segment: the route's 1500-byte MTU less the headers. */
export const MSS = 1448;
/** IPv4 (20) and TCP (20, and 12 of timestamps) headers of every segment. */
export const HEADER_BYTES = 52;
/** Ethernet's header, FCS, preamble and inter-frame gap around every frame. */
export const FRAMING_BYTES = 38;
/** A segment without payload (SYN, ACK, FIN, RST) on the wire. */
export const CONTROL_SEGMENT_WIRE_BYTES = HEADER_BYTES + FRAMING_BYTES;

/** Wire bytes of `payload` bytes cut into segments of at most MSS. */
export function wireBytes(payload: number): number {
  if (payload === 0) return CONTROL_SEGMENT_WIRE_BYTES;
  return payload + Math.ceil(payload / MSS) * CONTROL_SEGMENT_WIRE_BYTES;
}

/** UDP's and IPv4's headers (8 + 20): a datagram is one comm of its payload and these, framed. */
const UDP_HEADER_BYTES = 28;
/** The payload an IPv4 fragment carries on a 1500-byte MTU (its 20-byte header aside, a multiple of 8). */
const FRAGMENT_PAYLOAD = 1480;

/** Wire bytes of a UDP datagram of `payload` bytes: one frame, or one per IPv4 fragment. */
export function datagramWireBytes(payload: number): number {
  const ipPayload = payload + 8;
  const fragments = Math.max(1, Math.ceil(ipPayload / FRAGMENT_PAYLOAD));
  return payload + UDP_HEADER_BYTES + (fragments - 1) * 20 + fragments * FRAMING_BYTES;
}

/** An ICMP error: IPv4 (20) and ICMP (8) headers quoting the offending IPv4 header (20) and 8 bytes of its payload, framed. */
export const ICMP_ERROR_WIRE_BYTES = 20 + 8 + 20 + 8 + FRAMING_BYTES;
