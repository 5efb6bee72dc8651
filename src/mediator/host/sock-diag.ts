import {
  INET_DIAG_CONG,
  INET_DIAG_INFO,
  INET_DIAG_SHUTDOWN,
  INET_DIAG_SKV6ONLY,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  SOCK_DESTROY,
  SOCK_DIAG_BY_FAMILY,
  attribute,
  decodeInetDiagRequest,
  decodeRequests,
  inetDiagMsg,
  message,
  stringAttribute,
  u8Attribute,
  type InetDiagRequest,
  type NetlinkRequest,
} from '../abi/netlink.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP } from '../abi/socket.js';
import { encodeTcpInfo } from '../abi/tcp-info.js';
import { Errno } from '../abi/errno.js';
import { StreamSocket } from '../../net/index.js';
import { TcpState } from '../../net/tcp-info.js';
import type { ListedSocket } from '../sockets/host-sockets.js';
import { acknowledgement, done, packed } from './netlink-replies.js';

/**
 * The kernel's side of a NETLINK_SOCK_DIAG socket, for a host's virtual
 * sockets: the SOCK_DIAG_BY_FAMILY dumps `ss` asks for, TCP and UDP over
 * IPv4 and IPv6, filtered by state as Linux's inet_diag does (ss applies
 * its own filter expressions again to what comes back, so their bytecode
 * is not run here), with the connection's tcp_info and congestion control
 * when asked. Other families (AF_UNIX, AF_NETLINK, AF_PACKET) and
 * protocols have no virtual sockets: their dumps are empty.
 */

/** The datagrams the kernel sends back for a buffer a program sent from `port`, about `sockets` (the host's). */
export function answerSockDiag(data: Buffer, port: number, sockets: () => readonly ListedSocket[]): Buffer[] {
  const datagrams: Buffer[] = [];
  for (const request of decodeRequests(data)) {
    const { flags, type } = request.header;
    if ((flags & NLM_F_REQUEST) === 0) continue;
    // SOCK_DESTROY (ss -K) as a kernel built without CONFIG_INET_DIAG_DESTROY answers it; types other than SOCK_DIAG_BY_FAMILY are EINVAL.
    if (type !== SOCK_DIAG_BY_FAMILY) {
      datagrams.push(acknowledgement(request, port, type === SOCK_DESTROY ? Errno.EOPNOTSUPP : Errno.EINVAL));
      continue;
    }
    // The families with no virtual socket (AF_UNIX's unix_diag_req, AF_NETLINK, AF_PACKET) have nothing to list, whatever their request's shape.
    if (!inetFamily(request.body[0] ?? 0)) {
      datagrams.push((flags & NLM_F_DUMP) === NLM_F_DUMP ? done(request, port) : acknowledgement(request, port, Errno.ENOENT));
      continue;
    }
    const diag = decodeInetDiagRequest(request.body);
    if (diag === undefined) {
      datagrams.push(acknowledgement(request, port, Errno.EINVAL));
      continue;
    }
    const ofKind = sockets().filter((socket) => ofRequestedKind(socket, diag));
    if ((flags & NLM_F_DUMP) === NLM_F_DUMP) {
      const matching = ofKind.filter((socket) => (diag.states & (1 << socket.state)) !== 0);
      datagrams.push(...packed([...matching.map((socket) => reply(request, port, NLM_F_MULTI, socket, diag)), done(request, port)]));
      continue;
    }
    // One socket asked for by its id (inet_diag_find_one_icsk): ENOENT when there is none, or when its cookie is another's (Linux 6.18).
    const found = ofKind.find((socket) => named(socket, diag));
    if (found === undefined || (diag.cookie !== undefined && diag.cookie !== found.cookie)) {
      datagrams.push(acknowledgement(request, port, Errno.ENOENT));
      continue;
    }
    datagrams.push(reply(request, port, 0, found, diag));
    if ((flags & NLM_F_ACK) !== 0) datagrams.push(acknowledgement(request, port, 0));
  }
  return datagrams;
}

const inetFamily = (family: number): boolean => family === AF_INET || family === AF_INET6;

/** Of the request's family and protocol. */
function ofRequestedKind(socket: ListedSocket, diag: InetDiagRequest): boolean {
  return (socket.family === 6 ? AF_INET6 : AF_INET) === diag.family && (socket.protocol === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP) === diag.protocol;
}

/**
 * The socket a lookup names, as the kernel finds where a segment from the
 * id's destination to its source would go: the connection of those
 * addresses and ports, or else a listener on the source port and address
 * (or on a wildcard).
 */
function named(socket: ListedSocket, diag: InetDiagRequest): boolean {
  const size = socket.localAddress.length;
  const same = (ours: Buffer, asked: Buffer) => ours.equals(asked.subarray(0, size));
  if (socket.localPort !== diag.localPort) return false;
  if (socket.remotePort === diag.remotePort && same(socket.remoteAddress, diag.remoteAddress) && same(socket.localAddress, diag.localAddress)) return true;
  const wildcard = socket.localAddress.every((byte) => byte === 0);
  return socket.state === TcpState.LISTEN && (wildcard || same(socket.localAddress, diag.localAddress));
}

function reply(request: NetlinkRequest, port: number, flags: number, listed: ListedSocket, diag: InetDiagRequest): Buffer {
  const family = listed.family === 6 ? AF_INET6 : AF_INET;
  const { socket } = listed;
  const stream = socket instanceof StreamSocket ? socket : undefined;
  // sk_shutdown: RCV_SHUTDOWN and SEND_SHUTDOWN; a UDP socket here is never shut.
  const parts = [inetDiagMsg({ ...listed, family }), u8Attribute(INET_DIAG_SHUTDOWN, stream?.shutdownBits ?? 0)];
  if (family === AF_INET6) parts.push(u8Attribute(INET_DIAG_SKV6ONLY, socket.v6only ? 1 : 0));
  const asked = (extension: number) => (diag.extensions & (1 << (extension - 1))) !== 0;
  if (stream !== undefined && asked(INET_DIAG_INFO)) parts.push(attribute(INET_DIAG_INFO, encodeTcpInfo(stream.tcpInfo())));
  if (stream !== undefined && asked(INET_DIAG_CONG)) parts.push(stringAttribute(INET_DIAG_CONG, 'cubic'));
  return message({ type: SOCK_DIAG_BY_FAMILY, flags, sequence: request.header.sequence, port }, parts);
}
