import type { DatagramSocket, StreamSocket } from '../net/index.js';
import type { VirtualObject } from './fd-table.js';

/** A virtual socket as the fd table holds it, with the options programs set and read back. */
export class SocketFile implements VirtualObject {
  /** Raw option values by "level:name", as setsockopt gave them. */
  readonly options = new Map<string, Buffer>();

  constructor(
    readonly socket: StreamSocket | DatagramSocket,
    readonly type: 'stream' | 'datagram',
  ) {}

  close(): void {
    this.socket.close();
  }
}
