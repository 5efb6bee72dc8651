import { AF_NETLINK } from './socket.js';

/**
 * Netlink's wire format (netlink(7), rtnetlink(7)): message headers,
 * attributes, and the rtnetlink bodies of links, addresses and routes, in
 * host byte order, each part aligned to 4 bytes.
 */

export const NETLINK_ROUTE = 0;
/** sock_diag(7): the sockets of the network namespace, for ss. */
export const NETLINK_SOCK_DIAG = 4;
export const SOCK_DIAG_BY_FAMILY = 20;
export const SOCK_DESTROY = 21;
/** struct inet_diag_req_v2: family, protocol, ext, pad, states, then a struct inet_diag_sockid. */
export const INET_DIAG_REQ_V2_SIZE = 56;
export const INET_DIAG_INFO = 2;
export const INET_DIAG_CONG = 4;
export const INET_DIAG_SHUTDOWN = 8;
export const INET_DIAG_SKV6ONLY = 11;
export const SOL_NETLINK = 270;

export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_DUMP = 0x300;
/** On an acknowledgement: the request is quoted by its header alone. */
export const NLM_F_CAPPED = 0x100;

export const RTM_NEWLINK = 16;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_GETADDR = 22;
export const RTM_NEWROUTE = 24;
export const RTM_GETROUTE = 26;
/** rtnetlink's message types run from RTM_BASE (16) up to this. */
export const RTM_MAX = 127;

export const IFLA_ADDRESS = 1;
export const IFLA_BROADCAST = 2;
export const IFLA_IFNAME = 3;
export const IFLA_MTU = 4;
export const IFLA_QDISC = 6;
export const IFLA_STATS = 7;
export const IFLA_TXQLEN = 13;
export const IFLA_OPERSTATE = 16;
export const IFLA_LINKMODE = 17;
export const IFLA_GROUP = 27;
/** IF_OPER_UNKNOWN (lo) and IF_OPER_UP. */
export const IF_OPER_UNKNOWN = 0;
export const IF_OPER_UP = 6;
/** struct rtnl_link_stats: 24 counters of 32 bits. */
export const LINK_STATS_SIZE = 96;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_BROADCAST = 4;
export const IFA_CACHEINFO = 6;
export const IFA_FLAGS = 8;
export const IFA_F_PERMANENT = 0x80;
/** ifa_cacheinfo's lifetime of an address that never expires. */
export const INFINITY_LIFE_TIME = 0xffffffff;

export const RTA_DST = 1;
export const RTA_OIF = 4;
export const RTA_PREFSRC = 7;
export const RTA_PRIORITY = 6;
export const RTA_TABLE = 15;
/** An IPv6 route's router preference (ICMPV6_ROUTER_PREF_MEDIUM is 0). */
export const RTA_PREF = 20;
export const RT_TABLE_MAIN = 254;
export const RT_TABLE_LOCAL = 255;
export const RTPROT_KERNEL = 2;
export const RT_SCOPE_UNIVERSE = 0;
export const RT_SCOPE_LINK = 253;
export const RT_SCOPE_HOST = 254;
export const RTN_UNICAST = 1;
export const RTN_LOCAL = 2;
export const RTN_BROADCAST = 3;

export const NLMSG_HDRLEN = 16;
const RTA_HDRLEN = 4;
/** struct sockaddr_nl: family, pad, nl_pid, nl_groups. */
export const SOCKADDR_NL_SIZE = 12;

export const align = (length: number): number => (length + 3) & ~3;

export interface NetlinkHeader {
  length: number;
  type: number;
  flags: number;
  sequence: number;
  port: number;
}

/** One request of a buffer a program sent: its header and body (up to the header's length). */
export interface NetlinkRequest {
  header: NetlinkHeader;
  body: Buffer;
}

/**
 * The messages of one sent buffer, as the kernel walks them: each header
 * must fit and its length cover it, else the walk stops (netlink_rcv_skb).
 */
export function decodeRequests(data: Buffer): NetlinkRequest[] {
  const requests: NetlinkRequest[] = [];
  let offset = 0;
  while (offset + NLMSG_HDRLEN <= data.length) {
    const length = data.readUInt32LE(offset);
    if (length < NLMSG_HDRLEN || offset + length > data.length) break;
    requests.push({
      header: {
        length,
        type: data.readUInt16LE(offset + 4),
        flags: data.readUInt16LE(offset + 6),
        sequence: data.readUInt32LE(offset + 8),
        port: data.readUInt32LE(offset + 12),
      },
      body: data.subarray(offset + NLMSG_HDRLEN, offset + length),
    });
    offset += align(length);
  }
  return requests;
}

/** The attributes after a fixed body of `fixed` bytes, by type (the first of each). */
export function decodeAttributes(body: Buffer, fixed: number): Map<number, Buffer> {
  const attributes = new Map<number, Buffer>();
  let offset = align(fixed);
  while (offset + RTA_HDRLEN <= body.length) {
    const length = body.readUInt16LE(offset);
    if (length < RTA_HDRLEN || offset + length > body.length) break;
    const type = body.readUInt16LE(offset + 2) & 0x3fff;
    if (!attributes.has(type)) attributes.set(type, body.subarray(offset + RTA_HDRLEN, offset + length));
    offset += align(length);
  }
  return attributes;
}

