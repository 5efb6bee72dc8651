import { describe, expect, it } from 'vitest';
import { EPHEMERAL_FIRST, type StreamSocket } from '../../src/net/index.js';
import { Errno } from '../../src/mediator/abi/errno.js';
import { TraceeFault } from '../../src/mediator/abi/tracee-memory.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  IPPROTO_UDP,
  MSG_DONTWAIT,
  MSG_TRUNC,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_ERROR,
  SO_RCVBUF,
  SO_SNDBUF,
  SO_TYPE,
  IPPROTO_TCP,
  TCP_CORK,
  TCP_MAXSEG,
  TCP_NODELAY,
} from '../../src/mediator/abi/socket.js';
import { syscallNumber } from '../../src/mediator/abi/syscall-numbers.js';
import { FakeMemory, FakeWorld, openSocket, sockaddrIn, waitOf, type FakeTracee, type WorldOptions } from '../helpers/fake-tracee.js';
import { SocketFile } from '../../src/mediator/sockets/socket-file.js';
import type { Outcome } from '../../src/mediator/syscalls/outcome.js';

const SOCK_RAW = 3;
const CLIENT_ADDRESS = '10.0.0.1';
const SERVER_ADDRESS = '10.0.0.2';
const PORT = 8080;
const DONE = { kind: 'done', value: 0 } as const;

/** The struct sockaddr_in at `address`, as address and port. */
function endpointAt(tracee: FakeTracee, address: number): { family: number; address: string; port: number } {
  const bytes = tracee.memory.read(address, 16);
  return { family: bytes.readUInt16LE(0), address: [...bytes.subarray(4, 8)].join('.'), port: bytes.readUInt16BE(2) };
}

function int32(value: number): Buffer {
  const data = Buffer.alloc(4);
  data.writeInt32LE(value);
  return data;
}

const int32At = (tracee: FakeTracee, address: number): number => tracee.memory.read(address, 4).readInt32LE(0);

/** getsockname/getpeername/accept's value-result pair: room for a sockaddr_in, and its length. */
function addressPair(tracee: FakeTracee, room = 16): { address: number; length: number } {
  return { address: tracee.map(Buffer.alloc(16, 0xee)), length: tracee.map(int32(room)) };
}

/** A server on host bob listening on 0.0.0.0:PORT, its listener at fd 3. */
function listeningServer(world: FakeWorld): { server: FakeTracee; listener: number } {
  const server = world.spawn('bob', 'server');
  const listener = openSocket(server, SOCK_STREAM, 3);
  expect(server.call('bind', listener, server.map(sockaddrIn('0.0.0.0', PORT)), 16)).toEqual(DONE);
  expect(server.call('listen', listener, 16)).toEqual(DONE);
  return { server, listener };
}

/** A client on alice (fd 3) connected to the server on bob, whose accepted connection is at fd 4. */
function connectedPair(options: WorldOptions = {}) {
  const world = new FakeWorld(options);
  const { server, listener } = listeningServer(world);
  const client = world.spawn('alice', 'client');
  const clientFd = openSocket(client, SOCK_STREAM, 3);
  waitOf(client.call('connect', clientFd, client.map(sockaddrIn(SERVER_ADDRESS, PORT)), 16));
  world.transport.completeAll();
  expect(client.retry()).toEqual(DONE);
  client.finish(DONE);
  const serverFd = 4;
  expect(server.kernelReturns(server.call('accept', listener, 0, 0), serverFd)).toBe(serverFd);
  return { world, client, clientFd, server, serverFd };
}

