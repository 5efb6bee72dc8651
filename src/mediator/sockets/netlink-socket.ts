import type { VirtualObject } from '../tracees/fd-table.js';

/** The host's emulated kernel for one netlink protocol: the datagrams it answers a buffer sent from `port` with. */
export type NetlinkKernel = (data: Buffer, port: number) => Buffer[];

/**
 * A NETLINK_ROUTE or NETLINK_SOCK_DIAG socket, answered from memory: what
 * a program sends is a request to the host's emulated kernel
 * (host/route-netlink.ts, host/sock-diag.ts), whose answers wait here, one
 * datagram each, until received. The tracee holds a placeholder
 * descriptor, as for virtual AF_INET sockets under full mediation; no real
 * netlink socket is ever made, so no real interface or socket shows.
 */
export class NetlinkSocket implements VirtualObject {
  /** The port id (nl_pid), 0 until bound or until the first send binds it. */
  port = 0;
  groups = 0;
  /** Raw option values by "level:name", as setsockopt gave them. */
  readonly options = new Map<string, Buffer>();
  private readonly answers: Buffer[] = [];

  constructor(
    readonly type: number,
    readonly protocol: number,
    private readonly ports: NetlinkPorts,
    private readonly kernel: NetlinkKernel,
  ) {}

  /** bind: `port` 0 picks one (the process's pid first, as Linux does). EADDRINUSE or EINVAL otherwise. */
  bind(port: number, groups: number, pid: number): 'EADDRINUSE' | 'EINVAL' | undefined {
    this.groups = groups;
    if (this.port !== 0) return port === 0 || port === this.port ? undefined : 'EINVAL';
    if (port === 0) {
      this.port = this.ports.pick(pid);
      return undefined;
    }
    if (!this.ports.claim(port)) return 'EADDRINUSE';
    this.port = port;
    return undefined;
  }

  /** A buffer sent to the kernel: binds the socket if it was not, and queues the answers. Returns the bytes taken. */
  send(data: Buffer, pid: number): number {
    if (this.port === 0) this.bind(0, this.groups, pid);
    this.answers.push(...this.kernel(data, this.port));
    return data.length;
  }

  /** The next answer (its bytes up to `max`, and its whole length), or undefined when none waits. */
  receive(max: number, peek: boolean): { data: Buffer; length: number } | undefined {
    const next = this.answers[0];
    if (next === undefined) return undefined;
    if (!peek) this.answers.shift();
    return { data: next.subarray(0, Math.max(0, max)), length: next.length };
  }

  get readable(): boolean {
    return this.answers.length > 0;
  }

  close(): void {
    if (this.port !== 0) this.ports.release(this.port);
  }
}

/** The netlink port ids taken on one host (a network namespace of its own). */
export class NetlinkPorts {
  private readonly taken = new Set<number>();
  /** Linux's rover for processes whose pid is taken: negative ids from -4097 down. */
  private rover = -4097;

  pick(pid: number): number {
    if (this.claim(pid)) return pid;
    while (!this.claim(this.rover >>> 0)) this.rover--;
    return this.rover-- >>> 0;
  }

  claim(port: number): boolean {
    if (this.taken.has(port)) return false;
    this.taken.add(port);
    return true;
  }

  release(port: number): void {
    this.taken.delete(port);
  }
}
