import type { AddressBook } from './addresses.js';
import type { DatagramSocket } from './datagram.js';
import type { PortTable } from './ports.js';
import type { Endpoint } from './endpoint.js';
import type { StreamSocket } from './stream.js';
import type { Transport } from './transport.js';
import type { DropTailQueue } from './tcp/drop-tail.js';
import type { NetworkMode } from './network.js';

/** What sockets need of the network they live in; `VirtualNetwork` provides it. */
export interface NetContext {
  readonly transport: Transport;
  readonly mode: NetworkMode;
  readonly addresses: AddressBook;
  readonly sendBufferSize: number;
  readonly receiveBufferSize: number;
  /** The drop-tail queue in front of the bottleneck of the route from `from` to `to`, shared by every connection crossing it. */
  queueOf(from: string, to: string): DropTailQueue | undefined;
  /** Virtual time in seconds (for TIME_WAIT). */
  now(): number;
  nextSocketId(): number;
  tcpPorts(host: string): PortTable;
  udpPorts(host: string): PortTable;
  /** The socket listening for connections to `to` on `host`, when a SYN arrives. */
  listenerAt(host: string, to: Endpoint): StreamSocket | undefined;
  listening(socket: StreamSocket, on: boolean): void;
  /** The socket receiving a datagram from `from` to `to` on `host`. */
  datagramReceiver(host: string, to: Endpoint, from: Endpoint): DatagramSocket | undefined;
  datagramBound(socket: DatagramSocket, on: boolean): void;
  /** The nameserver's reply to a query, or null to stay silent. */
  answerDns(query: Buffer): Buffer | null;
}
