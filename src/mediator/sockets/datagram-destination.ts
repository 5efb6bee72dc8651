import { fail, isError, isIpv6, type Endpoint, type SocketError } from '../../net/index.js';
import { AF_INET, AF_INET6, AF_UNSPEC, MSG_OOB, decodeSockaddrIn6, decodeUdpDestination, sockaddrFamily } from '../abi/socket.js';

/** udp_sendmsg's first check: no UDP length field holds more. */
const IPV4_LENGTH_LIMIT = 0xffff;
/** udpv6_sendmsg's rough overflow check: INT_MAX less the UDP header. */
const IPV6_LENGTH_LIMIT = 0x7fff_ffff - 8;

/**
 * Where a UDP send goes (undefined: the connected peer), or why Linux
 * refuses it before reading a byte of it, in Linux's order.
 *
 * udp_sendmsg, on an AF_INET socket: the length, urgent data, the address,
 * then a destination at all. udpv6_sendmsg reads the address (or takes
 * the peer) first; an IPv4 destination (AF_INET, or IPv4-mapped) then goes
 * through udp_sendmsg's checks, and an IPv6 one through the overflow check
 * and its port, urgent data being no error there. A payload too large for
 * the route's IP is refused later, once routed (DatagramSocket.sendTo), as
 * ip_append_data refuses it.
 */
export function datagramDestination(
  family: 4 | 6,
  peer: Endpoint | undefined,
  length: number,
  flags: number,
  to: Buffer | undefined,
): Endpoint | undefined | SocketError {
  if (family === 4 || (to !== undefined && sockaddrFamily(to) === AF_INET)) {
    const refused = ipv4Refusal(length, flags);
    if (refused !== undefined) return refused;
    if (to !== undefined) return decodeUdpDestination(to);
    return peer === undefined ? fail('EDESTADDRREQ') : undefined;
  }
  const destination = to === undefined ? undefined : udp6Address(to);
  if (isError(destination)) return destination;
  const target = destination ?? peer;
  if (target === undefined) return fail('EDESTADDRREQ');
  const refused = isIpv6(target.address) ? (length > IPV6_LENGTH_LIMIT ? fail('EMSGSIZE') : undefined) : ipv4Refusal(length, flags);
  if (refused !== undefined) return refused;
  return destination?.port === 0 ? fail('EINVAL') : destination;
}

function ipv4Refusal(length: number, flags: number): SocketError | undefined {
  if (length > IPV4_LENGTH_LIMIT) return fail('EMSGSIZE');
  if ((flags & MSG_OOB) !== 0) return fail('EOPNOTSUPP');
  return undefined;
}

/** The address an AF_INET6 socket sends to, its port not checked yet: shorter than a family EINVAL; AF_UNSPEC none (undefined); another family than AF_INET6 EINVAL. */
function udp6Address(bytes: Buffer): Endpoint | SocketError | undefined {
  if (bytes.length < 2) return fail('EINVAL');
  const family = sockaddrFamily(bytes);
  if (family === AF_UNSPEC) return undefined;
  return family === AF_INET6 ? decodeSockaddrIn6(bytes) : fail('EINVAL');
}
