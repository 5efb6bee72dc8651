import { SocketError } from '../../src/net/errors.js';
import type { ManualTransport } from '../../src/net/manual-transport.js';
import type { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';
import type { CongestionWindow } from '../../src/net/tcp/congestion.js';

/** A connection from host a to `to`'s `address` (port `port`), handshake done, TCP_NODELAY on the client. */
export function connectionFromA(
  net: VirtualNetwork,
  transport: ManualTransport,
  to: { host: string; address: string },
  port: number,
): { client: StreamSocket; child: StreamSocket } {
  const server = net.streamSocket(to.host);
  server.bind({ address: '0.0.0.0', port });
  server.listen(10);
  const client = net.streamSocket('a');
  client.connect({ address: to.address, port });
  transport.completeAll();
  const child = server.accept();
  if (child instanceof SocketError) throw new Error(`accept failed: ${child.code}`);
  client.noDelay = true;
  return { client, child };
}

/** A socket's own congestion window (its sending direction's), for tests that force it open. */
export function congestionOf(socket: StreamSocket): CongestionWindow {
  return (socket as unknown as { out: { congestion: CongestionWindow } }).out.congestion;
}
