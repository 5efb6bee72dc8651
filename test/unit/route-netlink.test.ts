import { describe, expect, it } from 'vitest';
import { AddressBook, type HostEntry } from '../../src/net/addresses.js';
import {
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_LABEL,
  IFA_LOCAL,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_MULTI,
  NLM_F_REQUEST,
  RTM_GETADDR,
  RTM_GETLINK,
  RTM_GETROUTE,
  RTM_NEWADDR,
  RTM_NEWLINK,
  RTM_NEWROUTE,
  RTA_DST,
  RTA_OIF,
  RTA_PREFSRC,
  attribute,
  decodeAttributes,
  decodeRequests,
  message,
  stringAttribute,
} from '../../src/mediator/abi/netlink.js';
import { hostInterfaces } from '../../src/mediator/host/interfaces.js';
import { answerRoute } from '../../src/mediator/host/route-netlink.js';

const host = (name: string, ip?: string): HostEntry => ({ name, properties: ip === undefined ? {} : { ip } });
const book = new AddressBook([host('alice', '10.0.0.1'), host('bob')]);
const interfaces = hostInterfaces(book, 'bob');
const PORT = 1000;

/** A request as a program sends it: header, then a body of `family` and padding to `bodySize`. */
function request(type: number, flags: number, sequence: number, family: number, bodySize = 1, extra: Buffer[] = []): Buffer {
  const body = Buffer.alloc(bodySize);
  body[0] = family;
  return message({ type, flags, sequence, port: 0 }, [body, ...extra]);
}

/** The messages of every answer datagram, in order. */
const messagesOf = (datagrams: Buffer[]) => datagrams.flatMap((datagram) => decodeRequests(datagram));

const text = (value: Buffer | undefined): string | undefined => value?.toString('latin1').replace(/\0+$/, '');
const ipv4 = (value: Buffer | undefined): string | undefined => (value === undefined ? undefined : [...value].join('.'));

describe('netlink encoding', () => {
  it('pads attributes to 4 bytes, the length counting the value alone', () => {
    const encoded = stringAttribute(IFLA_IFNAME, 'lo');
    expect([...encoded]).toEqual([7, 0, IFLA_IFNAME, 0, 0x6c, 0x6f, 0, 0]);
    expect(attribute(IFLA_ADDRESS, Buffer.alloc(6)).length).toBe(12);
  });

  it('ends a dump with NLMSG_DONE: 20 bytes, NLM_F_MULTI, the sequence and port, a zero error', () => {
    const answer = answerRoute(request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 77, 17), PORT, interfaces);
    const done = Buffer.concat(answer).subarray(-20);
    expect(done.readUInt32LE(0)).toBe(20);
    expect(done.readUInt16LE(4)).toBe(NLMSG_DONE);
    expect(done.readUInt16LE(6)).toBe(NLM_F_MULTI);
    expect(done.readUInt32LE(8)).toBe(77);
    expect(done.readUInt32LE(12)).toBe(PORT);
    expect(done.readInt32LE(16)).toBe(0);
  });
});