/** A datagram socket on bob bound to SERVER_ADDRESS:9000 (fd 3), and one on alice (fd 3) that sent `payload` to it. */
function datagramSent(payload: Buffer) {
  const world = new FakeWorld();
  const receiver = world.spawn('bob', 'receiver');
  const sender = world.spawn('alice', 'sender');
  const receiverFd = openSocket(receiver, SOCK_DGRAM, 3);
  expect(receiver.call('bind', receiverFd, receiver.map(sockaddrIn('0.0.0.0', 9000)), 16)).toEqual(DONE);
  const senderFd = openSocket(sender, SOCK_DGRAM, 3);
  const destination = sender.map(sockaddrIn(SERVER_ADDRESS, 9000));
  expect(sender.call('sendto', senderFd, sender.map(payload), payload.length, 0, destination, 16)).toEqual({ kind: 'done', value: payload.length });
  return { world, receiver, receiverFd, sender, senderFd };
}

/** The ephemeral endpoint a socket was bound to, as its getsockname reports it. */
function localEndpoint(tracee: FakeTracee, fd: number) {
  const { address, length } = addressPair(tracee);
  expect(tracee.call('getsockname', fd, address, length)).toEqual(DONE);
  return endpointAt(tracee, address);
}

describe('socket', () => {
  it('socket(AF_INET6) makes a virtual socket, as socket(AF_INET) does', () => {
    const tracee = new FakeWorld().spawn('alice');
    expect(tracee.call('socket', AF_INET6, SOCK_STREAM, 0).kind).toBe(tracee.call('socket', AF_INET, SOCK_STREAM, 0).kind);
    expect(tracee.call('socket', AF_INET6, SOCK_RAW, 0)).toEqual({ kind: 'errno', errno: Errno.EPROTONOSUPPORT });
  });

  it('socket(AF_INET, SOCK_RAW) and a protocol that does not fit the type fail with EPROTONOSUPPORT, as Linux does', () => {
    const tracee = new FakeWorld().spawn('alice');
    expect(tracee.call('socket', AF_INET, SOCK_RAW, 0)).toEqual({ kind: 'errno', errno: Errno.EPROTONOSUPPORT });
    expect(tracee.call('socket', AF_INET, SOCK_STREAM, IPPROTO_UDP)).toEqual({ kind: 'errno', errno: Errno.EPROTONOSUPPORT });
  });

  it('socket(AF_UNIX) is left to the kernel', () => {
    const tracee = new FakeWorld().spawn('alice');
    expect(tracee.call('socket', AF_UNIX, SOCK_STREAM, 0)).toEqual({ kind: 'native' });
  });

  it('socket(AF_INET, SOCK_STREAM) has the kernel make a placeholder socket(AF_UNIX, SOCK_DGRAM), whose exit hook installs the virtual socket at its descriptor', () => {
    const tracee = new FakeWorld().spawn('alice');
    const outcome = tracee.call('socket', AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    expect(outcome).toMatchObject({
      kind: 'instead',
      sysno: syscallNumber('socket'),
      args: [AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0, 0, 0],
    });
    expect(tracee.process.fds.get(6)).toBeUndefined();
    expect(tracee.kernelReturns(outcome, 6)).toBe(6);
    const file = tracee.process.fds.get(6)!;
    expect(file.object).toBeInstanceOf(SocketFile);
    expect((file.object as SocketFile).type).toBe('stream');
    expect(file.nonblocking).toBe(true);
    expect(tracee.process.fds.cloexec(6)).toBe(true);
  });

  it('a socket whose placeholder the kernel refused returns the kernel error and installs nothing', () => {
    const tracee = new FakeWorld().spawn('alice');
    const outcome = tracee.call('socket', AF_INET, SOCK_DGRAM, 0);
    expect(tracee.kernelReturns(outcome, -Errno.EMFILE!)).toBe(-Errno.EMFILE!);
    for (let fd = 0; fd < 16; fd++) expect(tracee.process.fds.get(fd)).toBeUndefined();
  });
});

describe('connections', () => {
  it("connect blocks until the handshake's transfers complete, then its retry returns 0, and the call's state goes with it", () => {
    const world = new FakeWorld();
    listeningServer(world);
    const client = world.spawn('alice', 'client');
    const fd = openSocket(client, SOCK_STREAM, 3);
    const outcome = client.call('connect', fd, client.map(sockaddrIn(SERVER_ADDRESS, PORT)), 16);
    const wait = waitOf(outcome);
    expect(wait).toMatchObject({ kind: 'io', onSignal: 'restartable' });
    expect(client.thread.syscallState.connecting).toBeDefined();
    if (wait.kind !== 'io') throw new Error('not an I/O wait');
    world.transport.completeRound(); // SYN
    expect(wait.isReady()).toBe(false);
    expect(client.retry().kind).toBe('blocked');
    world.transport.completeRound(); // SYN-ACK
    expect(wait.isReady()).toBe(true);
    const retried = client.retry();
    expect(retried).toEqual(DONE);
    expect(client.finish(retried)).toEqual({ kind: 'return', value: 0 });
    expect(client.thread.syscallState).toEqual({});
  });

  it('connect to a port nobody listens on fails with ECONNREFUSED once the refusal comes back', () => {
    const world = new FakeWorld();
    world.spawn('bob', 'idle server');
    const client = world.spawn('alice', 'client');
    const fd = openSocket(client, SOCK_STREAM, 3);
    waitOf(client.call('connect', fd, client.map(sockaddrIn(SERVER_ADDRESS, 81)), 16));
    world.transport.completeAll();
    expect(client.retry()).toEqual({ kind: 'errno', errno: Errno.ECONNREFUSED });
  });

  it('a non-blocking connect fails with EINPROGRESS at once, and SO_ERROR then reports the refusal once, then 0', () => {
    const world = new FakeWorld();
    const client = world.spawn('alice', 'client');
    const fd = openSocket(client, SOCK_STREAM | SOCK_NONBLOCK, 3);
    expect(client.call('connect', fd, client.map(sockaddrIn(SERVER_ADDRESS, 81)), 16)).toEqual({ kind: 'errno', errno: Errno.EINPROGRESS });
    world.transport.completeAll();
    const value = client.map(4);
    const length = client.map(int32(4));
    expect(client.call('getsockopt', fd, SOL_SOCKET, SO_ERROR, value, length)).toEqual(DONE);
    expect(int32At(client, value)).toBe(Errno.ECONNREFUSED);
    client.call('getsockopt', fd, SOL_SOCKET, SO_ERROR, value, length);
    expect(int32At(client, value)).toBe(0);
  });

  it("accept waits for the handshake's last ACK, then has the kernel make a placeholder and writes the client's virtual address", () => {
    const world = new FakeWorld();
    const { server, listener } = listeningServer(world);
    const client = world.spawn('alice', 'client');
    const fd = openSocket(client, SOCK_STREAM, 3);
    client.call('connect', fd, client.map(sockaddrIn(SERVER_ADDRESS, PORT)), 16);
    world.transport.completeRound(); // SYN
    world.transport.completeRound(); // SYN-ACK
    const peer = addressPair(server);
    const early = server.call('accept', listener, peer.address, peer.length);
    const wait = waitOf(early);
    world.transport.completeRound(); // ACK
    expect(wait.kind === 'io' && wait.isReady()).toBe(true);
    const outcome = server.retry();
    expect(outcome).toMatchObject({ kind: 'instead', sysno: syscallNumber('socket') });
    expect(server.kernelReturns(outcome, 4)).toBe(4);
    expect(server.process.fds.get(4)?.object).toMatchObject({ type: 'stream' });
    expect(endpointAt(server, peer.address)).toEqual({ family: AF_INET, address: CLIENT_ADDRESS, port: EPHEMERAL_FIRST });
    expect(int32At(server, peer.length)).toBe(16);
  });

  it("getsockname and getpeername write each end's sockaddr_in: the client on an ephemeral port, the accepted socket on the server's address", () => {
    const { client, clientFd, server, serverFd } = connectedPair();
    const ask = (tracee: FakeTracee, call: string, fd: number) => {
      const { address, length } = addressPair(tracee);
      expect(tracee.call(call, fd, address, length)).toEqual(DONE);
      expect(int32At(tracee, length)).toBe(16);
      return endpointAt(tracee, address);
    };
    expect(ask(client, 'getsockname', clientFd)).toEqual({ family: AF_INET, address: CLIENT_ADDRESS, port: EPHEMERAL_FIRST });
    expect(ask(client, 'getpeername', clientFd)).toEqual({ family: AF_INET, address: SERVER_ADDRESS, port: PORT });
    expect(ask(server, 'getsockname', serverFd)).toEqual({ family: AF_INET, address: SERVER_ADDRESS, port: PORT });
    expect(ask(server, 'getpeername', serverFd)).toEqual({ family: AF_INET, address: CLIENT_ADDRESS, port: EPHEMERAL_FIRST });
    expect(ask(server, 'getsockname', 3)).toEqual({ family: AF_INET, address: '0.0.0.0', port: PORT });
  });

  it('getsockname cuts the address to the room the length gives and writes back its full length, as Linux does', () => {
    const { client, clientFd } = connectedPair();
    const { address, length } = addressPair(client, 8);
    expect(client.call('getsockname', clientFd, address, length)).toEqual(DONE);
    const written = client.memory.read(address, 16);
    expect(written.readUInt16BE(2)).toBe(EPHEMERAL_FIRST);
    expect([...written.subarray(4, 8)]).toEqual([10, 0, 0, 1]);
    expect(written.subarray(8)).toEqual(Buffer.alloc(8, 0xee));
    expect(int32At(client, length)).toBe(16);
  });

  it('getpeername on a socket that is not connected fails with ENOTCONN, and getsockname on an unbound one gives 0.0.0.0:0', () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_STREAM, 3);
    const { address, length } = addressPair(tracee);
    expect(tracee.call('getpeername', fd, address, length)).toEqual({ kind: 'errno', errno: Errno.ENOTCONN });
    expect(tracee.call('getsockname', fd, address, length)).toEqual(DONE);
    expect(endpointAt(tracee, address)).toEqual({ family: AF_INET, address: '0.0.0.0', port: 0 });
  });

  it('getsockname with its length at an unmapped address fails with EFAULT through the dispatcher', () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_STREAM, 3);
    expect(tracee.dispatch('getsockname', fd, tracee.map(16), FakeMemory.UNMAPPED)).toEqual({ kind: 'errno', errno: Errno.EFAULT });
  });
});

