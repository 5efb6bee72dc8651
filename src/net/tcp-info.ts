import type { ReceiverStats, SenderStats } from './tcp-direction.js';
import { INITIAL_WINDOW_SEGMENTS } from './tcp/congestion.js';
import { DELAYED_ACK_SECONDS } from './tcp/delayed-ack.js';
import { INITIAL_RTO_SECONDS } from './tcp/loss-recovery.js';
import { DEFAULT_MSS, type SegmentSizes } from './wire.js';

/** include/net/tcp_states.h */
export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

/** tcpi_options: timestamps, SACK and window scaling, which Linux negotiates by default and the model's segments assume (wire.ts). */
const NEGOTIATED_OPTIONS = 1 | 2 | 4;
/** Linux's window scale for a receive buffer of tcp_rmem's largest (6291456 bytes, the model's ceiling): log2 of it, less 15. */
const WINDOW_SCALE = 7;
/** net.ipv4.tcp_reordering */
const REORDERING = 3;
/** tcpi_ca_state while recovering a loss (TCP_CA_Recovery); TCP_CA_Open (0) otherwise. */
const CA_RECOVERY = 3;
/** The threshold of a window that never lost (TCP_INFINITE_SSTHRESH). */
const INFINITE_THRESHOLD = 0x7fffffff;
const UNKNOWN_U32 = 0xffffffff;
const IPV6_MIN_MTU = 1280;
/** An IPv6 header and a TCP header without options; the timestamp option (10 bytes, padded). */
const IPV6_TCP_HEADERS = 60;
const TIMESTAMP_OPTION = 12;
const UNKNOWN_U64 = 0xffffffffffffffffn;

/**
 * What getsockopt(TCP_INFO) reads: Linux's struct tcp_info, its fields in
 * their units (µs for times but last_*, which are ms; segments for windows
 * and counts; bytes for bytes). The fields left out here (delivery rate,
 * busy and limited times, DSACKs, reordering seen, AccECN counts) read 0.
 */
export interface TcpInfo {
  state: number;
  caState: number;
  options: number;
  sendWindowScale: number;
  receiveWindowScale: number;
  rto: number;
  ato: number;
  sendMss: number;
  receiveMss: number;
  unacked: number;
  sacked: number;
  lastDataSent: number;
  lastDataReceived: number;
  lastAckReceived: number;
  pathMtu: number;
  receiveSlowStartThreshold: number;
  rtt: number;
  rttVariation: number;
  sendSlowStartThreshold: number;
  sendCongestionWindow: number;
  advertisedMss: number;
  reordering: number;
  receiveSpace: number;
  totalRetransmissions: number;
  pacingRate: bigint;
  maxPacingRate: bigint;
  bytesAcked: bigint;
  bytesReceived: bigint;
  segmentsOut: number;
  segmentsIn: number;
  notSentBytes: number;
  minRtt: number;
  dataSegmentsIn: number;
  dataSegmentsOut: number;
  delivered: number;
  bytesSent: bigint;
  bytesRetransmitted: bigint;
  sendWindow: number;
  receiveWindow: number;
}

/** What a socket shows of itself to TCP_INFO, by where it is in its life. */
export type TcpInfoSource =
  | { kind: 'unconnected'; state: number; now: number; ipv6: boolean }
  | { kind: 'listening'; queued: number; backlog: number }
  | {
      kind: 'connection';
      state: number;
      now: number;
      /** This end sent the SYN. */
      activeOpen: boolean;
      establishedAt: number;
      peerFinArrived: boolean;
      sizes: SegmentSizes;
      sender: SenderStats;
      receiver: ReceiverStats;
    };

/** How far a connection's ends have got towards closing. */
export interface Ending {
  reset: boolean;
  writeShut: boolean;
  /** This end shut its writing after the peer's FIN had arrived. */
  shutAfterPeerFin: boolean;
  ourFinArrived: boolean;
  peerFinArrived: boolean;
}

/** Where a connected socket's FINs have got to, as Linux's state machine names it. */
export function connectionState(ends: Ending): number {
  // Linux's tcp_done: a reset, or both FINs through (TIME_WAIT moves to a socket of its own), leaves the socket in TCP_CLOSE.
  if (ends.reset || (ends.writeShut && ends.ourFinArrived && ends.peerFinArrived)) return TcpState.CLOSE;
  if (!ends.writeShut) return ends.peerFinArrived ? TcpState.CLOSE_WAIT : TcpState.ESTABLISHED;
  if (ends.shutAfterPeerFin) return TcpState.LAST_ACK;
  if (ends.peerFinArrived) return TcpState.CLOSING;
  // The model knows when the FIN arrives, not when its ACK comes back: FIN_WAIT2 from its arrival.
  return ends.ourFinArrived ? TcpState.FIN_WAIT2 : TcpState.FIN_WAIT1;
}

const micros = (seconds: number): number => Math.min(UNKNOWN_U32 - 1, Math.round(seconds * 1e6));
const millisSince = (now: number, date: number): number => Math.max(0, Math.floor((now - date) * 1e3));