/** An attribute: its header, its value, and the padding to 4 bytes. */
export function attribute(type: number, value: Buffer): Buffer {
  const bytes = Buffer.alloc(align(RTA_HDRLEN + value.length));
  bytes.writeUInt16LE(RTA_HDRLEN + value.length, 0);
  bytes.writeUInt16LE(type, 2);
  value.copy(bytes, RTA_HDRLEN);
  return bytes;
}

export const u8Attribute = (type: number, value: number): Buffer => attribute(type, Buffer.from([value]));

export function u32Attribute(type: number, value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(value >>> 0, 0);
  return attribute(type, bytes);
}

/** A NUL-terminated string attribute (IFLA_IFNAME, IFA_LABEL, IFLA_QDISC). */
export const stringAttribute = (type: number, value: string): Buffer => attribute(type, Buffer.from(`${value}\0`, 'latin1'));

/** A message: header, then body and attributes, padded to 4 bytes. */
export function message(header: Omit<NetlinkHeader, 'length'>, parts: readonly Buffer[]): Buffer {
  const payload = Buffer.concat(parts.map((part) => (part.length % 4 === 0 ? part : Buffer.concat([part, Buffer.alloc(align(part.length) - part.length)]))));
  const bytes = Buffer.alloc(NLMSG_HDRLEN + payload.length);
  bytes.writeUInt32LE(bytes.length, 0);
  bytes.writeUInt16LE(header.type, 4);
  bytes.writeUInt16LE(header.flags, 6);
  bytes.writeUInt32LE(header.sequence >>> 0, 8);
  bytes.writeUInt32LE(header.port >>> 0, 12);
  payload.copy(bytes, NLMSG_HDRLEN);
  return bytes;
}

/** struct ifinfomsg: family, pad, type, index, flags, change. */
export function ifinfomsg(family: number, hardwareType: number, index: number, flags: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt8(family, 0);
  bytes.writeUInt16LE(hardwareType, 2);
  bytes.writeInt32LE(index, 4);
  bytes.writeUInt32LE(flags >>> 0, 8);
  return bytes;
}

export const IFINFOMSG_SIZE = 16;

/** ifi_index of a request's ifinfomsg, or undefined when the body is too short for one. */
export const ifinfomsgIndex = (body: Buffer): number | undefined => (body.length < IFINFOMSG_SIZE ? undefined : body.readInt32LE(4));

/**
 * The family a request asks about: the first byte of its body, which
 * rtgenmsg, ifinfomsg, ifaddrmsg and rtmsg all begin with (AF_UNSPEC for
 * an empty body).
 */
export const requestFamily = (body: Buffer): number => body[0] ?? 0;

/** struct ifa_cacheinfo of an address that never expires: lifetimes forever, timestamps 0. */
export function permanentCacheinfo(): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt32LE(INFINITY_LIFE_TIME, 0);
  bytes.writeUInt32LE(INFINITY_LIFE_TIME, 4);
  return bytes;
}

/** struct ifaddrmsg: family, prefix length, flags, scope, index. */
export function ifaddrmsg(family: number, prefixLength: number, flags: number, scope: number, index: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeUInt8(family, 0);
  bytes.writeUInt8(prefixLength, 1);
  bytes.writeUInt8(flags & 0xff, 2);
  bytes.writeUInt8(scope, 3);
  bytes.writeUInt32LE(index, 4);
  return bytes;
}

export interface RouteHead {
  family: number;
  destinationLength: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  /** rtm_flags: RTM_F_CLONED and RTCF_LOCAL on the answer to a lookup. */
  flags?: number;
}

/** struct rtmsg's size: the attributes of a route request follow it. */
export const RTMSG_SIZE = 12;
/** On a route lookup's answer: a route made for this destination. */
export const RTM_F_CLONED = 0x200;
/** On a route lookup's answer: the destination is this host. */
export const RTCF_LOCAL = 0x80000000;
export const RTPROT_UNSPEC = 0;

/** struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags. */
export function rtmsg(route: RouteHead): Buffer {
  const bytes = Buffer.alloc(RTMSG_SIZE);
  bytes.writeUInt8(route.family, 0);
  bytes.writeUInt8(route.destinationLength, 1);
  bytes.writeUInt8(Math.min(route.table, 255), 4);
  bytes.writeUInt8(route.protocol, 5);
  bytes.writeUInt8(route.scope, 6);
  bytes.writeUInt8(route.type, 7);
  bytes.writeUInt32LE((route.flags ?? 0) >>> 0, 8);
  return bytes;
}

