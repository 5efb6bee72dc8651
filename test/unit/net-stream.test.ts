import { describe, expect, it, vi } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork, type NetworkOptions } from '../../src/net/network.js';
import type { Readiness } from '../../src/net/readiness.js';
import { SHUT_WR, type StreamSocket } from '../../src/net/stream.js';
import { IPV4_SEGMENTS, controlSegmentWireBytes, wireBytes as wireBytesOver } from '../../src/net/wire.js';

// IPv4 connections: their segment sizes.
const MSS = IPV4_SEGMENTS.mss;
const CONTROL_SEGMENT_WIRE_BYTES = controlSegmentWireBytes(IPV4_SEGMENTS);
const wireBytes = (payload: number): number => wireBytesOver(payload, IPV4_SEGMENTS);

const hosts = ['a', 'b', 'c'].map((name) => ({ name, properties: {} }));
const B = '10.0.0.2';

function setup(options: NetworkOptions = {}) {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(hosts, transport, options);
  const server = net.streamSocket('b');
  expect(server.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
  expect(server.listen(16)).toBeUndefined();
  return { transport, net, server };
}

const code = (result: unknown) => (result instanceof SocketError ? result.code : result);

/** Connects a client from `host` and runs the handshake to the end; returns both ends. */
function connected(net: VirtualNetwork, transport: ManualTransport, server: StreamSocket, host = 'a') {
  const client = net.streamSocket(host);
  expect(code(client.connect({ address: B, port: 80 }))).toBe('EINPROGRESS');
  transport.completeAll();
  const child = server.accept();
  if (child instanceof SocketError) throw new Error(`accept failed: ${child.code}`);
  return { client, child };
}

function text(result: Buffer | SocketError): string {
  if (result instanceof SocketError) throw new Error(`expected data, got ${result.code}`);
  return result.toString();
}

describe('TCP connection setup', () => {
  it('connects after a round trip, and the server accepts once the final ACK arrives', () => {
    const { transport, net, server } = setup();
    const client = net.streamSocket('a');
    expect(code(client.connect({ address: B, port: 80 }))).toBe('EINPROGRESS');
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: CONTROL_SEGMENT_WIRE_BYTES }]);
    transport.completeRound(); // SYN
    expect(client.connection()).toBe('connecting');
    expect(client.readiness().writable).toBe(false);
    transport.completeRound(); // SYN-ACK
    expect(client.connection()).toBe('connected');
    expect(client.readiness().writable).toBe(true);
    expect(code(server.accept())).toBe('EAGAIN');
    expect(server.readiness().readable).toBe(false);
    transport.completeRound(); // ACK
    expect(server.readiness().readable).toBe(true);
    const child = server.accept() as StreamSocket;
    expect(child.local).toEqual({ address: B, port: 80 });
    expect(child.remote).toEqual({ address: '10.0.0.1', port: 32768 });
    expect(client.local).toEqual({ address: '10.0.0.1', port: 32768 });
    expect(client.remote).toEqual({ address: B, port: 80 });
  });

  it('refuses a connection to a port nobody listens on, after the round trip', () => {
    const { transport, net } = setup();
    const client = net.streamSocket('a');
    expect(code(client.connect({ address: B, port: 81 }))).toBe('EINPROGRESS');
    transport.completeRound();
    expect(client.connection()).toBe('connecting');
    expect(transport.pending).toEqual([{ srcHost: 'b', dstHost: 'a', bytes: CONTROL_SEGMENT_WIRE_BYTES }]);
    transport.completeRound();
    expect(client.connection()).toBe('refused');
    expect(client.readiness()).toMatchObject({ writable: true, error: true, hangup: true });
    expect(client.takeError()).toBe('ECONNREFUSED');
    expect(client.takeError()).toBeUndefined();
    // Its port goes back to the host, but getsockname still shows it, on the wildcard address, as Linux's does.
    expect(client.local).toEqual({ address: '0.0.0.0', port: expect.any(Number) });
    expect(client.bind({ address: '0.0.0.0', port: 0 })).toBeUndefined();
  });

  it('reports ECONNREFUSED (errno 111) from recv after a refusal, once', () => {
    const { transport, net } = setup();
    const client = net.streamSocket('a');
    client.connect({ address: B, port: 81 });
    transport.completeAll();
    const error = client.recv(10) as SocketError;
    expect([error.code, error.errno]).toEqual(['ECONNREFUSED', 111]);
    expect(code(client.recv(10))).toBe('ENOTCONN');
  });

  it('fails to connect to an address of the subnet no host has with EHOSTUNREACH once ARP gives up (3 s), and off the subnet with ENETUNREACH at once', () => {
    const { transport, net } = setup();
    const client = net.streamSocket('a');
    expect(code(client.connect({ address: '10.9.9.9', port: 80 }))).toBe('EINPROGRESS');
    expect(transport.pending).toEqual([]);
    transport.advance(2.999);
    expect(client.connection()).toBe('connecting');
    transport.advance(0.002);
    expect(client.takeError()).toBe('EHOSTUNREACH');
    expect(code(net.streamSocket('a').connect({ address: '192.168.9.9', port: 80 }))).toBe('ENETUNREACH');
  });

  it('answers connect while connecting with EALREADY and once connected with EISCONN', () => {
    const { transport, net } = setup();
    const client = net.streamSocket('a');
    client.connect({ address: B, port: 80 });
    expect(code(client.connect({ address: B, port: 80 }))).toBe('EALREADY');
    transport.completeAll();
    expect(code(client.connect({ address: B, port: 80 }))).toBe('EISCONN');
  });

  it('accepts connections in the order their handshakes completed', () => {
    const { transport, net, server } = setup();
    const fromC = net.streamSocket('c');
    fromC.connect({ address: B, port: 80 });
    transport.completeRound();
    const fromA = net.streamSocket('a');
    fromA.connect({ address: B, port: 80 });
    const fromB = net.streamSocket('b');
    fromB.connect({ address: B, port: 80 });
    transport.completeAll();
    const order = [1, 2, 3].map(() => (server.accept() as StreamSocket).remote!.address);
    expect(order).toEqual(['10.0.0.3', '10.0.0.1', '10.0.0.2']);
    expect(code(server.accept())).toBe('EAGAIN');
  });

  it('holds connections beyond the backlog until accept makes room', () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    const server = net.streamSocket('b');
    server.bind({ address: '0.0.0.0', port: 80 });
    server.listen(0); // Linux still queues one connection
    const first = net.streamSocket('a');
    const second = net.streamSocket('c');
    first.connect({ address: B, port: 80 });
    second.connect({ address: B, port: 80 });
    transport.completeAll();
    expect(first.connection()).toBe('connected');
    expect(second.connection()).toBe('connecting');
    expect((server.accept() as StreamSocket).remote!.address).toBe('10.0.0.1');
    transport.completeAll();
    expect(second.connection()).toBe('connected');
    expect((server.accept() as StreamSocket).remote!.address).toBe('10.0.0.3');
  });

  it('leaves nothing to accept when the client closes before the SYN-ACK arrives, and frees its place in the queue', () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    const server = net.streamSocket('b');
    server.bind({ address: '0.0.0.0', port: 80 });
    server.listen(0); // one place: the abandoned handshake holds it until the RST
    const abandoned = net.streamSocket('a');
    abandoned.connect({ address: B, port: 80 });
    const waiting = net.streamSocket('c');
    waiting.connect({ address: B, port: 80 });
    transport.completeRound(); // the SYNs: the first takes the place, the second waits
    abandoned.close();
    transport.completeRound(); // SYN-ACK to a socket gone; its host answers RST
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: CONTROL_SEGMENT_WIRE_BYTES }]);
    transport.completeAll();
    expect(waiting.connection()).toBe('connected');
    expect((server.accept() as StreamSocket).remote!.address).toBe('10.0.0.3');
    expect(code(server.accept())).toBe('EAGAIN');
  });

  it('connects over loopback on the same host, from 127.0.0.1', () => {
    const { transport, net, server } = setup();
    const client = net.streamSocket('b');
    client.connect({ address: '127.0.0.1', port: 80 });
    expect(transport.pending[0]).toMatchObject({ srcHost: 'b', dstHost: 'b' });
    transport.completeAll();
    const child = server.accept() as StreamSocket;
    expect(child.local).toEqual({ address: '127.0.0.1', port: 80 });
    expect(child.remote).toEqual({ address: '127.0.0.1', port: client.local!.port });
  });

  it('does not reach a listener bound to another address of its host', () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    const server = net.streamSocket('b');
    server.bind({ address: '127.0.0.1', port: 80 });
    server.listen(1);
    const client = net.streamSocket('a');
    client.connect({ address: B, port: 80 });
    transport.completeAll();
    expect(client.connection()).toBe('refused');
  });

  it('spreads connections over SO_REUSEPORT listeners in turn', () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    const listeners = [0, 1].map(() => {
      const socket = net.streamSocket('b');
      socket.reusePort = true;
      expect(socket.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
      expect(socket.listen(8)).toBeUndefined();
      return socket;
    });
    for (const host of ['a', 'c', 'a']) net.streamSocket(host).connect({ address: B, port: 80 });
    transport.completeAll();
    const first = [listeners[0]!.accept(), listeners[0]!.accept()].map((s) => (s as StreamSocket).remote!.address);
    expect(first).toEqual(['10.0.0.1', '10.0.0.1']);
    expect((listeners[1]!.accept() as StreamSocket).remote!.address).toBe('10.0.0.3');
  });

  it('resets connections still in the queue when the listener closes', () => {
    const { transport, net, server } = setup();
    const client = net.streamSocket('a');
    client.connect({ address: B, port: 80 });
    transport.completeAll();
    server.close();
    transport.completeAll();
    expect(code(client.recv(10))).toBe('ECONNRESET');
  });
});

