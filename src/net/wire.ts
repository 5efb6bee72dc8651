import { isIpv6 } from './ipv6.js';

/**
 * What segments and datagrams cost on the wire. A platform link's bandwidth is the
 * wire's bit rate, as for Ethernet: a comm carries every byte a real link
 * would serialize, not only the payload. On a 1500-byte MTU a segment carries
 * at most its MSS of payload behind the IP and TCP headers (IPv4's 20 or
 * IPv6's 40, TCP's 20, and the 12 of the timestamps option Linux uses), and
 * Ethernet adds 38 bytes around every frame (header 14, FCS 4, preamble and
 * delimiter 8, inter-frame gap 12). So a full segment is 1538 bytes on the
 * wire either way: 1448 of payload over IPv4, 1428 over IPv6.
 */

/** A TCP segment's sizes over one IP version on a 1500-byte MTU. */
export interface SegmentSizes {
  /** Payload bytes of a full segment: the MTU less the headers (what TCP_MAXSEG reads once connected). */
  readonly mss: number;
  /** IP and TCP headers (timestamps included) of every segment. */
  readonly headerBytes: number;
}

export const IPV4_SEGMENTS: SegmentSizes = { mss: 1448, headerBytes: 52 };
export const IPV6_SEGMENTS: SegmentSizes = { mss: 1428, headerBytes: 72 };
/** Linux's TCP_MSS_DEFAULT: what TCP_MAXSEG reads before a connection has its own. */
export const DEFAULT_MSS = 536;

/** The segments of a connection to `address`: an IPv4-mapped peer of an AF_INET6 socket is an IPv4 address here, and IPv4 on the wire. */
export function segmentSizesToward(address: string): SegmentSizes {
  return isIpv6(address) ? IPV6_SEGMENTS : IPV4_SEGMENTS;
}

/** Ethernet's header, FCS, preamble and inter-frame gap around every frame. */
export const FRAMING_BYTES = 38;
/** A full frame on the wire, whatever the IP version. */
export const FULL_FRAME_WIRE_BYTES = IPV4_SEGMENTS.mss + IPV4_SEGMENTS.headerBytes + FRAMING_BYTES;

/** A segment without payload (SYN, ACK, FIN, RST) on the wire. */
export function controlSegmentWireBytes(sizes: SegmentSizes): number {
  return sizes.headerBytes + FRAMING_BYTES;
}

/** Wire bytes of `payload` bytes cut into segments of at most the MSS. */
export function wireBytes(payload: number, sizes: SegmentSizes): number {
  const control = controlSegmentWireBytes(sizes);
  if (payload === 0) return control;
  return payload + Math.ceil(payload / sizes.mss) * control;
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
