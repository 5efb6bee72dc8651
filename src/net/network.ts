import { AddressBook, type HostAddress, type HostEntry } from './addresses.js';
import type { NetContext } from './context.js';
import { DatagramSocket } from './datagram.js';
import { answerDnsMessage, hostsFile, resolvConf } from './dns.js';
import { DEFAULT_BUFFER_SIZE } from './tcp-direction.js';
import { PortTable } from './ports.js';
import type { Endpoint } from './endpoint.js';
import { StreamSocket } from './stream.js';
import { Bottlenecks } from './tcp/drop-tail.js';
import type { Transport } from './transport.js';

export interface NetworkOptions {
  /** Virtual time in seconds; TIME_WAIT ports free 60 s after close. Without it, they never free. */
  now?: () => number;
  /** Default SO_SNDBUF of new sockets, in payload bytes. */
  sendBufferSize?: number;
  /** Default SO_RCVBUF of new sockets, in payload bytes. */
  receiveBufferSize?: number;
  /** How AF_INET traffic travels (default 'full'): see NetworkMode. */
  mode?: NetworkMode;
}

/**
 * How AF_INET traffic travels, the one thing `--network` changes: under
 * `full` mediation TCP connections keep the bytes they carry, copied by the
 * mediator; under address `translate`ion the kernel's loopback sockets hold
 * the bytes and connections only count them.
 */
export type NetworkMode = 'full' | 'translate';

interface HostTables {
  tcp: PortTable;
  udp: PortTable;
}

/**
 * The virtual network of a platform: every host's address and ports, its
 * TCP and UDP sockets, name resolution, and the transport their bytes take.
 * Everything happens in the order of calls and transfer completions, with
 * no real time and no randomness, so runs repeat exactly.
 */
export class VirtualNetwork {
  readonly addresses: AddressBook;
  private readonly tables = new Map<string, HostTables>();
  private readonly listeners = new Map<number, StreamSocket>();
  private readonly datagramSockets = new Map<number, DatagramSocket>();
  /** Turns of SO_REUSEPORT listener groups, keyed by host and port: connections go round the group. */
  private readonly reusePortTurns = new Map<string, number>();
  /** Lower-case host name → addresses; the first host of a name that differs only by case wins. */
  private readonly names = new Map<string, HostAddress>();
  private lastSocketId = 0;
  private readonly context: NetContext;
  private readonly bottlenecks = new Bottlenecks();

  constructor(hosts: readonly HostEntry[], transport: Transport, options: NetworkOptions = {}) {
    this.addresses = new AddressBook(hosts);
    for (const entry of this.addresses.entries) {
      if (!this.names.has(entry.host.toLowerCase())) this.names.set(entry.host.toLowerCase(), entry);
    }
    const now = options.now ?? (() => 0);
    for (const { name } of hosts) this.tables.set(name, { tcp: new PortTable(now), udp: new PortTable(now) });
    this.context = {
      transport,
      mode: options.mode ?? 'full',
      addresses: this.addresses,
      sendBufferSize: options.sendBufferSize ?? DEFAULT_BUFFER_SIZE,
      receiveBufferSize: options.receiveBufferSize ?? DEFAULT_BUFFER_SIZE,
      queueOf: (from, to) => this.bottlenecks.queueFor(transport.bottleneck(from, to)),
      now,
      nextSocketId: () => ++this.lastSocketId,
      tcpPorts: (host) => this.tablesOf(host).tcp,
      udpPorts: (host) => this.tablesOf(host).udp,
      listenerAt: (host, to) => this.listenerAt(host, to),
      listening: (socket, on) => {
        if (on) this.listeners.set(socket.id, socket);
        else this.listeners.delete(socket.id);
      },
      datagramReceiver: (host, to, from) => this.datagramReceiver(host, to, from),
      datagramBound: (socket, on) => {
        if (on) this.datagramSockets.set(socket.id, socket);
        else this.datagramSockets.delete(socket.id);
      },
      answerDns: (query) =>
        answerDnsMessage(
          query,
          (name) => this.hostNamed(name),
          (address) => this.addresses.hostAt(address),
        ),
    };
  }

  get mode(): NetworkMode {
    return this.context.mode;
  }

  /** socket(AF_INET or AF_INET6, SOCK_STREAM) on `host`. */
  streamSocket(host: string, family: 4 | 6 = 4): StreamSocket {
    this.tablesOf(host);
    return new StreamSocket(this.context, host, family);
  }

  /** socket(AF_INET or AF_INET6, SOCK_DGRAM) on `host`. */
  datagramSocket(host: string, family: 4 | 6 = 4): DatagramSocket {
    this.tablesOf(host);
    return new DatagramSocket(this.context, host, family);
  }

  /** The content of every host's /etc/hosts. */
  hostsFile(): string {
    return hostsFile(this.addresses);
  }

  /** The content of every host's /etc/resolv.conf. */
  resolvConf(): string {
    return resolvConf(this.addresses);
  }

  /** The address of a host name, as the nameserver answers: case-insensitive, a trailing dot allowed. */
  lookup(name: string): string | undefined {
    return this.hostNamed(name)?.address;
  }

  private hostNamed(name: string): HostAddress | undefined {
    return this.names.get(name.replace(/\.$/, '').toLowerCase());
  }

  private tablesOf(host: string): HostTables {
    const tables = this.tables.get(host);
    if (tables === undefined) throw new Error(`the virtual network has no host '${host}'`);
    return tables;
  }

  private listenerAt(host: string, to: Endpoint): StreamSocket | undefined {
    const group = this.tablesOf(host)
      .tcp.receivers(to.address, to.port)
      .map((binding) => this.listeners.get(binding.owner))
      .filter((socket): socket is StreamSocket => socket !== undefined);
    if (group.length <= 1) return group[0];
    // Several listeners are only possible with SO_REUSEPORT; those on the exact address come first.
    const sameAddress = group.filter((socket) => socket.local!.address === group[0]!.local!.address);
    const key = `${host}:${to.port}:${sameAddress[0]!.local!.address}`;
    const turn = this.reusePortTurns.get(key) ?? 0;
    this.reusePortTurns.set(key, turn + 1);
    return sameAddress[turn % sameAddress.length];
  }

  /** Linux prefers a socket connected to the sender; else the best bound match, the first bound. */
  private datagramReceiver(host: string, to: Endpoint, from: Endpoint): DatagramSocket | undefined {
    const candidates = this.tablesOf(host)
      .udp.receivers(to.address, to.port)
      .map((binding) => this.datagramSockets.get(binding.owner))
      .filter((socket): socket is DatagramSocket => socket?.accepts(from) === true);
    return candidates.find((socket) => socket.remote !== undefined) ?? candidates[0];
  }
}
