import { describe, expect, it } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';
import type { StreamSocket } from '../../src/net/stream.js';

// A migrating process takes its sockets along (src/migration): they move
// from host b to host c here, while a client on a talks to them.

const hosts = ['a', 'b', 'c'].map((name) => ({ name, properties: {} }));
const B = '10.0.0.2';
const C = '10.0.0.3';

function setup() {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(hosts, transport);
  const server = net.streamSocket('b');
  expect(server.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
  expect(server.listen(16)).toBeUndefined();
  return { transport, net, server };
}

function accepted(server: StreamSocket): StreamSocket {
  const child = server.accept();
  if (child instanceof SocketError) throw new Error(`accept failed: ${child.code}`);
  return child;
}

function received(socket: StreamSocket): string {
  let text = '';
  for (;;) {
    const data = socket.recv(1 << 20);
    if (data instanceof SocketError) return text;
    if (data.length === 0) return text;
    text += data.toString();
  }
}

describe('sockets of a migrating process', () => {
  it('an established connection keeps its addresses and its bytes in order, and its traffic leaves from the new host', () => {
    const { transport, net, server } = setup();
    const client = net.streamSocket('a');
    client.connect({ address: B, port: 80 });
    transport.completeAll();
    const child = accepted(server);
    client.send(Buffer.from('before '));
    transport.completeAll();
    child.migrate('c');
    client.send(Buffer.from('after'));
    expect(transport.pending.map(({ srcHost, dstHost }) => `${srcHost}>${dstHost}`)).toEqual(['a>c']);
    transport.completeAll();
    expect(received(child)).toBe('before after');
    child.send(Buffer.from('reply'));
    expect(transport.pending.map(({ srcHost, dstHost }) => `${srcHost}>${dstHost}`)).toEqual(['c>a']);
    transport.completeAll();
    expect(received(client)).toBe('reply');
    expect(child.local).toEqual({ address: B, port: 80 });
    expect(client.remote).toEqual({ address: B, port: 80 });
  });

  it('a listener answers on the new host: a connection to the old address is refused, one to the new address accepted', () => {
    const { transport, net, server } = setup();
    server.migrate('c');
    const old = net.streamSocket('a');
    old.connect({ address: B, port: 80 });
    transport.completeAll();
    expect(old.takeError()).toBe('ECONNREFUSED');
    const fresh = net.streamSocket('a');
    fresh.connect({ address: C, port: 80 });
    transport.completeAll();
    expect(fresh.connection()).toBe('connected');
    expect(accepted(server).local).toEqual({ address: C, port: 80 });
    // Its port left host b: another socket may take it there.
    const other = net.streamSocket('b');
    expect(other.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
  });

  it('a connection waiting in the accept queue, or still in its handshake, goes along with its listener', () => {
    const { transport, net, server } = setup();
    const queued = net.streamSocket('a');
    queued.connect({ address: B, port: 80 });
    transport.completeAll();
    const late = net.streamSocket('a');
    late.connect({ address: B, port: 80 });
    transport.completeRound(); // SYN
    transport.completeRound(); // SYN-ACK: the final ACK is under way
    server.migrate('c');
    transport.completeAll();
    for (const [client, child] of [
      [queued, accepted(server)],
      [late, accepted(server)],
    ] as const) {
      child.send(Buffer.from('hi'));
      expect(transport.pending.map(({ srcHost }) => srcHost)).toEqual(['c']);
      transport.completeAll();
      expect(received(client)).toBe('hi');
    }
  });

  it('a UDP socket bound to the old host receives on the new host', () => {
    const { transport, net } = setup();
    const socket = net.datagramSocket('b');
    expect(socket.bind({ address: B, port: 53 })).toBeUndefined();
    socket.migrate('c');
    expect(socket.local).toEqual({ address: C, port: 53 });
    const sender = net.datagramSocket('a');
    sender.sendTo(Buffer.from('x'), { address: C, port: 53 });
    transport.completeAll();
    expect(socket.readiness().readable).toBe(true);
  });
});
