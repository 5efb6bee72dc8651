import type { TcpInfo } from '../../net/tcp-info.js';

/**
 * struct tcp_info as Linux 6.18 lays it out (include/uapi/linux/tcp.h):
 * 280 bytes, little-endian. getsockopt copies as much of it as *optlen asks
 * for, so a program built against an older, shorter struct reads its prefix.
 */
export const TCP_INFO_SIZE = 280;

export function encodeTcpInfo(info: TcpInfo): Buffer {
  const bytes = Buffer.alloc(TCP_INFO_SIZE);
  bytes.writeUInt8(info.state, 0);
  bytes.writeUInt8(info.caState, 1);
  bytes.writeUInt8(info.options, 5);
  // tcpi_snd_wscale : 4 then tcpi_rcv_wscale : 4, from the low bits up.
  bytes.writeUInt8((info.sendWindowScale & 0xf) | ((info.receiveWindowScale & 0xf) << 4), 6);
  const u32 = (offset: number, value: number) => bytes.writeUInt32LE(value >>> 0, offset);
  const u64 = (offset: number, value: bigint) => bytes.writeBigUInt64LE(value, offset);
  u32(8, info.rto);
  u32(12, info.ato);
  u32(16, info.sendMss);
  u32(20, info.receiveMss);
  u32(24, info.unacked);
  u32(28, info.sacked);
  u32(44, info.lastDataSent);
  u32(52, info.lastDataReceived);
  u32(56, info.lastAckReceived);
  u32(60, info.pathMtu);
  u32(64, info.receiveSlowStartThreshold);
  u32(68, info.rtt);
  u32(72, info.rttVariation);
  u32(76, info.sendSlowStartThreshold);
  u32(80, info.sendCongestionWindow);
  u32(84, info.advertisedMss);
  u32(88, info.reordering);
  u32(96, info.receiveSpace);
  u32(100, info.totalRetransmissions);
  u64(104, info.pacingRate);
  u64(112, info.maxPacingRate);
  u64(120, info.bytesAcked);
  u64(128, info.bytesReceived);
  u32(136, info.segmentsOut);
  u32(140, info.segmentsIn);
  u32(144, info.notSentBytes);
  u32(148, info.minRtt);
  u32(152, info.dataSegmentsIn);
  u32(156, info.dataSegmentsOut);
  u32(192, info.delivered);
  u64(200, info.bytesSent);
  u64(208, info.bytesRetransmitted);
  u32(228, info.sendWindow);
  u32(232, info.receiveWindow);
  return bytes;
}
