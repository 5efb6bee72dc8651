import { describe, expect, it } from 'vitest';
import { ManualTransport } from '../../src/net/manual-transport.js';
import { VirtualNetwork } from '../../src/net/network.js';

// The edges a socket raises are what edge-triggered epoll reports: Linux
// wakes a socket's watchers at each arrival, not only when it becomes readable.

const hosts = ['a', 'b'].map((name) => ({ name, properties: {} }));

function setup() {
  const transport = new ManualTransport();
  const net = new VirtualNetwork(hosts, transport);
  const receiver = net.datagramSocket('b');
  expect(receiver.bind({ address: '0.0.0.0', port: 9000 })).toBeUndefined();
  const sender = net.datagramSocket('a');
  const send = () => sender.sendTo(Buffer.from('x'), { address: '10.0.0.2', port: 9000 });
  return { transport, receiver, send };
}

describe('edges of a socket', () => {
  it('raises a readable edge at each arrival, even while unread input waits', () => {
    const { transport, receiver, send } = setup();
    expect(receiver.edges().readable).toBe(0);
    send();
    transport.completeAll();
    expect(receiver.edges().readable).toBe(1);
    send();
    transport.completeAll();
    expect(receiver.edges().readable).toBe(2);
  });

  it('raises none when input is taken, and one when it comes again', () => {
    const { transport, receiver, send } = setup();
    receiver.edges();
    send();
    transport.completeAll();
    receiver.recvFrom(10);
    expect(receiver.edges().readable).toBe(1);
    send();
    transport.completeAll();
    expect(receiver.edges().readable).toBe(2);
  });

  it('wakes listeners at an arrival that leaves readiness as it was', () => {
    const { transport, receiver, send } = setup();
    send();
    transport.completeAll();
    let wakeups = 0;
    receiver.onChange(() => wakeups++);
    send();
    transport.completeAll();
    expect(wakeups).toBe(1);
  });

  it('counts nothing before anyone looks', () => {
    const { transport, receiver, send } = setup();
    send();
    transport.completeAll();
    expect(receiver.edges().readable).toBe(0);
  });
});
