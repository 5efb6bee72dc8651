import { StreamSocket, type DatagramSocket, type Endpoint } from '../../net/index.js';
import { TcpState } from '../../net/tcp-info.js';
import type { InetDiagSocket } from '../abi/netlink.js';
import { encodeSockaddrIn, encodeSockaddrIn6 } from '../abi/socket.js';
import type { Process } from '../tracees/tracees.js';
import { SocketFile } from './socket-file.js';

/**
 * A host's virtual sockets as its kernel would list them (sock_diag for
 * ss, /proc/net/tcp and udp for netstat): those its processes hold, each
 * once however many descriptors share it, and the connections waiting in
 * their listeners' accept queues. A connection no process holds any more
 * (closed, lingering in TIME_WAIT) is not listed.
 */
export interface ListedSocket extends Omit<InetDiagSocket, 'family'> {
  socket: StreamSocket | DatagramSocket;
  family: 4 | 6;
  protocol: 'tcp' | 'udp';
}

const NOWHERE: Endpoint = { address: '0.0.0.0', port: 0 };
const NOWHERE6: Endpoint = { address: '::', port: 0 };

export function socketsOnHost(processes: Iterable<Process>, host: string): ListedSocket[] {
  const seen = new Set<StreamSocket | DatagramSocket>();
  const listed: ListedSocket[] = [];
  const add = (socket: StreamSocket | DatagramSocket) => {
    if (seen.has(socket)) return;
    seen.add(socket);
    listed.push(listing(socket));
  };
  for (const process of processes) {
    if (process.host !== host) continue;
    for (const { object } of process.fds.files()) {
      if (!(object instanceof SocketFile)) continue;
      add(object.socket);
      if (object.socket instanceof StreamSocket) object.socket.pendingConnections.forEach(add);
    }
  }
  return listed;
}

function listing(socket: StreamSocket | DatagramSocket): ListedSocket {
  const family = socket.family;
  const wildcard = family === 6 ? NOWHERE6 : NOWHERE;
  const local = socket.local ?? wildcard;
  const remote = socket.remote ?? wildcard;
  const common = {
    socket,
    family,
    cookie: socket.id,
    uid: process.getuid?.() ?? 0,
    localAddress: addressBytes(family, local),
    localPort: local.port,
    remoteAddress: addressBytes(family, remote),
    remotePort: remote.port,
  };
  if (socket instanceof StreamSocket) {
    const info = socket.tcpInfo();
    const listening = info.state === TcpState.LISTEN;
    return {
      ...common,
      protocol: 'tcp',
      state: info.state,
      // tcp_diag_get_info and get_tcp4_sock: a listener's queue and backlog; a connection's rcv_nxt - copied_seq and write_seq - snd_una.
      receiveQueue: listening ? info.unacked : socket.unreadSequence(),
      sendQueue: listening ? info.sacked : socket.unacknowledged(),
    };
  }
  return {
    ...common,
    protocol: 'udp',
    state: socket.remote === undefined ? TcpState.CLOSE : TcpState.ESTABLISHED,
    receiveQueue: socket.available(),
    sendQueue: 0,
  };
}

function addressBytes(family: 4 | 6, endpoint: Endpoint): Buffer {
  return family === 6 ? encodeSockaddrIn6(endpoint).subarray(8, 24) : encodeSockaddrIn(endpoint).subarray(4, 8);
}
