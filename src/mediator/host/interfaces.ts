import { formatIpv4, maskOf, parseIpv4, type AddressBook } from '../../net/index.js';
import { ARPHRD_ETHER, ARPHRD_LOOPBACK, IFF_BROADCAST, IFF_LOOPBACK, IFF_LOWER_UP, IFF_MULTICAST, IFF_RUNNING, IFF_UP } from '../abi/ifreq.js';

/**
 * The network interfaces a simulated host shows its programs (ioctls,
 * netlink, getifaddrs): its loopback and one Ethernet interface holding its
 * virtual addresses (IPv4 and IPv6). No real interface is ever described.
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
  /** The IPv6 address: ::1 on lo, the host's virtual one on eth0. */
  address6: string;
  prefixLength6: number;
}

const LOOPBACK_MTU = 65536;
const ETHERNET_MTU = 1500;

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
  const prefix = book.subnetPrefix;
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
      address6: '::1',
      prefixLength6: 128,
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
      address6: book.address6Of(host),
      prefixLength6: book.subnetPrefix6,
    },
  ];
}
