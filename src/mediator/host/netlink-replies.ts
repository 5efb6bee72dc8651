import { NLMSG_DONE, NLMSG_ERROR, NLM_F_CAPPED, NLM_F_MULTI, message, nlmsgerr, type NetlinkRequest } from '../abi/netlink.js';

// What every netlink protocol of a host's emulated kernel answers alike
// (route-netlink.ts, sock-diag.ts): the end of a dump, an acknowledgement
// or an error, and dumps cut into datagrams.

/**
 * The most a dump puts in one datagram (NLMSG_GOODSIZE on 4 KiB pages):
 * readers with a page-sized buffer, glibc's among them, get whole datagrams.
 */
const DUMP_DATAGRAM = 3776;

/** NLMSG_DONE, which ends a dump. */
export function done(request: NetlinkRequest, port: number): Buffer {
  return message({ type: NLMSG_DONE, flags: NLM_F_MULTI, sequence: request.header.sequence, port }, [Buffer.alloc(4)]);
}

/** NLMSG_ERROR: an ack (errno 0) carries the request's header only (NLM_F_CAPPED); an error the whole request. */
export function acknowledgement(request: NetlinkRequest, port: number, errno: number): Buffer {
  const parts = [nlmsgerr(errno, request.header)];
  if (errno !== 0) parts.push(request.body);
  return message({ type: NLMSG_ERROR, flags: errno === 0 ? NLM_F_CAPPED : 0, sequence: request.header.sequence, port }, parts);
}

/** Messages joined into datagrams of at most DUMP_DATAGRAM bytes (one message alone may be more). */
export function packed(messages: readonly Buffer[]): Buffer[] {
  const datagrams: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const one of messages) {
    if (size > 0 && size + one.length > DUMP_DATAGRAM) {
      datagrams.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(one);
    size += one.length;
  }
  if (current.length > 0) datagrams.push(Buffer.concat(current));
  return datagrams;
}