describe('socket options', () => {
  /** getsockopt(SOL_SOCKET, `name`) with room for 16 bytes: the int it wrote, and the length written back. */
  function getInt(tracee: FakeTracee, fd: number, name: number): { value: number; length: number } {
    const value = tracee.map(16);
    const length = tracee.map(int32(16));
    expect(tracee.call('getsockopt', fd, SOL_SOCKET, name, value, length)).toEqual(DONE);
    return { value: int32At(tracee, value), length: int32At(tracee, length) };
  }

  function setInt(tracee: FakeTracee, fd: number, name: number, value: number): void {
    expect(tracee.call('setsockopt', fd, SOL_SOCKET, name, tracee.map(int32(value)), 4)).toEqual(DONE);
  }

  it("getsockopt(SO_TYPE) reports SOCK_STREAM or SOCK_DGRAM and writes back an int's length", () => {
    const tracee = new FakeWorld().spawn('alice');
    const stream = openSocket(tracee, SOCK_STREAM, 3);
    const datagram = openSocket(tracee, SOCK_DGRAM, 4);
    expect(getInt(tracee, stream, SO_TYPE)).toEqual({ value: SOCK_STREAM, length: 4 });
    expect(getInt(tracee, datagram, SO_TYPE)).toEqual({ value: SOCK_DGRAM, length: 4 });
  });

  it('getsockopt(SO_ERROR) on a socket without error reports 0', () => {
    const tracee = new FakeWorld().spawn('alice');
    expect(getInt(tracee, openSocket(tracee, SOCK_STREAM, 3), SO_ERROR)).toEqual({ value: 0, length: 4 });
  });

  it("SO_SNDBUF and SO_RCVBUF read back twice what setsockopt set on a stream socket: Linux's bookkeeping half", () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_STREAM, 3);
    setInt(tracee, fd, SO_SNDBUF, 10_000);
    setInt(tracee, fd, SO_RCVBUF, 30_000);
    expect(getInt(tracee, fd, SO_SNDBUF).value).toBe(20_000);
    expect(getInt(tracee, fd, SO_RCVBUF).value).toBe(60_000);
  });

  it('TCP_NODELAY and TCP_CORK reach the connection and read back as set; TCP_MAXSEG is 536 before a connection, as Linux says', () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_STREAM, 3);
    const tcpInt = (name: number) => {
      const value = tracee.map(16);
      expect(tracee.call('getsockopt', fd, IPPROTO_TCP, name, value, tracee.map(int32(16)))).toEqual(DONE);
      return int32At(tracee, value);
    };
    expect(tracee.call('setsockopt', fd, IPPROTO_TCP, TCP_NODELAY, tracee.map(int32(1)), 4)).toEqual(DONE);
    expect(tracee.call('setsockopt', fd, IPPROTO_TCP, TCP_CORK, tracee.map(int32(1)), 4)).toEqual(DONE);
    const socket = (tracee.process.fds.get(fd)!.object as SocketFile).socket as StreamSocket;
    expect([socket.noDelay, socket.cork]).toEqual([true, true]);
    expect([tcpInt(TCP_NODELAY), tcpInt(TCP_CORK), tcpInt(TCP_MAXSEG)]).toEqual([1, 1, 536]);
  });

  it("a datagram socket reports Linux's default buffers until they are set: 212992 bytes (net.core.wmem_default and rmem_default)", () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_DGRAM, 3);
    expect(getInt(tracee, fd, SO_SNDBUF).value).toBe(212_992);
    expect(getInt(tracee, fd, SO_RCVBUF).value).toBe(212_992);
  });

  it('SO_SNDBUF and SO_RCVBUF read back twice what setsockopt set on a datagram socket too', () => {
    const tracee = new FakeWorld().spawn('alice');
    const fd = openSocket(tracee, SOCK_DGRAM, 3);
    setInt(tracee, fd, SO_SNDBUF, 10_000);
    setInt(tracee, fd, SO_RCVBUF, 30_000);
    expect(getInt(tracee, fd, SO_SNDBUF).value).toBe(20_000);
    expect(getInt(tracee, fd, SO_RCVBUF).value).toBe(60_000);
  });

  it("SO_SNDBUF and SO_RCVBUF set below Linux's minimum read back that minimum: 4608 and 2304 bytes (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF)", () => {
    const tracee = new FakeWorld().spawn('alice');
    for (const fd of [openSocket(tracee, SOCK_STREAM, 3), openSocket(tracee, SOCK_DGRAM, 4)]) {
      setInt(tracee, fd, SO_SNDBUF, 100);
      setInt(tracee, fd, SO_RCVBUF, 100);
      expect(getInt(tracee, fd, SO_SNDBUF).value).toBe(4608);
      expect(getInt(tracee, fd, SO_RCVBUF).value).toBe(2304);
    }
  });
});

