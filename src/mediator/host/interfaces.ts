import { formatIpv4, parseIpv4, type AddressBook } from '../../net/index.js';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_RUNNING, IFF_UP } from '../abi/ifreq.js';

/**
 * The network interfaces a simulated host shows its programs (ioctls,
 * netlink, getifaddrs): its loopback and one Ethernet interface holding its
 * virtual address. No real interface is ever described.
 */
export interface NetworkInterface {
  name: string;
  /** ifindex: lo is 1, eth0 2, as on a machine with one network card. */
  index: number;
  /** ARPHRD_* hardware type. */
  hardwareType: number;
  /** IFF_* flags, IFF_LOWER_UP included (ioctls show the low 16 bits, netlink all). */
  flags: number;
  mtu: number;
  /** Hardware address: six zero bytes for lo. */
  mac: Buffer;
  /** Hardware broadcast address. */
  hardwareBroadcast: Buffer;
  address: string;
  prefixLength: number;
  /** IPv4 broadcast address; undefined for lo, which has none. */
  broadcast: string | undefined;
}

const LOOPBACK_MTU = 65536;
const ETHERNET_MTU = 1500;

const prefixes = new WeakMap<AddressBook, number>();

/**
 * The prefix of eth0's subnet: the longest one holding every host's address
 * and the nameserver's, so that every virtual address is on-link, as the
 * virtual network makes them (no gateway between hosts). Addresses assigned
 * by simterpose come from 10.0.0.0/8, with the nameserver at 10.255.255.53:
 * a /8 then.
 */
export function subnetPrefix(book: AddressBook): number {
  const known = prefixes.get(book);
  if (known !== undefined) return known;
  const values = [...book.entries.map((entry) => entry.address), book.nameserver].map((address) => parseIpv4(address)!);
  let prefix = 32;
  for (const value of values) {
    while (prefix > 0 && maskOf(prefix) & (value ^ values[0]!)) prefix--;
  }
  prefixes.set(book, prefix);
  return prefix;
}

/** The netmask of a prefix length, as an unsigned 32-bit number. */
export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The dotted netmask of a prefix length. */
export function netmaskOf(prefix: number): string {
  return formatIpv4(maskOf(prefix));
}

/** A locally administered MAC (02:00 then the four bytes of the host's address): stable, and unique on the virtual network. */
function macOf(address: string): Buffer {
  const mac = Buffer.alloc(6);
  mac[0] = 0x02;
  mac.writeUInt32BE(parseIpv4(address)!, 2);
  return mac;
}

/** The interfaces of `host`, by index. */
export function hostInterfaces(book: AddressBook, host: string): NetworkInterface[] {
  const address = book.addressOf(host);
  const prefix = subnetPrefix(book);
  const broadcast = formatIpv4((parseIpv4(address)! | ~maskOf(prefix)) >>> 0);
  return [
    {
      name: 'lo',
      index: 1,
      hardwareType: ARPHRD_LOOPBACK,
      flags: IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP,
      mtu: LOOPBACK_MTU,
      mac: Buffer.alloc(6),
      hardwareBroadcast: Buffer.alloc(6),
      address: '127.0.0.1',
      prefixLength: 8,
      broadcast: undefined,
    },
    {
      name: 'eth0',
      index: 2,
      hardwareType: ARPHRD_ETHER,
      flags: IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP,
      mtu: ETHERNET_MTU,
      mac: macOf(address),
      hardwareBroadcast: Buffer.alloc(6, 0xff),
      address,
      prefixLength: prefix,
      broadcast,
    },
  ];
}
