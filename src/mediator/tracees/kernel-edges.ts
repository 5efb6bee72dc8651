import type { FdInfo } from '../native.js';

/**
 * The edges of kernel descriptors (pipes, eventfds, local sockets) that
 * edge-triggered epoll cannot see happen: Linux raises one at each wakeup
 * (a write into a pipe, or room freed in it), even when the descriptor was
 * ready at the previous epoll_wait already, and a reader that emptied it
 * meanwhile then gets the new bytes reported. Simterpose sees the calls
 * that make those wakeups matter: a read or write that finds nothing to
 * read or no room (the program went until EAGAIN, as edge-triggered
 * programs must), and a write into a pipe or eventfd. Each bumps a count per
 * open file (its device and inode, which both ends of a pipe share) and
 * event; epoll takes a count grown since its last report as an edge. A
 * write into one end of a socket pair names the other end's inode, which
 * simterpose does not know: there the reader's own EAGAIN is the edge.
 */
export class KernelEdges {
  private readonly counts = new Map<string, number>();

  /** Something happened that makes `event` (POLLIN or POLLOUT) on this open file a new edge once it holds. */
  raise(info: FdInfo, event: number): void {
    const key = keyOf(info, event);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** How many times `event` was raised on this open file so far. */
  count(info: FdInfo, event: number): number {
    return this.counts.get(keyOf(info, event)) ?? 0;
  }
}

function keyOf(info: FdInfo, event: number): string {
  return `${info.dev}:${info.ino}:${event}`;
}
