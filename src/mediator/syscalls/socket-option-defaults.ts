import { IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, SOL_SOCKET, encodeIntOption } from '../abi/socket.js';

/**
 * What getsockopt reads of an option a program never set, where Linux's
 * answer is not 4 zero bytes: Linux 6.18's defaults, probed on fresh TCP
 * and UDP sockets of both families (socket_option_defaults compares them
 * with the kernel). Left out are the values this machine's kernel does not
 * share with every other (SO_MEMINFO's buffer sizes, SO_COOKIE,
 * TCP_TIMESTAMP's offset, the sysctl-chosen TCP_CONGESTION), and the
 * options the handler answers itself from the socket's state.
 */
interface OptionDefault {
  value: Buffer;
  /** Only for this IP version of the socket, or only for TCP sockets. */
  family?: 4 | 6;
  streamOnly?: true;
}

const int = (value: number): Buffer => encodeIntOption(value);
const zeros = (length: number): Buffer => Buffer.alloc(length);
/** An unset sticky option, a device not bound, no filter: an answer of no bytes. */
const NOTHING = zeros(0);

const DEFAULTS: ReadonlyMap<string, OptionDefault> = new Map<string, OptionDefault>([
  // SO_RCVLOWAT and SO_SNDLOWAT, SO_BINDTODEVICE, SO_GET_FILTER, SO_TIMESTAMPING_OLD.
  [`${SOL_SOCKET}:18`, { value: int(1) }],
  [`${SOL_SOCKET}:19`, { value: int(1) }],
  [`${SOL_SOCKET}:25`, { value: NOTHING }],
  [`${SOL_SOCKET}:26`, { value: NOTHING }],
  [`${SOL_SOCKET}:37`, { value: zeros(8) }],
  // SO_PEEK_OFF (off), SO_MAX_PACING_RATE (no limit, a u64), SO_BPF_EXTENSIONS (SKF_AD_MAX), SO_INCOMING_CPU (none yet).
  [`${SOL_SOCKET}:42`, { value: int(-1) }],
  [`${SOL_SOCKET}:47`, { value: Buffer.alloc(8, 0xff) }],
  [`${SOL_SOCKET}:48`, { value: int(64) }],
  [`${SOL_SOCKET}:49`, { value: int(-1) }],
  // SO_TXTIME and the 64-bit timestamping and timeout structs: zeros, at their sizes.
  [`${SOL_SOCKET}:61`, { value: zeros(8) }],
  [`${SOL_SOCKET}:65`, { value: zeros(8) }],
  [`${SOL_SOCKET}:66`, { value: zeros(16) }],
  [`${SOL_SOCKET}:67`, { value: zeros(16) }],
  // SO_TXREHASH on a TCP socket.
  [`${SOL_SOCKET}:74`, { value: int(1), streamOnly: true }],
  // IP_TTL (net.ipv4.ip_default_ttl), IP_PKTOPTIONS (none), IP_MTU_DISCOVER (IP_PMTUDISC_WANT),
  // IP_MULTICAST_TTL and IP_MULTICAST_LOOP, IP_MULTICAST_ALL on an AF_INET socket.
  [`${IPPROTO_IP}:2`, { value: int(64) }],
  [`${IPPROTO_IP}:9`, { value: NOTHING, streamOnly: true }],
  [`${IPPROTO_IP}:10`, { value: int(1) }],
  [`${IPPROTO_IP}:33`, { value: int(1) }],
  [`${IPPROTO_IP}:34`, { value: int(1) }],
  [`${IPPROTO_IP}:49`, { value: int(1), family: 4 }],
  // TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (tcp(7)'s defaults), TCP_SYNCNT, TCP_LINGER2 (s), TCP_QUICKACK.
  [`${IPPROTO_TCP}:4`, { value: int(7200) }],
  [`${IPPROTO_TCP}:5`, { value: int(75) }],
  [`${IPPROTO_TCP}:6`, { value: int(9) }],
  [`${IPPROTO_TCP}:7`, { value: int(6) }],
  [`${IPPROTO_TCP}:8`, { value: int(60) }],
  [`${IPPROTO_TCP}:12`, { value: int(1) }],
  // TCP_REPAIR_WINDOW's struct, TCP_MD5SIG_EXT... with nothing set, then TCP_RTO_MAX_MS, TCP_RTO_MIN_US, TCP_DELACK_MAX_US.
  [`${IPPROTO_TCP}:26`, { value: zeros(20) }],
  [`${IPPROTO_TCP}:28`, { value: NOTHING }],
  [`${IPPROTO_TCP}:31`, { value: NOTHING }],
  [`${IPPROTO_TCP}:33`, { value: NOTHING }],
  [`${IPPROTO_TCP}:44`, { value: int(120000) }],
  [`${IPPROTO_TCP}:45`, { value: int(200000) }],
  [`${IPPROTO_TCP}:46`, { value: int(200000) }],
  // IPV6_2292PKTOPTIONS (none), IPV6_UNICAST_HOPS, IPV6_MULTICAST_HOPS and _LOOP, IPV6_MTU_DISCOVER, IPV6_MULTICAST_ALL,
  // the sticky header options unset (54, 55, 57, 59), IPV6_AUTOFLOWLABEL, and 72 (1280, IPv6's minimum MTU).
  [`${IPPROTO_IPV6}:6`, { value: NOTHING, streamOnly: true }],
  [`${IPPROTO_IPV6}:16`, { value: int(64) }],
  [`${IPPROTO_IPV6}:18`, { value: int(1) }],
  [`${IPPROTO_IPV6}:19`, { value: int(1) }],
  [`${IPPROTO_IPV6}:23`, { value: int(1) }],
  [`${IPPROTO_IPV6}:29`, { value: int(1) }],
  [`${IPPROTO_IPV6}:54`, { value: NOTHING }],
  [`${IPPROTO_IPV6}:55`, { value: NOTHING }],
  [`${IPPROTO_IPV6}:57`, { value: NOTHING }],
  [`${IPPROTO_IPV6}:59`, { value: NOTHING }],
  [`${IPPROTO_IPV6}:70`, { value: int(1) }],
  [`${IPPROTO_IPV6}:72`, { value: int(1280) }],
]);

/** Linux's answer for an option never set on a socket of this family and type, when it is not 4 zero bytes. */
export function defaultOption(level: number, name: number, family: 4 | 6, stream: boolean): Buffer | undefined {
  const found = DEFAULTS.get(`${level}:${name}`);
  if (found === undefined || (found.family !== undefined && found.family !== family) || (found.streamOnly && !stream)) return undefined;
  return found.value;
}
