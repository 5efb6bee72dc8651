import { formatIpv4, formatIpv6, isIpv6, parseIpv4, parseIpv6 } from '../../net/index.js';
import {
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_CACHEINFO,
  IFA_FLAGS,
  IFA_F_PERMANENT,
  IFA_LABEL,
  IFA_LOCAL,
  IFINFOMSG_SIZE,
  IFLA_ADDRESS,
  IFLA_BROADCAST,
  IFLA_GROUP,
  IFLA_IFNAME,
  IFLA_LINKMODE,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_QDISC,
  IFLA_STATS,
  IFLA_TXQLEN,
  IF_OPER_UNKNOWN,
  IF_OPER_UP,
  LINK_STATS_SIZE,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  RTA_DST,
  RTA_OIF,
  RTA_PREF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTCF_LOCAL,
  RTMSG_SIZE,
  RTM_F_CLONED,
  RTPROT_UNSPEC,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_MAX,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTN_BROADCAST,
  RTN_LOCAL,
  RTN_UNICAST,
  RTPROT_KERNEL,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_LOCAL,
  RT_TABLE_MAIN,
  attribute,
  decodeAttributes,
  decodeRequests,
  ifaddrmsg,
  ifinfomsg,
  ifinfomsgIndex,
  permanentCacheinfo,
  requestFamily,
  ipv4Bytes,
  message,
  rtmsg,
  stringAttribute,
  u32Attribute,
  u8Attribute,
  type NetlinkRequest,
  type RouteHead,
} from '../abi/netlink.js';
import { AF_INET, AF_INET6, AF_UNSPEC } from '../abi/socket.js';
import { Errno } from '../abi/errno.js';
import { maskOf } from '../../net/index.js';
import type { NetworkInterface } from './interfaces.js';
import { acknowledgement, done, packed } from './netlink-replies.js';

/**
 * The kernel's side of a NETLINK_ROUTE socket, for a host's emulated
 * interfaces: the link, address and route dumps that getifaddrs, `ip` and
 * MPI libraries ask for, answered as Linux formats them. Nothing can be
 * changed (RTM_NEW*, RTM_DEL*: EPERM, as for an unprivileged process).
 */

/** The datagrams the kernel sends back for a buffer a program sent from `port`. */
export function answerRoute(data: Buffer, port: number, interfaces: readonly NetworkInterface[]): Buffer[] {
  const datagrams: Buffer[] = [];
  for (const request of decodeRequests(data)) {
    const { flags, type } = request.header;
    // Replies, and the control messages below RTM_BASE, are not requests: the kernel skips them.
    if ((flags & NLM_F_REQUEST) === 0 || type < RTM_NEWLINK) continue;
    const kind = (type - RTM_NEWLINK) & 3;
    const isGet = type <= RTM_MAX && kind === 2;
    if (isGet && (flags & NLM_F_DUMP) !== 0) {
      datagrams.push(...packed([...dump(request, interfaces).map((parts) => reply(request, port, NLM_F_MULTI, parts)), done(request, port)]));
      continue;
    }
    const single = isGet ? lookup(request, interfaces) : type > RTM_MAX ? Errno.EOPNOTSUPP! : Errno.EPERM;
    if (typeof single !== 'number') datagrams.push(reply(request, port, 0, single));
    const errno = typeof single === 'number' ? single : 0;
    if (errno !== 0 || (flags & NLM_F_ACK) !== 0) datagrams.push(acknowledgement(request, port, errno));
  }
  return datagrams;
}

/** A reply message of the type that answers `request` (RTM_NEW* for RTM_GET*). */
function reply(request: NetlinkRequest, port: number, flags: number, parts: { type: number; parts: Buffer[] }): Buffer {
  return message({ type: parts.type, flags, sequence: request.header.sequence, port }, parts.parts);
}

interface Reply {
  type: number;
  parts: Buffer[];
}

/**
 * A dump: every link; the addresses and routes of the family asked, IPv4's
 * then IPv6's for AF_UNSPEC (the kernel's order of families); nothing for
 * the other kinds, which the host has none of (neighbours, rules...).
 */