describe('datagrams', () => {
  it("sendto and recvfrom deliver a datagram once it has crossed the network, with the sender's host address and ephemeral port", () => {
    const { world, receiver, receiverFd, sender, senderFd } = datagramSent(Buffer.from('hello'));
    const buffer = receiver.map(64);
    const source = addressPair(receiver);
    const early = receiver.call('recvfrom', receiverFd, buffer, 64, 0, source.address, source.length);
    const wait = waitOf(early);
    expect(wait).toMatchObject({ kind: 'io', onSignal: 'restartable' });
    world.transport.completeAll();
    expect(wait.kind === 'io' && wait.isReady()).toBe(true);
    expect(receiver.retry()).toEqual({ kind: 'done', value: 5 });
    expect(receiver.memory.read(buffer, 5).toString()).toBe('hello');
    // sendto bound the sender to 0.0.0.0 and an ephemeral port; the datagram carries its host's address.
    expect(localEndpoint(sender, senderFd)).toEqual({ family: AF_INET, address: '0.0.0.0', port: EPHEMERAL_FIRST });
    expect(endpointAt(receiver, source.address)).toEqual({ family: AF_INET, address: CLIENT_ADDRESS, port: EPHEMERAL_FIRST });
    expect(int32At(receiver, source.length)).toBe(16);
  });

  it('recvfrom on a datagram socket with nothing queued fails with EAGAIN under MSG_DONTWAIT', () => {
    const { receiver, receiverFd } = datagramSent(Buffer.from('late'));
    expect(receiver.call('recvfrom', receiverFd, receiver.map(8), 8, MSG_DONTWAIT, 0, 0)).toEqual({ kind: 'errno', errno: Errno.EAGAIN });
  });
});