/** Linux's tcp_get_info for the socket `source` describes. */
export function tcpInfoOf(source: TcpInfoSource): TcpInfo {
  if (source.kind === 'listening') {
    // tcp_get_info stops early for a listener: the accept queue in unacked, the backlog in sacked.
    return { ...blank(TcpState.LISTEN), unacked: source.queued, sacked: source.backlog };
  }
  if (source.kind === 'unconnected') return unconnected(source);
  const { sender, receiver, sizes, now } = source;
  const mss = sizes.mss;
  const segments = (bytes: number) => Math.ceil(bytes / mss);
  // The SYN counts once in the active opener's bytes acknowledged and segments delivered (Linux's snd_una starts at the ISN there), each FIN once when through.
  const synAcked = source.activeOpen ? 1 : 0;
  const ourFin = sender.finArrived ? 1 : 0;
  const peerFin = source.peerFinArrived ? 1 : 0;
  return {
    ...blank(source.state),
    caState: sender.recovering ? CA_RECOVERY : 0,
    options: NEGOTIATED_OPTIONS,
    sendWindowScale: WINDOW_SCALE,
    receiveWindowScale: WINDOW_SCALE,
    rto: micros(sender.retransmitTimeout),
    // The delayed-ACK timeout starts at its floor with the first data received (tcp_event_data_recv).
    ato: receiver.received > 0 ? micros(DELAYED_ACK_SECONDS) : 0,
    sendMss: mss,
    // tcp_initialize_rcv_mss starts from 536 bytes; a full segment received raises it to the MSS.
    receiveMss: receiver.received >= mss ? mss : DEFAULT_MSS,
    unacked: segments(sender.inFlight),
    sacked: segments(sender.sacked),
    lastDataSent: millisSince(now, sender.lastSentAt ?? source.establishedAt),
    lastDataReceived: millisSince(now, receiver.lastArrivalAt ?? source.establishedAt),
    lastAckReceived: millisSince(now, sender.lastAckAt ?? source.establishedAt),
    pathMtu: mss + sizes.headerBytes,
    receiveSlowStartThreshold: receiver.window,
    rtt: micros(sender.smoothedRtt),
    rttVariation: micros(sender.rttVariation),
    sendSlowStartThreshold: Number.isFinite(sender.slowStartThreshold) ? Math.floor(sender.slowStartThreshold / mss) : INFINITE_THRESHOLD,
    sendCongestionWindow: Math.floor(sender.congestionWindow / mss),
    advertisedMss: mss,
    receiveSpace: receiver.window,
    totalRetransmissions: sender.retransmittedSegments,
    // A round trip measured as 0 (hosts without latency between them) paces at no limit.
    pacingRate: sender.pacingRate < 2 ** 64 ? BigInt(Math.round(sender.pacingRate)) : UNKNOWN_U64,
    bytesAcked: BigInt(sender.acknowledged + synAcked + ourFin),
    bytesReceived: BigInt(receiver.received + peerFin),
    // The handshake's segment each way, the FINs, the ACKs: pure ACKs of the sender's own are counted where the peer's receiver sent them.
    segmentsOut: 1 + sender.dataSegments + receiver.acksSent + ourFin,
    segmentsIn: 1 + receiver.dataSegments + peerFin,
    notSentBytes: sender.unsent,
    minRtt: micros(sender.minRtt),
    dataSegmentsIn: receiver.dataSegments,
    dataSegmentsOut: sender.dataSegments,
    delivered: 1 + segments(sender.acknowledged) + ourFin,
    bytesSent: BigInt(sender.sent + sender.retransmittedBytes),
    bytesRetransmitted: BigInt(sender.retransmittedBytes),
    sendWindow: sender.peerWindow,
    receiveWindow: receiver.window,
  };
}

/**
 * A socket with no connection (never connected, connecting, or closed):
 * what Linux's tcp_init_sock set. A SYN under way has its MSS clamped to
 * what any peer takes until the SYN-ACK tells (536 bytes over IPv4, IPv6's
 * minimum MTU less its headers over IPv6: tcp_v6_connect), less the
 * timestamp option.
 */
function unconnected({ state, now, ipv6 }: { state: number; now: number; ipv6: boolean }): TcpInfo {
  const synMss = (ipv6 ? IPV6_MIN_MTU - IPV6_TCP_HEADERS : DEFAULT_MSS) - TIMESTAMP_OPTION;
  return {
    ...blank(state),
    rto: micros(INITIAL_RTO_SECONDS),
    sendMss: state === TcpState.SYN_SENT ? synMss : DEFAULT_MSS,
    // Linux counts these from jiffies 0, when nothing happened yet: the time since boot.
    lastDataSent: Math.floor(now * 1e3),
    lastDataReceived: Math.floor(now * 1e3),
    lastAckReceived: Math.floor(now * 1e3),
    // tcp_init_sock: the variation starts at a quarter of the initial timeout.
    rttVariation: micros(INITIAL_RTO_SECONDS) / 4,
    sendSlowStartThreshold: INFINITE_THRESHOLD,
    minRtt: UNKNOWN_U32,
  };
}

/** The fields every state reports alike (pacing unknown and unlimited, the initial window), the others zero. */
function blank(state: number): TcpInfo {
  return {
    state,
    caState: 0,
    options: 0,
    sendWindowScale: 0,
    receiveWindowScale: 0,
    rto: 0,
    ato: 0,
    sendMss: 0,
    receiveMss: 0,
    unacked: 0,
    sacked: 0,
    lastDataSent: 0,
    lastDataReceived: 0,
    lastAckReceived: 0,
    pathMtu: 0,
    receiveSlowStartThreshold: 0,
    rtt: 0,
    rttVariation: 0,
    sendSlowStartThreshold: 0,
    sendCongestionWindow: INITIAL_WINDOW_SEGMENTS,
    advertisedMss: 0,
    reordering: REORDERING,
    receiveSpace: 0,
    totalRetransmissions: 0,
    pacingRate: UNKNOWN_U64,
    maxPacingRate: UNKNOWN_U64,
    bytesAcked: 0n,
    bytesReceived: 0n,
    segmentsOut: 0,
    segmentsIn: 0,
    notSentBytes: 0,
    minRtt: 0,
    dataSegmentsIn: 0,
    dataSegmentsOut: 0,
    delivered: 0,
    bytesSent: 0n,
    bytesRetransmitted: 0n,
    sendWindow: 0,
    receiveWindow: 0,
  };
}