function dump(request: NetlinkRequest, interfaces: readonly NetworkInterface[]): Reply[] {
  const family = requestFamily(request.body);
  const ipv4 = family !== AF_INET6;
  const ipv6 = family === AF_INET6 || family === AF_UNSPEC;
  switch (request.header.type) {
    case RTM_GETLINK:
      return interfaces.map(linkMessage);
    case RTM_GETADDR:
      return [...(ipv4 ? interfaces.map(addressMessage) : []), ...(ipv6 ? interfaces.map(address6Message) : [])];
    case RTM_GETROUTE:
      return [...(ipv4 ? routes(interfaces) : []), ...(ipv6 ? routes6(interfaces) : [])].map(routeMessage);
    default:
      return [];
  }
}

/** A GET of one object: a link by index or name, the route to a destination; addresses are only dumped (EOPNOTSUPP). */
function lookup(request: NetlinkRequest, interfaces: readonly NetworkInterface[]): Reply | number {
  if (request.header.type === RTM_GETROUTE) return routeTo(request, interfaces);
  if (request.header.type !== RTM_GETLINK) return Errno.EOPNOTSUPP!;
  const index = ifinfomsgIndex(request.body);
  if (index === undefined) return Errno.EINVAL;
  const name = decodeAttributes(request.body, IFINFOMSG_SIZE).get(IFLA_IFNAME);
  const wanted = name === undefined ? undefined : name.subarray(0, name.indexOf(0) < 0 ? name.length : name.indexOf(0)).toString('latin1');
  const found = interfaces.find((candidate) => (index > 0 ? candidate.index === index : candidate.name === wanted));
  return found === undefined ? Errno.ENODEV! : linkMessage(found);
}

function linkMessage(link: NetworkInterface): Reply {
  const loopback = link.name === 'lo';
  return {
    type: RTM_NEWLINK,
    parts: [
      ifinfomsg(AF_UNSPEC, link.hardwareType, link.index, link.flags),
      stringAttribute(IFLA_IFNAME, link.name),
      u32Attribute(IFLA_TXQLEN, 1000),
      u8Attribute(IFLA_OPERSTATE, loopback ? IF_OPER_UNKNOWN : IF_OPER_UP),
      u8Attribute(IFLA_LINKMODE, 0),
      u32Attribute(IFLA_MTU, link.mtu),
      u32Attribute(IFLA_GROUP, 0),
      stringAttribute(IFLA_QDISC, loopback ? 'noqueue' : 'fq_codel'),
      attribute(IFLA_ADDRESS, link.mac),
      attribute(IFLA_BROADCAST, link.hardwareBroadcast),
      attribute(IFLA_STATS, Buffer.alloc(LINK_STATS_SIZE)),
    ],
  };
}

function addressMessage(link: NetworkInterface): Reply {
  const address = ipv4Bytes(parseIpv4(link.address)!);
  return {
    type: RTM_NEWADDR,
    parts: [
      ifaddrmsg(AF_INET, link.prefixLength, IFA_F_PERMANENT, link.name === 'lo' ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, link.index),
      attribute(IFA_ADDRESS, address),
      attribute(IFA_LOCAL, address),
      ...(link.broadcast === undefined ? [] : [attribute(IFA_BROADCAST, ipv4Bytes(parseIpv4(link.broadcast)!))]),
      stringAttribute(IFA_LABEL, link.name),
      u32Attribute(IFA_FLAGS, IFA_F_PERMANENT),
      attribute(IFA_CACHEINFO, permanentCacheinfo()),
    ],
  };
}

/** An interface's IPv6 address as inet6_fill_ifaddr writes it: no IFA_LOCAL, no label; lo's of host scope. */
function address6Message(link: NetworkInterface): Reply {
  return {
    type: RTM_NEWADDR,
    parts: [
      ifaddrmsg(AF_INET6, link.prefixLength6, IFA_F_PERMANENT, link.name === 'lo' ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE, link.index),
      attribute(IFA_ADDRESS, parseIpv6(link.address6)!),
      attribute(IFA_CACHEINFO, permanentCacheinfo()),
      u32Attribute(IFA_FLAGS, IFA_F_PERMANENT),
    ],
  };
}