/** struct nlmsgerr: the error (negative errno, 0 for an ack), then the request's header. */
export function nlmsgerr(errno: number, request: NetlinkHeader): Buffer {
  const bytes = Buffer.alloc(4 + NLMSG_HDRLEN);
  bytes.writeInt32LE(-errno, 0);
  bytes.writeUInt32LE(request.length, 4);
  bytes.writeUInt16LE(request.type, 8);
  bytes.writeUInt16LE(request.flags, 10);
  bytes.writeUInt32LE(request.sequence >>> 0, 12);
  bytes.writeUInt32LE(request.port >>> 0, 16);
  return bytes;
}

/** An IPv4 address as netlink carries it: network byte order. */
export function ipv4Bytes(value: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes;
}

/** struct sockaddr_nl of a port and multicast groups. */
export function encodeSockaddrNl(port: number, groups: number): Buffer {
  const bytes = Buffer.alloc(SOCKADDR_NL_SIZE);
  bytes.writeUInt16LE(AF_NETLINK, 0);
  bytes.writeUInt32LE(port >>> 0, 4);
  bytes.writeUInt32LE(groups >>> 0, 8);
  return bytes;
}

export interface SockaddrNl {
  family: number;
  port: number;
  groups: number;
}

/** A struct sockaddr_nl, or null when shorter than one. */
export function decodeSockaddrNl(bytes: Buffer): SockaddrNl | null {
  if (bytes.length < SOCKADDR_NL_SIZE) return null;
  return { family: bytes.readUInt16LE(0), port: bytes.readUInt32LE(4), groups: bytes.readUInt32LE(8) };
}

/** What an inet_diag message says of one socket (struct inet_diag_msg), and /proc/net/tcp and udp of it too. */
export interface InetDiagSocket {
  family: number;
  /** Linux's TCP state number (UDP: ESTABLISHED when connected, CLOSE otherwise). */
  state: number;
  /** Network byte order: 4 bytes for AF_INET, 16 for AF_INET6 (an IPv4 peer of an AF_INET6 socket mapped). */
  localAddress: Buffer;
  localPort: number;
  remoteAddress: Buffer;
  remotePort: number;
  /** A listener's accept queue and backlog; a connection's bytes unread and not yet acknowledged; a UDP socket's bytes waiting. */
  receiveQueue: number;
  sendQueue: number;
  /** The owner: tracees run as simterpose's user unless they change it, which the mediator does not follow. */
  uid: number;
  /** sock_diag's cookie (also SO_COOKIE): the socket's id, unique on the host. */
  cookie: number;
}

/** struct inet_diag_msg: family, state, timer, retrans, the socket's id (ports, addresses, interface, cookie), expires, queues, uid, inode. */
export function inetDiagMsg(socket: InetDiagSocket): Buffer {
  const bytes = Buffer.alloc(72);
  bytes.writeUInt8(socket.family, 0);
  bytes.writeUInt8(socket.state, 1);
  bytes.writeUInt16BE(socket.localPort, 4);
  bytes.writeUInt16BE(socket.remotePort, 6);
  socket.localAddress.copy(bytes, 8);
  socket.remoteAddress.copy(bytes, 24);
  bytes.writeUInt32LE(socket.cookie % 2 ** 32, 44);
  bytes.writeUInt32LE(Math.floor(socket.cookie / 2 ** 32), 48);
  bytes.writeUInt32LE(socket.receiveQueue >>> 0, 56);
  bytes.writeUInt32LE(socket.sendQueue >>> 0, 60);
  bytes.writeUInt32LE(socket.uid >>> 0, 64);
  return bytes;
}

/** The parts of a struct inet_diag_req_v2 a dump is filtered by. */
export interface InetDiagRequest {
  family: number;
  protocol: number;
  /** Bit N - 1 asks for attribute N (INET_DIAG_INFO...). */
  extensions: number;
  /** Bit N takes sockets in TCP state N. */
  states: number;
  localPort: number;
  remotePort: number;
  /** 16 bytes each, of which AF_INET uses the first 4. */
  localAddress: Buffer;
  remoteAddress: Buffer;
  /** undefined for INET_DIAG_NOCOOKIE (all bits set): any socket. */
  cookie: number | undefined;
}

const INET_DIAG_NOCOOKIE = 0xffffffff;

/** A struct inet_diag_req_v2, or undefined when the body is too short for one. */
export function decodeInetDiagRequest(body: Buffer): InetDiagRequest | undefined {
  if (body.length < INET_DIAG_REQ_V2_SIZE) return undefined;
  return {
    family: body.readUInt8(0),
    protocol: body.readUInt8(1),
    extensions: body.readUInt8(2),
    states: body.readUInt32LE(4),
    localPort: body.readUInt16BE(8),
    remotePort: body.readUInt16BE(10),
    localAddress: body.subarray(12, 28),
    remoteAddress: body.subarray(28, 44),
    cookie:
      body.readUInt32LE(48) === INET_DIAG_NOCOOKIE && body.readUInt32LE(52) === INET_DIAG_NOCOOKIE
        ? undefined
        : body.readUInt32LE(48) + body.readUInt32LE(52) * 2 ** 32,
  };
}
