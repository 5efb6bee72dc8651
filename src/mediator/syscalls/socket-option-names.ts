import { IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, SOL_SOCKET } from '../abi/socket.js';

/**
 * The option names Linux knows at each level of an AF_INET or AF_INET6
 * socket, for setsockopt and for getsockopt: any other name is refused
 * with ENOPROTOOPT (sk_setsockopt, do_ip_setsockopt, do_tcp_setsockopt,
 * udp_lib_setsockopt, do_ipv6_setsockopt and their getsockopt twins fall
 * to their switch's default). Taken from Linux 6.18 probed natively, all
 * names from 0 to 2000 on each family, type and level (ip(7), tcp(7),
 * udp(7), ipv6(7) and socket(7) name most of them); the test program
 * socket_option_names compares a sweep with the kernel's answers.
 *
 * Netfilter's names are left out (iptables' 64-69, SO_ORIGINAL_DST 80,
 * ipset's 83, arptables' 96-99): the kernel knows them only with its
 * modules loaded, and a simulated host has no firewall, so they are refused
 * as by a kernel without netfilter.
 */

/** Single names and [first, last] runs. */
type Names = ReadonlyArray<number | readonly [number, number]>;

function nameSet(names: Names): ReadonlySet<number> {
  const set = new Set<number>();
  for (const entry of names) {
    if (typeof entry === 'number') set.add(entry);
    else for (let name = entry[0]; name <= entry[1]; name++) set.add(name);
  }
  return set;
}

/** What one level knows, for a stream and for a datagram socket. */
interface LevelNames {
  set: { stream: ReadonlySet<number>; datagram: ReadonlySet<number> };
  get: { stream: ReadonlySet<number>; datagram: ReadonlySet<number> };
}

const same = (names: Names): { stream: ReadonlySet<number>; datagram: ReadonlySet<number> } => {
  const set = nameSet(names);
  return { stream: set, datagram: set };
};

/**
 * SOL_SOCKET: write-only are SO_DETACH_FILTER (27), SO_SNDBUFFORCE and
 * SO_RCVBUFFORCE (32, 33), the BPF attachments (50-52), SO_CNX_ADVICE (53),
 * SO_DETACH_REUSEPORT_BPF (68), SO_BUSY_POLL_BUDGET (70) and
 * SO_DEVMEM_DONTNEED (80); read-only SO_TYPE, SO_ERROR, SO_PEERCRED,
 * SO_SNDLOWAT (19, which set refuses), SO_PEERNAME, SO_ACCEPTCONN,
 * SO_PROTOCOL, SO_DOMAIN, SO_BPF_EXTENSIONS, SO_MEMINFO,
 * SO_INCOMING_NAPI_ID, SO_COOKIE, SO_PEERGROUPS, SO_NETNS_COOKIE and
 * SO_PEERPIDFD (77). Neither knows the SO_SECURITY_* names (22-24),
 * SO_PEERSEC (31, without a security module), 54, 58, 78, 79 or 81.
 */
const SOCKET_NAMES: LevelNames = {
  set: same([1, 2, [5, 16], 18, 20, 21, [25, 27], 29, [32, 37], [40, 47], [49, 53], [60, 70], [72, 76], 80, 82, 83]),
  get: same([[1, 21], 25, 26, [28, 30], [34, 49], [55, 57], [59, 67], 69, [71, 77], 82, 83]),
};

/**
 * IPPROTO_IP, for an AF_INET6 socket too (ipv6_setsockopt hands the level
 * to ip_setsockopt). IP_HDRINCL (3) and IP_NODEFRAG (22) are set on raw
 * sockets only; IP_PKTOPTIONS (9), IP_MTU (14) and IP_PROTOCOL (52) are
 * read-only, IP_PKTOPTIONS on a stream only; the IPsec policies (16, 17)
 * and the multicast memberships (35-40, 42-47) write-only.
 */
const IP_NAMES: LevelNames = {
  set: same([1, 2, [4, 8], [10, 13], [15, 21], [23, 26], [32, 51]]),
  get: {
    stream: nameSet([[1, 15], [18, 26], [32, 34], 41, [48, 52]]),
    datagram: nameSet([[1, 8], [10, 15], [18, 26], [32, 34], 41, [48, 52]]),
  },
};

/**
 * IPPROTO_TCP: TCP_INFO (11), TCP_CC_INFO (26), TCP_SAVED_SYN (28),
 * TCP_ZEROCOPY_RECEIVE (35) and TCP_IS_MPTCP (43) are read-only,
 * TCP_MD5SIG (14), TCP_REPAIR_OPTIONS (22) and TCP_MD5SIG_EXT (32)
 * write-only; 15 was never given, TCP-AO's 38-42 are not built in.
 */
const TCP_NAMES: LevelNames = {
  set: same([[1, 10], [12, 14], [16, 25], 27, [29, 34], 36, 37, [44, 46]]),
  get: same([
    [1, 13],
    [16, 21],
    [23, 31],
    [33, 37],
    [43, 46],
  ]),
};

/**
 * IPPROTO_UDP: UDP_CORK (1) and 100-104 (UDP_ENCAP, UDP_NO_CHECK6_TX and
 * _RX, UDP_SEGMENT, UDP_GRO); UDP-Lite's coverage (10, 11) can be read on
 * plain UDP but not set.
 */
const UDP_NAMES: LevelNames = {
  set: same([1, [100, 104]]),
  get: same([1, 10, 11, [100, 104]]),
};

/**
 * IPPROTO_IPV6: IPV6_ADDRFORM (1, which this kernel refuses to set),
 * IPV6_ROUTER_ALERT (22, set on raw sockets only) and IPV6_PATHMTU (61)
 * are read-only, IPV6_2292PKTOPTIONS (6) read on a stream only;
 * IPV6_MULTICAST_IF and IPV6_MULTICAST_HOPS (17, 18) are refused on a
 * stream; the memberships (20, 21, 42-47), IPV6_JOIN_ANYCAST and
 * IPV6_LEAVE_ANYCAST (27, 28), IPV6_PKTINFO (50) and the IPsec policies
 * (34, 35) are write-only; IPV6_CHECKSUM (7) and IPV6_HDRINCL (36) are raw
 * sockets' only.
 */
const IPV6_SET_COMMON: Names = [[2, 6], 8, 11, 16, 19, 20, 21, [23, 35], [42, 51], [53, 60], 62, 66, 67, 70, [72, 78]];
const IPV6_GET_COMMON: Names = [[1, 5], 8, 11, [16, 19], [22, 26], [29, 33], 48, 49, 51, [53, 62], 66, 67, 70, [72, 78]];
const IPV6_NAMES: LevelNames = {
  set: { stream: nameSet(IPV6_SET_COMMON), datagram: nameSet([...IPV6_SET_COMMON, 17, 18]) },
  get: { stream: nameSet([...IPV6_GET_COMMON, 6]), datagram: nameSet(IPV6_GET_COMMON) },
};

const LEVELS = new Map<number, LevelNames>([
  [SOL_SOCKET, SOCKET_NAMES],
  [IPPROTO_IP, IP_NAMES],
  [IPPROTO_TCP, TCP_NAMES],
  [IPPROTO_UDP, UDP_NAMES],
  [IPPROTO_IPV6, IPV6_NAMES],
]);

/** Whether Linux knows `name` at `level` for this call on this type of socket (a level it does not know: no name). */
export function knownOptionName(call: 'set' | 'get', stream: boolean, level: number, name: number): boolean {
  const names = LEVELS.get(level)?.[call];
  return (stream ? names?.stream : names?.datagram)?.has(name) ?? false;
}