describe('recvmsg', () => {
  /** A struct msghdr receiving into one buffer of `room` bytes, with room for a sockaddr_in and 64 bytes of control data. */
  function receivingMsghdr(tracee: FakeTracee, room: number) {
    const name = tracee.map(Buffer.alloc(16, 0xee));
    const buffer = tracee.map(room);
    const iov = Buffer.alloc(16);
    iov.writeBigUInt64LE(BigInt(buffer), 0);
    iov.writeBigUInt64LE(BigInt(room), 8);
    const header = Buffer.alloc(56);
    header.writeBigUInt64LE(BigInt(name), 0);
    header.writeUInt32LE(16, 8);
    header.writeBigUInt64LE(BigInt(tracee.map(iov)), 16);
    header.writeBigUInt64LE(1n, 24);
    header.writeBigUInt64LE(BigInt(tracee.map(64)), 32);
    header.writeBigUInt64LE(64n, 40);
    header.writeInt32LE(-1, 48);
    const msghdr = tracee.map(header);
    const fields = () => {
      const raw = tracee.memory.read(msghdr, 56);
      return { namelen: raw.readUInt32LE(8), controllen: Number(raw.readBigUInt64LE(40)), flags: raw.readInt32LE(48) };
    };
    return { msghdr, name, buffer, fields };
  }

  it('recvmsg fills msg_name and msg_namelen, clears msg_controllen, and sets MSG_TRUNC in msg_flags for a datagram cut to the buffer', () => {
    const { world, receiver, receiverFd } = datagramSent(Buffer.from('0123456789'));
    world.transport.completeAll();
    const { msghdr, name, buffer, fields } = receivingMsghdr(receiver, 4);
    expect(receiver.call('recvmsg', receiverFd, msghdr, 0)).toEqual({ kind: 'done', value: 4 });
    expect(receiver.memory.read(buffer, 4).toString()).toBe('0123');
    expect(endpointAt(receiver, name)).toEqual({ family: AF_INET, address: CLIENT_ADDRESS, port: EPHEMERAL_FIRST });
    expect(fields()).toEqual({ namelen: 16, controllen: 0, flags: MSG_TRUNC });
  });

  it("recvmsg with the MSG_TRUNC flag returns the datagram's real length, as Linux does for datagram sockets", () => {
    const { world, receiver, receiverFd } = datagramSent(Buffer.from('0123456789'));
    world.transport.completeAll();
    const { msghdr, fields } = receivingMsghdr(receiver, 4);
    expect(receiver.call('recvmsg', receiverFd, msghdr, MSG_TRUNC)).toEqual({ kind: 'done', value: 10 });
    expect(fields().flags).toBe(MSG_TRUNC);
  });

  it('recvmsg of a datagram that fits leaves msg_flags 0', () => {
    const { world, receiver, receiverFd } = datagramSent(Buffer.from('0123'));
    world.transport.completeAll();
    const { msghdr, fields } = receivingMsghdr(receiver, 16);
    expect(receiver.call('recvmsg', receiverFd, msghdr, 0)).toEqual({ kind: 'done', value: 4 });
    expect(fields()).toEqual({ namelen: 16, controllen: 0, flags: 0 });
  });

  it('recvmsg on a stream socket reports no address: msg_namelen 0, as Linux does for TCP', () => {
    const { world, client, clientFd, server, serverFd } = connectedPair();
    expect(client.call('sendto', clientFd, client.map(Buffer.from('abc')), 3, 0, 0, 0)).toEqual({ kind: 'done', value: 3 });
    world.transport.completeAll();
    const { msghdr, name, buffer, fields } = receivingMsghdr(server, 16);
    expect(server.call('recvmsg', serverFd, msghdr, 0)).toEqual({ kind: 'done', value: 3 });
    expect(server.memory.read(buffer, 3).toString()).toBe('abc');
    expect(fields()).toEqual({ namelen: 0, controllen: 0, flags: 0 });
    expect(server.memory.read(name, 16)).toEqual(Buffer.alloc(16, 0xee));
  });
});

