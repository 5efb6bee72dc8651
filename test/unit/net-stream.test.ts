import { describe, expect, it, vi } from 'vitest';
import { SocketError } from '../../src/net/errors.js';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork, type NetworkOptions } from '../../src/net/network.js';
import type { Readiness } from '../../src/net/readiness.js';
import { SHUT_WR, type StreamSocket } from '../../src/net/stream.js';
import { FOLLOWED_STREAM_BYTES } from '../../src/net/transport.js';

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

/** Buffers large enough for a followed stream to be under way (Linux grows TCP buffers this far). */
const BIG_BUFFERS = { sendBufferSize: 4 << 20, receiveBufferSize: 4 << 20 };

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
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 0 }]);
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
    expect(transport.pending).toEqual([{ srcHost: 'b', dstHost: 'a', bytes: 0 }]);
    transport.completeRound();
    expect(client.connection()).toBe('refused');
    expect(client.readiness()).toMatchObject({ writable: true, error: true, hangup: true });
    expect(client.takeError()).toBe('ECONNREFUSED');
    expect(client.takeError()).toBeUndefined();
    expect(client.local).toBeUndefined();
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

  it('fails at once to connect to an address no host has', () => {
    const { net } = setup();
    expect(code(net.streamSocket('a').connect({ address: '10.9.9.9', port: 80 }))).toBe('EHOSTUNREACH');
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
  it('makes bytes readable only when their transfer completes', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    expect(client.send(Buffer.from('hello'))).toBe(5);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 5 }]);
    expect(code(child.recv(100))).toBe('EAGAIN');
    expect(child.readiness().readable).toBe(false);
    transport.completeRound();
    expect(child.readiness().readable).toBe(true);
    expect(text(child.recv(100))).toBe('hello');
  });

  it('delivers the stream in order whichever transfer completes first: its bytes are the next ones', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    for (let i = 0; i < 50; i++) client.send(Buffer.from(`<${i}>`));
    transport.complete(49); // "<49>": four bytes across
    transport.complete(10); // "<10>": four more
    expect(child.available()).toBe(8);
    expect(text(child.recv(8))).toBe('<0><1><2');
    transport.completeAll();
    const expected = Array.from({ length: 50 }, (_, i) => `<${i}>`).join('');
    expect(`<0><1><2${text(child.recv(10_000))}`).toBe(expected);
  });

  it('lets the reader take bytes as they cross, at each look, before their transfer completes', () => {
    const { transport, net, server } = setup(BIG_BUFFERS);
    const { client, child } = connected(net, transport, server);
    const seen: Readiness[] = [];
    child.onChange((r) => seen.push(r));
    const stream = Buffer.alloc(FOLLOWED_STREAM_BYTES);
    stream.write('0123456789');
    expect(client.send(stream)).toBe(FOLLOWED_STREAM_BYTES);
    expect(transport.followed).toBe(1);
    transport.look();
    expect(child.readiness().readable).toBe(false);
    transport.cross(0, 4);
    expect(child.readiness().readable).toBe(false); // until the transport looks
    transport.look();
    expect(seen.map((r) => r.readable)).toEqual([true]);
    expect(text(child.recv(100))).toBe('0123');
    transport.look(); // nothing new
    expect(code(child.recv(100))).toBe('EAGAIN');
    transport.cross(0, 7);
    transport.look();
    transport.complete(0);
    expect(text(child.recv(6))).toBe('456789');
    expect((child.recv(FOLLOWED_STREAM_BYTES) as Buffer).length).toBe(FOLLOWED_STREAM_BYTES - 10);
  });

  it('follows a stream only while a good deal of it is under way', () => {
    const { transport, net, server } = setup(BIG_BUFFERS);
    const { client } = connected(net, transport, server);
    client.send(Buffer.alloc(FOLLOWED_STREAM_BYTES - 1));
    expect(transport.followed).toBe(0);
    client.send(Buffer.alloc(1));
    expect(transport.followed).toBe(1);
    transport.complete(0);
    transport.look(); // one byte under way: no longer worth it
    expect(transport.followed).toBe(0);
  });

  it('holds the bytes of a long stream while more than the route carries meanwhile is under way, then sends them as one transfer', () => {
    const { transport, net, server } = setup(BIG_BUFFERS);
    const { client } = connected(net, transport, server);
    const write = 64 * 1024;
    transport.holdBytes = 6 * write;
    for (let i = 0; i < 10; i++) expect(client.send(Buffer.alloc(write))).toBe(write);
    // Transfers start until more than 6 writes' worth is under way; the rest waits in the send buffer.
    expect(transport.pending.map((t) => t.bytes)).toEqual(Array(7).fill(write));
    transport.cross(0, write / 2);
    transport.look(); // 6.5 writes' worth under way
    expect(transport.pending).toHaveLength(7);
    transport.cross(0, write);
    transport.look(); // 6: the 3 waiting writes leave together
    expect(transport.pending.map((t) => t.bytes)).toEqual([...Array(7).fill(write), 3 * write]);
  });

  it('never holds the bytes of a stream with less under way than a followed one', () => {
    const { transport, net, server } = setup(BIG_BUFFERS);
    const { client } = connected(net, transport, server);
    transport.holdBytes = 0;
    for (let i = 0; i < 4; i++) client.send(Buffer.alloc(1000));
    expect(transport.pending.map((t) => t.bytes)).toEqual([1000, 1000, 1000, 1000]);
  });

  it('opens the window as crossed bytes are read, so the sender streams on', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const window = 2 * FOLLOWED_STREAM_BYTES;
    client.sendBufferSize = window + 1000;
    child.receiveBufferSize = window;
    expect(client.send(Buffer.alloc(window + 1000, 1))).toBe(window + 1000);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: window }]);
    transport.cross(0, window / 2 + 100);
    transport.look();
    expect(transport.pending).toHaveLength(1); // crossed but unread: the window stays shut
    expect(client.send(Buffer.alloc(window))).toBe(window / 2 + 100); // crossed bytes left the send buffer
    expect((child.recv(window) as Buffer).length).toBe(window / 2 + 100);
    expect(transport.pending).toEqual([
      { srcHost: 'a', dstHost: 'b', bytes: window },
      { srcHost: 'a', dstHost: 'b', bytes: window / 2 + 100 },
    ]);
  });

  it('uses a window that opened by a few bytes only once it opened by half the receive buffer (no silly window)', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    child.receiveBufferSize = 1000;
    expect(client.send(Buffer.alloc(3000))).toBe(3000);
    transport.completeAll();
    expect(child.available()).toBe(1000);
    child.recv(10);
    child.recv(480);
    expect(transport.pending).toEqual([]);
    child.recv(10);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 500 }]);
  });

  it('sends a small write at once when nothing else waits for the window', () => {
    const { transport, net, server } = setup();
    const { client } = connected(net, transport, server);
    client.send(Buffer.from('tiny'));
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 4 }]);
  });

  it('reports the sender writable again only once the room is half of what is still queued, as Linux does', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    const buffer = 3 * FOLLOWED_STREAM_BYTES;
    client.sendBufferSize = buffer;
    child.receiveBufferSize = buffer;
    expect(client.send(Buffer.alloc(buffer))).toBe(buffer);
    expect(client.readiness().writable).toBe(false);
    transport.cross(0, 0.3 * buffer); // room 0.3, 0.7 queued
    transport.look();
    expect(client.readiness().writable).toBe(false);
    expect(client.send(Buffer.alloc(10))).toBe(10); // a write still takes what fits
    transport.cross(0, 0.34 * buffer); // room 0.34 less 10 bytes, about 0.66 queued
    transport.look();
    expect(client.readiness().writable).toBe(true);
  });

  it('lets the FIN arrive only after every byte sent before it, even when it completes first', () => {
    const { transport, net, server } = setup(BIG_BUFFERS);
    const { client, child } = connected(net, transport, server);
    client.send(Buffer.alloc(FOLLOWED_STREAM_BYTES, 't'));
    client.close();
    expect(transport.pending.map((transfer) => transfer.bytes)).toEqual([FOLLOWED_STREAM_BYTES, 0]);
    transport.complete(1); // the FIN's transfer
    transport.cross(0, 2);
    transport.look();
    expect(child.readiness().readHangup).toBe(false);
    expect(text(child.recv(100))).toBe('tt');
    expect(code(child.recv(100))).toBe('EAGAIN');
    transport.complete(0);
    expect((child.recv(FOLLOWED_STREAM_BYTES) as Buffer).length).toBe(FOLLOWED_STREAM_BYTES - 2);
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
    expect(transport.started - before).toBeLessThanOrEqual(2 * chunks);
    expect(sends).toBeLessThanOrEqual(3 * chunks);
    expect(copied).toBeLessThanOrEqual(total);
  });

  it('blocks a sender whose send buffer is full, and frees room as transfers complete', () => {
    const { transport, net, server } = setup();
    const { client } = connected(net, transport, server);
    client.sendBufferSize = 1000;
    expect(client.send(Buffer.alloc(1500))).toBe(1000);
    expect(code(client.send(Buffer.alloc(10)))).toBe('EAGAIN');
    expect(client.readiness().writable).toBe(false);
    transport.completeRound();
    expect(client.readiness().writable).toBe(true);
    expect(client.send(Buffer.alloc(1500))).toBe(1000);
  });

  it('stops sending once a reader that does not read has a full receive buffer', () => {
    const { transport, net, server } = setup();
    const { client, child } = connected(net, transport, server);
    client.sendBufferSize = 1000;
    child.receiveBufferSize = 1000;
    expect(client.send(Buffer.alloc(1000, 1))).toBe(1000);
    transport.completeRound();
    expect(client.send(Buffer.alloc(1000, 2))).toBe(1000);
    expect(transport.pending).toEqual([]); // the window is shut: nothing goes out
    expect(code(client.send(Buffer.alloc(1)))).toBe('EAGAIN');
    expect((child.recv(600) as Buffer).length).toBe(600);
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 600 }]);
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
    transport.completeRound();
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
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 600 }]);
    expect(code(child.receivable(100))).toBe('EAGAIN');
    transport.completeAll();
    expect(child.available()).toBe(600);
    expect(child.receivable(1000)).toBe(600);
    expect(child.receivable(1000, { peek: true })).toBe(600);
    expect(child.consume(300)).toBeUndefined();
    expect(child.available()).toBe(300);
    // Reading opened the window by what was read: half the buffer, so it is used.
    expect(transport.pending).toEqual([{ srcHost: 'a', dstHost: 'b', bytes: 300 }]);
    // The send buffer counts what is not delivered yet: 400 bytes still are.
    expect(client.sendCount(1000)).toBe(600);
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