interface Route extends RouteHead {
  destination: string;
  /** The preferred source (RTA_PREFSRC): IPv4 routes carry one, IPv6 routes of a dump none. */
  source: string | undefined;
  device: number;
  /** RTA_PRIORITY and RTA_PREF, which IPv6 routes carry. */
  metric?: number;
}

/** The IPv6 routes the kernel makes for the interfaces' addresses: each prefix in the main table (metric 256), each address in the local table. */
function routes6(interfaces: readonly NetworkInterface[]): Route[] {
  const route = { family: AF_INET6, protocol: RTPROT_KERNEL, scope: RT_SCOPE_UNIVERSE, source: undefined };
  const list: Route[] = interfaces.map((link) => ({
    ...route,
    table: RT_TABLE_MAIN,
    type: RTN_UNICAST,
    destination: prefixOf6(link.address6, link.prefixLength6),
    destinationLength: link.prefixLength6,
    device: link.index,
    metric: 256,
  }));
  for (const link of interfaces) {
    list.push({ ...route, table: RT_TABLE_LOCAL, type: RTN_LOCAL, destination: link.address6, destinationLength: 128, device: link.index, metric: 0 });
  }
  return list;
}

/** The network address of an IPv6 address under a prefix length. */
function prefixOf6(address: string, length: number): string {
  const bytes = parseIpv6(address)!;
  for (let bit = length; bit < 128; bit++) bytes[bit >> 3] = bytes[bit >> 3]! & ~(0x80 >> (bit & 7));
  return formatIpv6(bytes);
}

/**
 * The routes the kernel makes for the interfaces' addresses: the eth0
 * subnet in the main table (every virtual address is on-link), and the
 * local table's local and broadcast routes.
 */
function routes(interfaces: readonly NetworkInterface[]): Route[] {
  const list: Route[] = [];
  const kernelRoute = { family: AF_INET, protocol: RTPROT_KERNEL };
  for (const link of interfaces) {
    const value = parseIpv4(link.address)!;
    const network = formatIpv4((value & maskOf(link.prefixLength)) >>> 0);
    const source = link.address;
    const device = link.index;
    if (link.broadcast !== undefined) {
      list.push({
        ...kernelRoute,
        table: RT_TABLE_MAIN,
        scope: RT_SCOPE_LINK,
        type: RTN_UNICAST,
        destination: network,
        destinationLength: link.prefixLength,
        source,
        device,
      });
    }
  }
  for (const link of interfaces) {
    const value = parseIpv4(link.address)!;
    const source = link.address;
    const device = link.index;
    const local = { ...kernelRoute, table: RT_TABLE_LOCAL, source, device };
    if (link.name === 'lo') {
      list.push({
        ...local,
        scope: RT_SCOPE_HOST,
        type: RTN_LOCAL,
        destination: formatIpv4((value & maskOf(link.prefixLength)) >>> 0),
        destinationLength: link.prefixLength,
      });
    }
    list.push({ ...local, scope: RT_SCOPE_HOST, type: RTN_LOCAL, destination: link.address, destinationLength: 32 });
    const broadcast = link.broadcast ?? formatIpv4((value | ~maskOf(link.prefixLength)) >>> 0);
    list.push({ ...local, scope: RT_SCOPE_LINK, type: RTN_BROADCAST, destination: broadcast, destinationLength: 32 });
  }
  return list;
}

/**
 * `ip route get`: the route a packet to RTA_DST takes. This host's own
 * addresses and 127.0.0.0/8 go through lo; eth0's subnet through eth0;
 * nothing else is reachable (ENETUNREACH), as on the virtual network.
 */