describe('TCP data', () => {
  /** The data flights under way from `from` to `to`, in payload bytes (acknowledgments aside). */
  const flights = (transport: ManualTransport, from = 'a') =>
    transport.pending.filter((t) => t.srcHost === from && t.bytes !== CONTROL_SEGMENT_WIRE_BYTES).map((t) => t.bytes);
  /** How many acknowledgments are under way towards `to`. */
  const acks = (transport: ManualTransport, to = 'a') => transport.pending.filter((t) => t.dstHost === to && t.bytes === CONTROL_SEGMENT_WIRE_BYTES).length;

  it('makes bytes readable only when their flight lands, carrying their headers and framing on the wire', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    expect(client.send(Buffer.from('hello'))).toBe(5);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 5 + 52 + 38 }]);
    expect(code(child.recv(100))).toBe('EAGAIN');
    expect(child.readiness().readable).toBe(false);
    transport.completeRound();
    expect(child.readiness().readable).toBe(true);
    expect(text(child.recv(100))).toBe('hello');
  });

  it('delivers the stream in order whichever flight lands first: its bytes are the next ones', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.noDelay = true;
    for (let i = 0; i < 50; i++) client.send(Buffer.from(`<${i}>`));
    expect(flights(transport)).toHaveLength(50);
    transport.complete(49); // "<49>": four bytes across
    transport.complete(10); // "<10>": four more
    expect(child.available()).toBe(8);
    expect(text(child.recv(8))).toBe('<0><1><2');
    transport.completeAll();
    const expected = Array.from({ length: 50 }, (_, i) => `<${i}>`).join('');
    expect(`<0><1><2${text(child.recv(10_000))}`).toBe(expected);
  });

  it('lands whole segments as they cross, at each look, before their flight completes', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const stream = Buffer.alloc(10 * MSS);
    stream.write('0123456789');
    expect(client.send(stream)).toBe(10 * MSS);
    expect(flights(transport)).toEqual([wireBytes(10 * MSS)]);
    expect(transport.followed).toBe(1);
    transport.cross(0, 2 * wireBytes(MSS) + 100);
    expect(child.readiness().readable).toBe(false); // until the transport looks
    transport.look();
    expect(child.available()).toBe(2 * MSS);
    expect(text(child.recv(4))).toBe('0123');
    expect(acks(transport)).toBe(1); // two full segments: acknowledged at once
    transport.complete(0);
    expect(child.available()).toBe(2 * MSS - 4); // the rest lands at the next look, as a NIC coalesces
    transport.look();
    expect(child.available()).toBe(10 * MSS - 4);
  });

  it('starts with 10 segments in flight and doubles the window each round trip of slow start (RFC 6928, RFC 5681)', () => {
    const { transport, net, server } = setup({ sendBufferSize: 1 << 20, receiveBufferSize: 1 << 20 });
    const { client, child } = connected(net, transport, server);
    expect(client.send(Buffer.alloc(200 * MSS))).toBe(200 * MSS);
    const rounds: number[] = [];
    for (let round = 0; round < 4; round++) {
      rounds.push(flights(transport).reduce((sum, bytes) => sum + bytes, 0));
      transport.completeRound(); // the flight lands; its ACK leaves at once
      child.recv(1 << 20);
      transport.completeRound(); // the ACK arrives: the next flight leaves
    }
    expect(rounds).toEqual([10, 20, 40, 80].map((segments) => wireBytes(segments * MSS)));
  });

  it('keeps no more in flight than the receiver has room for, and sends on as it reads', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    child.receiveBufferSize = 4 * MSS;
    expect(client.send(Buffer.alloc(8 * MSS))).toBe(8 * MSS);
    expect(flights(transport)).toEqual([wireBytes(4 * MSS)]);
    transport.completeAll();
    expect(flights(transport)).toEqual([]); // unread: the window is shut
    expect(child.available()).toBe(4 * MSS);
    child.recv(2 * MSS);
    expect(flights(transport)).toEqual([wireBytes(2 * MSS)]);
  });

  it('frees the send buffer when the ACK arrives, not when the bytes land', () => {
    const { transport, net, server } = setup();
    const { client } = connected(net, transport, server);
    client.sendBufferSize = 1000;
    expect(client.send(Buffer.alloc(1500))).toBe(1000);
    expect(code(client.send(Buffer.alloc(10)))).toBe('EAGAIN');
    expect(client.readiness().writable).toBe(false);
    transport.completeRound(); // landed, ACK on its way
    expect(client.readiness().writable).toBe(false);
    transport.completeRound();
    expect(client.readiness().writable).toBe(true);
    expect(client.send(Buffer.alloc(1500))).toBe(1000);
  });

  it('reports the sender writable again only once the room is half of what is still queued, as Linux does', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.sendBufferSize = 40 * MSS;
    child.receiveBufferSize = 1 << 20;
    expect(client.send(Buffer.alloc(40 * MSS))).toBe(40 * MSS);
    expect(client.readiness().writable).toBe(false);
    transport.completeRound();
    transport.completeRound(); // the initial window's 10 segments acknowledged: room 10, 30 queued
    expect(client.readiness().writable).toBe(false);
    expect(client.send(Buffer.alloc(MSS))).toBe(MSS); // a write still takes what fits
    child.recv(1 << 20);
    transport.completeRound();
    transport.completeRound(); // 20 more: room 29, 11 queued
    expect(client.readiness().writable).toBe(true);
  });

  it('lets the FIN arrive only after every byte sent before it, even when it completes first', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.alloc(8 * MSS, 't'));
    client.close();
    expect(transport.pending.map((transfer) => transfer.bytes)).toEqual([wireBytes(8 * MSS), CONTROL_SEGMENT_WIRE_BYTES]);
    transport.complete(1); // the FIN's transfer
    transport.cross(0, wireBytes(MSS));
    transport.look();
    expect(child.readiness().readHangup).toBe(false);
    expect((child.recv(10 * MSS) as Buffer).length).toBe(MSS);
    expect(code(child.recv(100))).toBe('EAGAIN');
    transport.complete(0);
    transport.look();
    expect((child.recv(10 * MSS) as Buffer).length).toBe(7 * MSS);
    expect(text(child.recv(100))).toBe('');
  });

  it('carries 10 MB in 64 KiB sends with a linear number of transfers and bytes copied', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const total = 10 * 1024 * 1024;
    const chunk = 64 * 1024;
    const source = Buffer.alloc(total);
    for (let i = 0; i < total; i += 4) source.writeUInt32LE(i, i);
    const received: Buffer[] = [];
    const concat = vi.spyOn(Buffer, 'concat');
    const before = transport.started;
    let sent = 0;
    let sends = 0;
    let receivedBytes = 0;
    while (receivedBytes < total) {
      for (;;) {
        if (sent === total) break;
        const n = client.send(source.subarray(sent, Math.min(sent + chunk, total)));
        sends++;
        if (n instanceof SocketError) break;
        sent += n;
      }
      transport.completeRound();
      for (let r = child.recv(chunk); !(r instanceof SocketError) && r.length > 0; r = child.recv(chunk)) {
        received.push(Buffer.from(r));
        receivedBytes += r.length;
      }
    }
    const copied = concat.mock.results.reduce((sum, result) => sum + (result.value as Buffer).length, 0);
    concat.mockRestore();
    expect(Buffer.concat(received).equals(source)).toBe(true);
    const chunks = total / chunk;
    // At most a flight and an acknowledgment per write, and a few more as the window grows.
    expect(transport.started - before).toBeLessThanOrEqual(3 * chunks);
    expect(sends).toBeLessThanOrEqual(3 * chunks);
    expect(copied).toBeLessThanOrEqual(total);
  });

  it('stops sending once a reader that does not read has a full receive buffer', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.sendBufferSize = 1000;
    child.receiveBufferSize = 1000;
    expect(client.send(Buffer.alloc(1000, 1))).toBe(1000);
    transport.completeAll();
    expect(client.send(Buffer.alloc(1000, 2))).toBe(1000);
    expect(flights(transport)).toEqual([]); // the window is shut: nothing goes out
    expect(code(client.send(Buffer.alloc(1)))).toBe('EAGAIN');
    expect((child.recv(600) as Buffer).length).toBe(600);
    expect(flights(transport)).toEqual([wireBytes(600)]);
    transport.completeAll();
    expect(client.send(Buffer.alloc(1000))).toBe(600);
  });

  it('peeks without consuming, and waits for all bytes with MSG_WAITALL', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.from('abc'));
    transport.completeAll();
    expect(text(child.recv(2, { peek: true }))).toBe('ab');
    expect(code(child.recv(6, { waitAll: true }))).toBe('EAGAIN');
    expect(child.recvReady(6, true)).toBe(false);
    client.send(Buffer.from('def'));
    transport.completeAll();
    expect(child.recvReady(6, true)).toBe(true);
    expect(text(child.recv(6, { waitAll: true }))).toBe('abcdef');
  });

  it('gives EOF after every delivered byte once the peer closes', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.from('last words'));
    client.close();
    expect(code(child.recv(100))).toBe('EAGAIN');
    transport.completeAll();
    expect(child.readiness()).toMatchObject({ readable: true, readHangup: true });
    expect(text(child.recv(4))).toBe('last');
    expect(text(child.recv(100))).toBe(' words');
    expect(text(child.recv(100))).toBe('');
    expect(text(child.recv(100))).toBe('');
  });

  it('gives EOF after SHUT_WR while the other direction still carries data', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.from('request'));
    expect(client.shutdown(SHUT_WR)).toBeUndefined();
    expect(code(client.send(Buffer.from('more')))).toBe('EPIPE');
    transport.completeAll();
    expect(text(child.recv(100))).toBe('request');
    expect(text(child.recv(100))).toBe('');
    expect(child.send(Buffer.from('response'))).toBe(8);
    transport.completeAll();
    expect(text(client.recv(100))).toBe('response');
    child.close();
    transport.completeAll();
    expect(text(client.recv(100))).toBe('');
    expect(client.readiness().hangup).toBe(true);
  });

  it('reads what is queued, then EOF, after SHUT_RD', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.from('queued'));
    transport.completeAll();
    expect(child.shutdown(0)).toBeUndefined();
    expect(child.readiness().readHangup).toBe(true);
    expect(text(child.recv(100))).toBe('queued');
    expect(text(child.recv(100))).toBe('');
    expect(code(child.shutdown(7))).toBe('EINVAL');
    expect(code(net.streamSocket('a').shutdown(1))).toBe('ENOTCONN');
  });

  it('resets the peer when a socket closes with unread data', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    child.send(Buffer.from('greeting'));
    client.send(Buffer.from('never read'));
    transport.completeAll();
    child.close();
    expect(code(client.recv(100, { peek: true }))).not.toBe('ECONNRESET');
    transport.completeAll();
    // What had arrived before the RST is still readable, then the error, then EOF.
    expect(text(client.recv(100))).toBe('greeting');
    expect(code(client.recv(100))).toBe('ECONNRESET');
    expect(text(client.recv(100))).toBe('');
    expect(code(client.send(Buffer.from('x')))).toBe('EPIPE');
  });

  it('answers data sent to a closed socket with a reset: the sender then gets EPIPE', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    child.close();
    transport.completeAll();
    expect(text(client.recv(100))).toBe('');
    expect(client.send(Buffer.from('too late'))).toBe(8);
    transport.completeAll();
    expect(client.readiness().error).toBe(true);
    expect(code(client.send(Buffer.from('again')))).toBe('EPIPE');
    expect(code(client.send(Buffer.from('again')))).toBe('EPIPE');
  });

  it('keeps the port of the side that closed first in TIME_WAIT unless SO_REUSEADDR is set', () => {
    let now = 0;
    const { transport, net, server } = setup({ now: () => now });
    const { child } = connected(net, transport, server);
    server.close();
    child.close();
    transport.completeAll();
    const restarted = net.streamSocket('b');
    expect(code(restarted.bind({ address: '0.0.0.0', port: 80 }))).toBe('EADDRINUSE');
    const reusing = net.streamSocket('b');
    reusing.reuseAddr = true;
    expect(reusing.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
    reusing.close();
    now = 60;
    expect(restarted.bind({ address: '0.0.0.0', port: 80 })).toBeUndefined();
  });

  it('frees the port of the side that closed second at once', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const port = client.local!.port;
    child.close();
    transport.completeAll();
    client.close();
    const again = net.streamSocket('a');
    expect(again.bind({ address: '0.0.0.0', port })).toBeUndefined();
  });

  it('refuses to bind an address of another host with EADDRNOTAVAIL', () => {
    const { net } = setup();
    expect(code(net.streamSocket('a').bind({ address: B, port: 80 }))).toBe('EADDRNOTAVAIL');
  });
});