describe('NETLINK_ROUTE answers', () => {
  it('dumps the links lo and eth0 in one datagram, each an ifinfomsg with its name, mtu, MAC and state', () => {
    const answer = answerRoute(request(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 17), PORT, interfaces);
    expect(answer).toHaveLength(1);
    const messages = messagesOf(answer);
    expect(messages.map((one) => one.header.type)).toEqual([RTM_NEWLINK, RTM_NEWLINK, NLMSG_DONE]);
    const [lo, eth0] = messages.map((one) => ({ body: one.body, attributes: decodeAttributes(one.body, 16) }));
    expect(lo!.body.readInt32LE(4)).toBe(1);
    expect(lo!.body.readUInt16LE(2)).toBe(772);
    expect(lo!.body.readUInt32LE(8)).toBe(0x10049);
    expect(text(lo!.attributes.get(IFLA_IFNAME))).toBe('lo');
    expect(lo!.attributes.get(IFLA_MTU)!.readUInt32LE(0)).toBe(65536);
    expect(eth0!.body.readInt32LE(4)).toBe(2);
    expect(eth0!.body.readUInt32LE(8)).toBe(0x11043);
    expect(text(eth0!.attributes.get(IFLA_IFNAME))).toBe('eth0');
    expect(eth0!.attributes.get(IFLA_MTU)!.readUInt32LE(0)).toBe(1500);
    expect([...eth0!.attributes.get(IFLA_ADDRESS)!]).toEqual([2, 0, 10, 0, 0, 2]);
    expect(eth0!.attributes.get(IFLA_OPERSTATE)![0]).toBe(6);
    for (const one of messages) expect(one.header.flags).toBe(NLM_F_MULTI);
  });

  it('dumps the IPv4 addresses with address, local, broadcast (eth0 only) and label', () => {
    const messages = messagesOf(answerRoute(request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 2, 2, 8), PORT, interfaces));
    expect(messages.map((one) => one.header.type)).toEqual([RTM_NEWADDR, RTM_NEWADDR, NLMSG_DONE]);
    const [lo, eth0] = messages.map((one) => ({ body: one.body, attributes: decodeAttributes(one.body, 8) }));
    expect([...lo!.body.subarray(0, 4)]).toEqual([2, 8, 0x80, 254]);
    expect(ipv4(lo!.attributes.get(IFA_LOCAL))).toBe('127.0.0.1');
    expect(lo!.attributes.has(IFA_BROADCAST)).toBe(false);
    expect([...eth0!.body.subarray(0, 4)]).toEqual([2, 8, 0x80, 0]);
    expect(eth0!.body.readUInt32LE(4)).toBe(2);
    expect(ipv4(eth0!.attributes.get(IFA_ADDRESS))).toBe('10.0.0.2');
    expect(ipv4(eth0!.attributes.get(IFA_LOCAL))).toBe('10.0.0.2');
    expect(ipv4(eth0!.attributes.get(IFA_BROADCAST))).toBe('10.255.255.255');
    expect(text(eth0!.attributes.get(IFA_LABEL))).toBe('eth0');
  });

  it('dumps ::1 on lo and the IPv6 address on eth0 for AF_INET6, after the IPv4 ones for AF_UNSPEC', () => {
    const addresses = messagesOf(answerRoute(request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 3, 10), PORT, interfaces));
    expect(addresses.map((one) => one.header.type)).toEqual([RTM_NEWADDR, RTM_NEWADDR, NLMSG_DONE]);
    // ifaddrmsg: AF_INET6, /128 on lo of host scope, /64 on eth0 of global scope.
    expect([...addresses[0]!.body.subarray(0, 5)]).toEqual([10, 128, 0x80, 254, 1]);
    expect([...addresses[1]!.body.subarray(0, 5)]).toEqual([10, 64, 0x80, 0, 2]);
    expect(decodeAttributes(addresses[1]!.body, 8).get(IFA_ADDRESS)!.toString('hex')).toBe('fd53696d74657270000000000a000002');
    const all = messagesOf(answerRoute(request(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, 3, 0), PORT, interfaces));
    expect(all.map((one) => one.body[0])).toEqual([2, 2, 10, 10, 0]);
    const routes = messagesOf(answerRoute(request(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 3, 10), PORT, interfaces));
    expect(routes.map((one) => one.body[0])).toEqual([10, 10, 10, 10, 0]);
  });

  it('routes the whole subnet of the virtual addresses on-link through eth0', () => {
    const messages = messagesOf(answerRoute(request(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, 4, 2, 12), PORT, interfaces));
    const main = messages[0]!;
    expect(main.header.type).toBe(RTM_NEWROUTE);
    expect([...main.body.subarray(0, 8)]).toEqual([2, 8, 0, 0, 254, 2, 253, 1]);
    const attributes = decodeAttributes(main.body, 12);
    expect(ipv4(attributes.get(RTA_DST))).toBe('10.0.0.0');
    expect(ipv4(attributes.get(RTA_PREFSRC))).toBe('10.0.0.2');
  });

  it('looks a route up: on-link through eth0, the host itself through lo, the rest unreachable', () => {
    const lookup = (destination: number[]) =>
      messagesOf(answerRoute(request(RTM_GETROUTE, NLM_F_REQUEST, 9, 2, 12, [attribute(RTA_DST, Buffer.from(destination))]), PORT, interfaces))[0]!;
    const onLink = lookup([10, 0, 0, 1]);
    expect(onLink.header.type).toBe(RTM_NEWROUTE);
    expect(decodeAttributes(onLink.body, 12).get(RTA_OIF)!.readUInt32LE(0)).toBe(2);
    expect(ipv4(decodeAttributes(onLink.body, 12).get(RTA_PREFSRC))).toBe('10.0.0.2');
    const local = lookup([10, 0, 0, 2]);
    expect(local.body[7]).toBe(2);
    expect(decodeAttributes(local.body, 12).get(RTA_OIF)!.readUInt32LE(0)).toBe(1);
    const unreachable = lookup([8, 8, 8, 8]);
    expect(unreachable.header.type).toBe(NLMSG_ERROR);
    expect(unreachable.body.readInt32LE(0)).toBe(-101);
  });

  it('gets one link by index, then acknowledges when asked (NLMSG_ERROR with 0)', () => {
    const body = Buffer.alloc(16);
    body.writeInt32LE(2, 4);
    const sent = message({ type: RTM_GETLINK, flags: NLM_F_REQUEST | NLM_F_ACK, sequence: 5, port: 0 }, [body]);
    const messages = messagesOf(answerRoute(sent, PORT, interfaces));
    expect(messages.map((one) => one.header.type)).toEqual([RTM_NEWLINK, NLMSG_ERROR]);
    expect(text(decodeAttributes(messages[0]!.body, 16).get(IFLA_IFNAME))).toBe('eth0');
    expect(messages[1]!.body.readInt32LE(0)).toBe(0);
  });

  it('gets no link of an unknown name: ENODEV', () => {
    const sent = message({ type: RTM_GETLINK, flags: NLM_F_REQUEST, sequence: 6, port: 0 }, [Buffer.alloc(16), stringAttribute(IFLA_IFNAME, 'wlan0')]);
    const [error] = messagesOf(answerRoute(sent, PORT, interfaces));
    expect(error!.header.type).toBe(NLMSG_ERROR);
    expect(error!.body.readInt32LE(0)).toBe(-19);
  });

  it('refuses changes with EPERM, the request quoted after the error', () => {
    const sent = request(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK, 7, 2, 8);
    const [error] = messagesOf(answerRoute(sent, PORT, interfaces));
    expect(error!.header.type).toBe(NLMSG_ERROR);
    expect(error!.header.sequence).toBe(7);
    expect(error!.body.readInt32LE(0)).toBe(-1);
    expect(error!.body.subarray(4)).toEqual(sent);
  });

  it('answers nothing to messages that are not requests', () => {
    expect(answerRoute(request(RTM_GETLINK, NLM_F_DUMP, 8, 0), PORT, interfaces)).toEqual([]);
  });
});

describe('the interfaces of a host', () => {
  it('put every virtual address, and the nameserver, in one subnet: 10.0.0.0/8 for assigned ones', () => {
    expect(book.subnetPrefix).toBe(8);
    expect(interfaces.map((one) => [one.name, one.index, one.address, one.prefixLength, one.broadcast])).toEqual([
      ['lo', 1, '127.0.0.1', 8, undefined],
      ['eth0', 2, '10.0.0.2', 8, '10.255.255.255'],
    ]);
  });

  it('widen the subnet to hold addresses given outside 10.0.0.0/8', () => {
    expect(new AddressBook([host('a', '192.168.1.7'), host('b')]).subnetPrefix).toBe(0);
    expect(new AddressBook([host('a', '10.200.0.1'), host('b', '10.255.0.1')]).subnetPrefix).toBe(10);
  });
});