describe('blocking stream sends', () => {
  /** Buffers small enough for a send of PAYLOAD bytes to block. */
  const SMALL_BUFFERS = { sendBufferSize: 4096, receiveBufferSize: 4096 };
  const PAYLOAD = 10_000;

  /** What the server reads without blocking until it has `count` bytes, letting the network carry them between reads. */
  function drain(world: FakeWorld, server: FakeTracee, fd: number, count: number): Buffer {
    const buffer = server.map(count);
    const pieces: Buffer[] = [];
    let received = 0;
    for (let round = 0; received < count && round < 1000; round++) {
      world.transport.completeAll();
      const outcome = server.call('recvfrom', fd, buffer, count - received, MSG_DONTWAIT, 0, 0);
      if (outcome.kind !== 'done') continue;
      pieces.push(server.memory.read(buffer, outcome.value));
      received += outcome.value;
    }
    return Buffer.concat(pieces);
  }

  /** Retries the client's blocked send of PAYLOAD bytes while the server reads what went, until the send is done; what the server read. */
  function retriedUntilSent(world: FakeWorld, client: FakeTracee, server: FakeTracee, serverFd: number, first: Outcome): Buffer {
    let outcome = first;
    const received: Buffer[] = [];
    while (outcome.kind === 'blocked') {
      received.push(drain(world, server, serverFd, client.thread.syscallState.sent! - Buffer.concat(received).length));
      outcome = client.retry();
    }
    expect(outcome).toEqual({ kind: 'done', value: PAYLOAD });
    received.push(drain(world, server, serverFd, PAYLOAD - Buffer.concat(received).length));
    return Buffer.concat(received);
  }

  const pattern = (length: number, seed: number): Buffer => Buffer.from(Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff));

  it('a blocking send larger than the buffers waits with what fitted handed over, and its retries finish the rest', () => {
    const { world, client, clientFd, server, serverFd } = connectedPair(SMALL_BUFFERS);
    const payload = pattern(PAYLOAD, 1);
    const outcome = client.call('sendto', clientFd, client.map(payload), PAYLOAD, 0, 0, 0);
    const firstPart = client.thread.syscallState.sent!;
    expect(firstPart).toBeGreaterThan(0);
    expect(firstPart).toBeLessThan(PAYLOAD);
    expect(retriedUntilSent(world, client, server, serverFd, outcome)).toEqual(payload);
  });

  it('a blocking send interrupted by a signal returns the bytes it moved, and once completed the next send starts from its own first byte', () => {
    const { world, client, clientFd, server, serverFd } = connectedPair(SMALL_BUFFERS);
    const first = pattern(PAYLOAD, 1);
    const outcome = client.call('sendto', clientFd, client.map(first), PAYLOAD, 0, 0, 0);
    const moved = client.thread.syscallState.sent!;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(PAYLOAD);
    const interrupted = client.interrupted(outcome);
    expect(interrupted).toEqual({ kind: 'done', value: moved });
    expect(client.finish(interrupted!)).toEqual({ kind: 'return', value: moved });
    expect(client.thread.syscallState).toEqual({});
    expect(drain(world, server, serverFd, moved)).toEqual(first.subarray(0, moved));

    const second = pattern(100, 2);
    expect(client.call('sendto', clientFd, client.map(second), 100, 0, 0, 0)).toEqual({ kind: 'done', value: 100 });
    expect(drain(world, server, serverFd, 100)).toEqual(second);
  });

  /** sendfile's input: a regular file at this descriptor of the client. */
  const FILE_FD = 7;

  it('sendfile from an offset sends the file through a blocking wait, then moves *offset past what went, the file offset untouched', () => {
    const { world, client, clientFd, server, serverFd } = connectedPair(SMALL_BUFFERS);
    const file = pattern(PAYLOAD + 500, 3);
    world.kernelFds.setFile(client.process, FILE_FD, file, 42);
    const offset = client.map(Buffer.from([100, 0, 0, 0, 0, 0, 0, 0]));
    const outcome = client.call('sendfile', clientFd, FILE_FD, offset, PAYLOAD);
    expect(retriedUntilSent(world, client, server, serverFd, outcome)).toEqual(file.subarray(100, 100 + PAYLOAD));
    expect(Number(client.memory.read(offset, 8).readBigInt64LE(0))).toBe(100 + PAYLOAD);
    expect(world.kernelFds.fileOffset(client.process, FILE_FD)).toBe(42);
  });

  it('a blocking sendfile interrupted by a signal returns the bytes it moved and moves the file offset by them only', () => {
    const { world, client, clientFd, server, serverFd } = connectedPair(SMALL_BUFFERS);
    const file = pattern(PAYLOAD, 4);
    world.kernelFds.setFile(client.process, FILE_FD, file);
    const outcome = client.call('sendfile', clientFd, FILE_FD, 0, PAYLOAD);
    const moved = client.thread.syscallState.sent!;
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(PAYLOAD);
    expect(world.kernelFds.fileOffset(client.process, FILE_FD)).toBe(0);
    expect(client.interrupted(outcome)).toEqual({ kind: 'done', value: moved });
    expect(world.kernelFds.fileOffset(client.process, FILE_FD)).toBe(moved);
    expect(drain(world, server, serverFd, moved)).toEqual(file.subarray(0, moved));
  });

  it('sendfile gives EBADF for an input not open for reading, ESPIPE for an offset on a file without one, a fault for an offset it cannot read', () => {
    const { world, client, clientFd } = connectedPair(SMALL_BUFFERS);
    world.kernelFds.setFile(client.process, FILE_FD, pattern(10, 5), 0, false);
    expect(client.call('sendfile', clientFd, FILE_FD, 0, 10)).toEqual({ kind: 'errno', errno: Errno.EBADF });
    expect(client.call('sendfile', clientFd, 99, 0, 10)).toEqual({ kind: 'errno', errno: Errno.EBADF });
    world.kernelFds.setFile(client.process, FILE_FD, pattern(10, 5), -1);
    expect(client.call('sendfile', clientFd, FILE_FD, client.map(8), 10)).toEqual({ kind: 'errno', errno: Errno.ESPIPE });
    // The dispatcher makes a fault EFAULT; reading *offset comes before anything else.
    expect(() => client.call('sendfile', clientFd, FILE_FD, FakeMemory.UNMAPPED, 10)).toThrow(TraceeFault);
  });

  it('a blocking send interrupted before any byte moved leaves the signal its default (EINTR or a restart)', () => {
    const { client, clientFd } = connectedPair(SMALL_BUFFERS);
    client.call('sendto', clientFd, client.map(PAYLOAD), PAYLOAD, 0, 0, 0);
    client.finish({ kind: 'done', value: client.thread.syscallState.sent! });
    const outcome = client.call('sendto', clientFd, client.map(PAYLOAD), PAYLOAD, 0, 0, 0);
    expect(outcome).toMatchObject({ kind: 'blocked', wait: { onSignal: 'restartable' } });
    expect(client.interrupted(outcome)).toBeUndefined();
  });
});