describe('TCP readiness notifications', () => {
  it('fire exactly when readiness changes or input arrives', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const seen: Readiness[] = [];
    child.onChange((r) => seen.push(r));
    client.send(Buffer.from('one'));
    expect(seen).toEqual([]);
    transport.completeAll(); // the bytes, then their ACK, which lets Nagle's algorithm send the next small write
    expect(seen.map((r) => r.readable)).toEqual([true]);
    client.send(Buffer.from('two'));
    transport.completeRound();
    expect(seen.length).toBe(2); // still readable, but an arrival is news to edge-triggered watchers
    child.recv(2);
    expect(seen.length).toBe(2);
    child.recv(100);
    expect(seen.map((r) => r.readable)).toEqual([true, true, false]);
    client.close();
    transport.completeAll();
    expect(seen.at(-1)).toMatchObject({ readable: true, readHangup: true });
    expect(seen.length).toBe(4);
  });

  it('wake a listener when a connection is ready to accept, and stop when unsubscribed', () => {
    const { transport, net, server } = setup();
    let wakeups = 0;
    const stop = server.onChange(() => wakeups++);
    net.streamSocket('a').connect({ address: B, port: 80 });
    transport.completeRound();
    transport.completeRound();
    expect(wakeups).toBe(0);
    transport.completeRound();
    expect(wakeups).toBe(1);
    server.accept();
    expect(wakeups).toBe(2);
    stop();
    net.streamSocket('c').connect({ address: B, port: 80 });
    transport.completeAll();
    expect(wakeups).toBe(2);
  });

  it('wake a non-blocking connect when it completes', () => {
    const { transport, net } = setup();
    const client = net.streamSocket('a');
    const seen: Readiness[] = [];
    client.onChange((r) => seen.push(r));
    client.connect({ address: B, port: 80 });
    expect(seen.map((r) => r.writable)).toEqual([false]);
    transport.completeRound();
    expect(seen.length).toBe(1);
    transport.completeRound();
    expect(seen.map((r) => r.writable)).toEqual([false, true]);
  });
});