function routeTo(request: NetlinkRequest, interfaces: readonly NetworkInterface[]): Reply | number {
  if (requestFamily(request.body) === AF_INET6 && request.body.length >= RTMSG_SIZE) return route6To(request, interfaces);
  if (requestFamily(request.body) !== AF_INET || request.body.length < RTMSG_SIZE) return Errno.ENETUNREACH!;
  const wanted = decodeAttributes(request.body, RTMSG_SIZE).get(RTA_DST);
  const destination = wanted === undefined || wanted.length < 4 ? 0 : wanted.readUInt32BE(0);
  const [lo, eth0] = interfaces as [NetworkInterface, NetworkInterface];
  const own = parseIpv4(eth0.address)!;
  const onLoopback = (destination & maskOf(lo.prefixLength)) >>> 0 === (parseIpv4(lo.address)! & maskOf(lo.prefixLength)) >>> 0;
  const head = { family: AF_INET, destinationLength: 32, protocol: RTPROT_UNSPEC, destination: formatIpv4(destination) };
  if (destination === own || destination === 0 || onLoopback) {
    const source = destination === own ? eth0.address : lo.address;
    // Linux answers a lookup from the main table's id, a local destination too.
    return routeMessage({ ...head, table: RT_TABLE_MAIN, scope: RT_SCOPE_HOST, type: RTN_LOCAL, flags: RTM_F_CLONED | RTCF_LOCAL, source, device: lo.index });
  }
  const subnet = maskOf(eth0.prefixLength);
  if ((destination & subnet) >>> 0 !== (own & subnet) >>> 0) return Errno.ENETUNREACH!;
  return routeMessage({
    ...head,
    table: RT_TABLE_MAIN,
    scope: RT_SCOPE_UNIVERSE,
    type: RTN_UNICAST,
    flags: RTM_F_CLONED,
    source: eth0.address,
    device: eth0.index,
  });
}

/** `ip -6 route get`: ::1 and this host's address through lo, the hosts' prefix through eth0, nothing else. */
function route6To(request: NetlinkRequest, interfaces: readonly NetworkInterface[]): Reply | number {
  const wanted = decodeAttributes(request.body, RTMSG_SIZE).get(RTA_DST);
  const destination = wanted === undefined || wanted.length < 16 ? '::' : formatIpv6(wanted.subarray(0, 16));
  const [lo, eth0] = interfaces as [NetworkInterface, NetworkInterface];
  const head = { family: AF_INET6, destinationLength: 128, protocol: RTPROT_UNSPEC, destination, table: RT_TABLE_MAIN, scope: RT_SCOPE_UNIVERSE };
  if (destination === lo.address6 || destination === eth0.address6 || destination === '::') {
    const source = destination === eth0.address6 ? eth0.address6 : lo.address6;
    return routeMessage({ ...head, type: RTN_LOCAL, flags: RTM_F_CLONED, source, device: lo.index, metric: 0 });
  }
  if (prefixOf6(destination, eth0.prefixLength6) !== prefixOf6(eth0.address6, eth0.prefixLength6)) return Errno.ENETUNREACH!;
  return routeMessage({ ...head, type: RTN_UNICAST, flags: RTM_F_CLONED, source: eth0.address6, device: eth0.index, metric: 256 });
}

/** An address as netlink carries it: 4 or 16 bytes, network byte order. */
const addressBytes = (address: string): Buffer => (isIpv6(address) ? parseIpv6(address)! : ipv4Bytes(parseIpv4(address)!));

function routeMessage(route: Route): Reply {
  return {
    type: RTM_NEWROUTE,
    parts: [
      rtmsg(route),
      u32Attribute(RTA_TABLE, route.table),
      attribute(RTA_DST, addressBytes(route.destination)),
      ...(route.source === undefined ? [] : [attribute(RTA_PREFSRC, addressBytes(route.source))]),
      ...(route.metric === undefined ? [] : [u32Attribute(RTA_PRIORITY, route.metric)]),
      u32Attribute(RTA_OIF, route.device),
      ...(route.metric === undefined ? [] : [u8Attribute(RTA_PREF, 0)]),
    ],
  };
}
