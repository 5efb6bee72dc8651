/** What poll/select/epoll report of a socket, in the terms of their event bits. */
export interface Readiness {
  /** POLLIN: a read or accept would not block (data, EOF, a pending error or connection). */
  readable: boolean;
  /** POLLOUT: a write would not block (room, or an error it would return). */
  writable: boolean;
  /** POLLHUP: both directions are shut, or the connection is gone. */
  hangup: boolean;
  /** POLLRDHUP: the peer will send nothing more. */
  readHangup: boolean;
  /** POLLERR: an error is pending (SO_ERROR). */
  error: boolean;
}

export type ReadinessListener = (readiness: Readiness) => void;

/**
 * How many times each event was raised since the socket was first looked at:
 * what an edge-triggered epoll watcher compares between two waits. As in
 * Linux, where each wakeup of the socket's wait queue puts it back on the
 * ready list, an event is raised when it starts to hold, and `readable` also
 * at each arrival (bytes, a datagram, a connection), even when the socket
 * was readable already.
 */
export type Edges = Readonly<Record<keyof Readiness, number>>;

const EVENTS = ['readable', 'writable', 'hangup', 'readHangup', 'error'] as const;

function same(a: Readiness, b: Readiness): boolean {
  return EVENTS.every((event) => a[event] === b[event]);
}

/**
 * Something whose readiness the mediator watches, to wake threads blocked on
 * it. Subclasses call `changed()` after anything that may alter readiness or
 * bring input; listeners run only when it did, so a wakeup always means news.
 */
export abstract class Watchable {
  private readonly listeners: ReadinessListener[] = [];
  /** The readiness and input at the previous change, kept from the first time anyone looks. */
  private last: { readiness: Readiness; waiting: number } | undefined;
  private readonly raised: Record<keyof Readiness, number> = { readable: 0, writable: 0, hangup: 0, readHangup: 0, error: 0 };

  abstract readiness(): Readiness;

  /** How much input waits to be taken (bytes, datagrams, connections): a growth is an arrival. */
  protected abstract waiting(): number;

  /** Calls `listener` after each change of readiness and each arrival; returns the function that stops it. */
  onChange(listener: ReadinessListener): () => void {
    this.look();
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** The events raised so far (see `Edges`); counting starts at the first look. */
  edges(): Edges {
    this.look();
    return { ...this.raised };
  }

  protected changed(): void {
    const before = this.last;
    if (before === undefined) return; // nobody looked yet: nothing to compare with
    const now = { readiness: this.readiness(), waiting: this.waiting() };
    this.last = now;
    const arrived = now.waiting > before.waiting;
    for (const event of EVENTS) {
      if (now.readiness[event] && !before.readiness[event]) this.raised[event]++;
    }
    if (arrived && before.readiness.readable) this.raised.readable++;
    if (!arrived && same(before.readiness, now.readiness)) return;
    for (const listener of [...this.listeners]) listener(now.readiness);
  }

  private look(): void {
    this.last ??= { readiness: this.readiness(), waiting: this.waiting() };
  }
}
