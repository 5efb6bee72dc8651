import type { StreamSocket } from '../../net/index.js';
import { TcpState } from '../../net/tcp-info.js';
import type { ListedSocket } from '../sockets/host-sockets.js';

/**
 * /proc/net/tcp, tcp6, udp and udp6 as a host's kernel writes them
 * (get_tcp4_sock, get_tcp6_sock, udp4_format_sock, udp6_sock_seq_show),
 * listing its virtual sockets: what netstat and lsof read. Listeners come
 * first, as the kernel walks its listening hash before the established one.
 * The kernel's pointers, inodes and reference counts have no counterpart:
 * they read 0 (a pointer as an unprivileged reader sees it), 0 and 1.
 */
export type ProcNetTable = 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'sockstat' | 'sockstat6';

export const PROC_NET_TABLES: readonly ProcNetTable[] = ['tcp', 'tcp6', 'udp', 'udp6', 'sockstat', 'sockstat6'];

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UDP_HEADER = '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
const UDP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops';
/** Lines of tcp are padded to TMPSZ - 1 characters, those of udp to 127; the IPv6 tables are not padded. */
const TCP_WIDTH = 149;
const UDP_WIDTH = 127;
/** USER_HZ: the kernel prints its timers in clock ticks. */
const TICKS_PER_SECOND = 100;
const POINTER = '0000000000000000';

export function procNetFile(table: ProcNetTable, sockets: readonly ListedSocket[]): string {
  if (table === 'sockstat' || table === 'sockstat6') return socketCounts(table === 'sockstat6', sockets);
  const ipv6 = table.endsWith('6');
  const tcp = table.startsWith('tcp');
  const chosen = sockets
    .filter((socket) => (socket.family === 6) === ipv6 && (socket.protocol === 'tcp') === tcp)
    .sort((a, b) => Number(b.state === TcpState.LISTEN) - Number(a.state === TcpState.LISTEN));
  const lines = chosen.map((socket, index) => (tcp ? tcpLine(socket, index) : udpLine(socket, index)));
  const header = tcp ? (ipv6 ? TCP6_HEADER : TCP_HEADER) : ipv6 ? UDP6_HEADER : UDP_HEADER;
  const width = ipv6 ? 0 : tcp ? TCP_WIDTH : UDP_WIDTH;
  return [header, ...lines].map((line) => `${line.padEnd(width)}\n`).join('');
}

const hex = (value: number, digits: number): string => (value >>> 0).toString(16).toUpperCase().padStart(digits, '0');

/** An address as the kernel prints it: each 32-bit word of the stored (network-order) bytes read as a little-endian number. */
function addressHex(bytes: Buffer): string {
  let text = '';
  for (let offset = 0; offset < bytes.length; offset += 4) text += hex(bytes.readUInt32LE(offset), 8);
  return text;
}

/** sl, local and remote address:port, state, then tx_queue:rx_queue. */
function commonFields(socket: ListedSocket, index: number, slotWidth: number): string {
  const local = `${addressHex(socket.localAddress)}:${hex(socket.localPort, 4)}`;
  const remote = `${addressHex(socket.remoteAddress)}:${hex(socket.remotePort, 4)}`;
  return `${String(index).padStart(slotWidth)}: ${local} ${remote} ${hex(socket.state, 2)} ${hex(socket.sendQueue, 8)}:${hex(socket.receiveQueue, 8)}`;
}

function tcpLine(socket: ListedSocket, index: number): string {
  // A listener's queue shows in rx_queue only; its tx_queue (write_seq - snd_una) is 0.
  const listening = socket.state === TcpState.LISTEN;
  const fields = commonFields({ ...socket, sendQueue: listening ? 0 : socket.sendQueue }, index, 4);
  // The tcp tables hold only TCP sockets.
  const info = (socket.socket as StreamSocket).tcpInfo();
  // A listener keeps tcp_init_sock's timeout (1 s) and a threshold of 0; tcp_get_info reports neither.
  const rto = listening ? TICKS_PER_SECOND : Math.floor((info.rto * TICKS_PER_SECOND) / 1e6);
  const ato = Math.floor((info.ato * TICKS_PER_SECOND) / 1e6);
  const threshold = listening ? 0 : info.sendSlowStartThreshold >= 0x7fffffff ? -1 : info.sendSlowStartThreshold;
  const timer = info.unacked > 0 ? `01:${hex(rto, 8)}` : '00:00000000';
  return `${fields} ${timer} 00000000 ${String(socket.uid).padStart(5)} ${'0'.padStart(8)} 0 1 ${POINTER} ${rto} ${ato} 0 ${info.sendCongestionWindow} ${threshold}`;
}

function udpLine(socket: ListedSocket, index: number): string {
  return `${commonFields(socket, index, 5)} 00:00000000 00000000 ${String(socket.uid).padStart(5)} ${'0'.padStart(8)} 0 1 ${POINTER} 0`;
}

/**
 * /proc/net/sockstat and sockstat6 (ss -s): sockets in use per protocol,
 * those hashed (bound, listening or connected: not in TCP_CLOSE, or a UDP
 * socket with a port). Memory in pages and TIME_WAIT sockets read 0: the
 * listing holds none that no process holds.
 */
function socketCounts(ipv6: boolean, sockets: readonly ListedSocket[]): string {
  const inUse = (protocol: 'tcp' | 'udp', family: 4 | 6) =>
    sockets.filter(
      (socket) => socket.protocol === protocol && socket.family === family && (protocol === 'tcp' ? socket.state !== TcpState.CLOSE : socket.localPort !== 0),
    ).length;
  if (ipv6) return `TCP6: inuse ${inUse('tcp', 6)}\nUDP6: inuse ${inUse('udp', 6)}\nUDPLITE6: inuse 0\nRAW6: inuse 0\nFRAG6: inuse 0 memory 0\n`;
  const allocated = sockets.filter((socket) => socket.protocol === 'tcp').length;
  return [
    `sockets: used ${sockets.length}`,
    `TCP: inuse ${inUse('tcp', 4)} orphan 0 tw 0 alloc ${allocated} mem 0`,
    `UDP: inuse ${inUse('udp', 4)} mem 0`,
    'UDPLITE: inuse 0',
    'RAW: inuse 0',
    'FRAG: inuse 0 memory 0',
    '',
  ].join('\n');
}
