import { StreamSocket, type DatagramSocket, type NetErrnoName } from '../../net/index.js';
import { AsyncNotice } from './async-signals.js';
import type { Carrier } from './data-path.js';
import type { VirtualObject } from '../tracees/fd-table.js';

/** A virtual socket as the fd table holds it, with its data path and the options programs set and read back. */
export class SocketFile implements VirtualObject {
  /** Raw option values by "level:name", as setsockopt gave them. */
  readonly options = new Map<string, Buffer>();
  readonly type: 'stream' | 'datagram';
  /**
   * A non-blocking connect started, and no connect call has seen its end
   * yet (Linux's SS_CONNECTING): the next one that does returns its outcome,
   * 0 or the error, once; after that, connect is refused with EISCONN.
   */
  connectUnconfirmed = false;
  /** O_ASYNC: who gets the signals for its events, and which signal. */
  readonly async = new AsyncNotice();

  constructor(
    readonly socket: StreamSocket | DatagramSocket,
    readonly carrier: Carrier,
  ) {
    this.type = socket instanceof StreamSocket ? 'stream' : 'datagram';
  }

  close(): void {
    this.async.disable();
    this.socket.close();
    this.carrier.close();
  }

  /** connect(AF_UNSPEC): the connection or the listening ends, the kernel's side first (see Carrier.disconnected). */
  disconnect(): void {
    this.carrier.disconnected();
    (this.socket as StreamSocket).disconnect();
  }

  /**
   * A connect confirming a connection that failed or was reset since, as
   * __inet_stream_connect's sock_error path does: its error, or
   * ECONNABORTED once SO_ERROR took it, and the socket is disconnected,
   * free to connect again.
   */
  connectionFailed(): NetErrnoName | 'ECONNABORTED' {
    const error = (this.socket as StreamSocket).takeError() ?? 'ECONNABORTED';
    this.disconnect();
    return error;
  }
}