describe('a connection that only counts its bytes (address translation)', () => {
  it('lets the receiver take only bytes whose transfer has completed, with the same transfers as full mediation', () => {
    const { transport, net, server } = setup({ mode: 'translate', sendBufferSize: 1000, receiveBufferSize: 600 });
    const { client, child } = connected(net, transport, server);
    expect(client.sendCount(1500)).toBe(1000);
    expect(code(client.sendCount(1))).toBe('EAGAIN');
    // The window is the receiver's buffer: 600 bytes start, the rest waits for reads.
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: wireBytes(600) }]);
    expect(code(child.receivable(100))).toBe('EAGAIN');
    transport.completeAll();
    expect(child.available()).toBe(600);
    expect(child.receivable(1000)).toBe(600);
    expect(child.receivable(1000, { peek: true })).toBe(600);
    expect(child.consume(300)).toBeUndefined();
    expect(child.available()).toBe(300);
    // Reading opened the window by what was read, smaller than a segment, with nothing in flight: it is used.
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: wireBytes(300) }]);
    // The send buffer counts what is not acknowledged yet: 400 bytes.
    expect(client.sendCount(1000)).toBe(600);
  });

  it('tells how many bytes a send would take before any is counted: the room, or 0 where the send would fail', () => {
    const { transport, net, server } = setup({ mode: 'translate', sendBufferSize: 1000 });
    const { client } = connected(net, transport, server);
    expect(client.sendRoom()).toBe(1000);
    expect(client.sendCount(400)).toBe(400);
    expect(client.sendRoom()).toBe(600);
    client.shutdown(SHUT_WR);
    expect(client.sendRoom()).toBe(0);
    expect(code(client.sendCount(1))).toBe('EPIPE');
    expect(net.streamSocket('a').sendRoom()).toBe(0);
  });

  it('reports EOF after the counted bytes once the FIN has arrived', () => {
    const { transport, net, server } = setup({ mode: 'translate' });
    const { client, child } = connected(net, transport, server);
    expect(client.sendCount(10)).toBe(10);
    client.shutdown(SHUT_WR);
    transport.completeAll();
    expect(child.receivable(100)).toBe(10);
    child.consume(10);
    expect(child.receivable(100)).toBe(0);
    expect(child.readiness().readHangup).toBe(true);
  });
});

