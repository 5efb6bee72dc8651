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

/** An IP packet's largest size: the links' MTU (what IP_MTU and IPV6_MTU read once connected). */
export const FULL_FRAME_IP_BYTES = 1500;

/** A UDP datagram's sizes over one IP version on a 1500-byte MTU. */
export interface DatagramSizes {
  /** The largest payload a UDP socket sends (EMSGSIZE past it): IP's 16-bit length less the headers it counts. */
  readonly maxPayload: number;
  /** IP and UDP headers of an unfragmented datagram. */
  readonly headerBytes: number;
  /** What each fragment carries of the UDP header and payload (a multiple of 8). */
  readonly fragmentPayload: number;
  /** The headers of each fragment: IPv4's own, or IPv6's and its fragment header. */
  readonly fragmentHeaderBytes: number;
}

/** IPv4: 20 + 8 bytes of headers; the total length (65535) counts the IPv4 header, so 65507 of payload. */
export const IPV4_DATAGRAMS: DatagramSizes = { maxPayload: 65507, headerBytes: 28, fragmentPayload: 1480, fragmentHeaderBytes: 20 };
/** IPv6: 40 + 8 bytes of headers; the payload length (65535) does not count IPv6's own header, so 65527 without jumbograms. */
export const IPV6_DATAGRAMS: DatagramSizes = { maxPayload: 65527, headerBytes: 48, fragmentPayload: 1448, fragmentHeaderBytes: 48 };

/** The datagrams sent to `address`: an IPv4-mapped destination of an AF_INET6 socket is an IPv4 address here, and IPv4 on the wire. */
export function datagramSizesToward(address: string): DatagramSizes {
  return isIpv6(address) ? IPV6_DATAGRAMS : IPV4_DATAGRAMS;
}

/** Wire bytes of a UDP datagram of `payload` bytes: one frame, or one per fragment. */
export function datagramWireBytes(payload: number, sizes: DatagramSizes = IPV4_DATAGRAMS): number {
  const udpLength = payload + 8;
  if (udpLength + sizes.headerBytes - 8 <= FULL_FRAME_IP_BYTES) return payload + sizes.headerBytes + FRAMING_BYTES;
  const fragments = Math.ceil(udpLength / sizes.fragmentPayload);
  return udpLength + fragments * (sizes.fragmentHeaderBytes + FRAMING_BYTES);
}

/**
 * An ICMP error (port unreachable) for a datagram sent with `sizes`: the IP
 * and ICMP headers (IPv4's 20 + 8, IPv6's 40 + 8), quoting the offending IP
 * header and 8 bytes of its payload, framed.
 */
export function icmpErrorWireBytes(sizes: DatagramSizes): number {
  const ipHeader = sizes.headerBytes - 8;
  return 2 * (ipHeader + 8) + FRAMING_BYTES;
}