describe('TCP over IPv6', () => {
  /** A dual-stack listener on b, and a client on a connected to `address` through an AF_INET6 socket. */
  function connectedOverIpv6(address: (net: VirtualNetwork) => string) {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    const server = net.streamSocket('b', 6);
    expect(server.bind({ address: '::', port: 80 })).toBeUndefined();
    expect(server.listen(16)).toBeUndefined();
    const client = net.streamSocket('a', 6);
    expect(code(client.connect({ address: address(net), port: 80 }))).toBe('EINPROGRESS');
    const syn = transport.pending.map((t) => t.bytes);
    transport.completeAll();
    const child = server.accept();
    if (child instanceof SocketError) throw new Error(`accept failed: ${child.code}`);
    return { transport, client, child, syn };
  }

  it('cuts segments of 1428 bytes under 72 bytes of headers (IPv6 is 20 bytes longer than IPv4), the first window 10 of them', () => {
    const { transport, client, child, syn } = connectedOverIpv6((net) => net.addresses.address6Of('b'));
    expect(syn).toEqual([72 + 38]);
    expect([client.maxSegment, child.maxSegment]).toEqual([1428, 1428]);
    expect(client.send(Buffer.alloc(20 * 1428))).toBe(20 * 1428);
    // Ten full segments: 1538 bytes each on the wire, as IPv4's.
    expect(transport.pending.map((t) => t.bytes)).toEqual([10 * 1538]);
  });

  it('keeps IPv4 segments for an IPv4-mapped peer: IPv4 on the wire', () => {
    const { transport, client, child, syn } = connectedOverIpv6(() => B);
    expect(syn).toEqual([CONTROL_SEGMENT_WIRE_BYTES]);
    expect([client.maxSegment, child.maxSegment]).toEqual([MSS, MSS]);
    expect(client.send(Buffer.alloc(20 * MSS))).toBe(20 * MSS);
    expect(transport.pending.map((t) => t.bytes)).toEqual([wireBytes(10 * MSS)]);
  });

  it("reads Linux's default segment size (536) before a connection", () => {
    const transport = new ManualTransport();
    const net = new VirtualNetwork(hosts, transport);
    expect(net.streamSocket('a', 6).maxSegment).toBe(536);
  });
});
