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

/** The events that hold, one bit each in EVENTS' order: comparing two readinesses is then one comparison of numbers. */
function bitsOf(readiness: Readiness): number {
  return (readiness.readable ? 1 : 0) | (readiness.writable ? 2 : 0) | (readiness.hangup ? 4 : 0) | (readiness.readHangup ? 8 : 0) | (readiness.error ? 16 : 0);
}

/**
 * Something whose readiness the mediator watches, to wake threads blocked on
 * it. Subclasses call `changed()` after anything that may alter readiness or
 * bring input; listeners run only when it did, so a wakeup always means news.
 */
export abstract class Watchable {
  private readonly listeners: ReadinessListener[] = [];
  /**
   * The readiness (as bitsOf) and input at the previous change, kept from the
   * first time anyone looks (-1: nobody looked yet). Numbers, not an object
   * per change: a socket changes several times per packet.
   */
  private lastBits = -1;
  private lastWaiting = 0;
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
    const before = this.lastBits;
    if (before === -1) return; // nobody looked yet: nothing to compare with
    const readiness = this.readiness();
    const bits = bitsOf(readiness);
    const waiting = this.waiting();
    const arrived = waiting > this.lastWaiting;
    this.lastBits = bits;
    this.lastWaiting = waiting;
    const rose = bits & ~before;
    if (rose !== 0) {
      for (let i = 0; i < EVENTS.length; i++) if (rose & (1 << i)) this.raised[EVENTS[i]!]++;
    }
    if (arrived && before & 1) this.raised.readable++;
    if (!arrived && bits === before) return;
    // A listener may stop itself or start another: those called are the ones there at the change.
    if (this.listeners.length === 1) this.listeners[0]!(readiness);
    else for (const listener of [...this.listeners]) listener(readiness);
  }

  private look(): void {
    if (this.lastBits !== -1) return;
    this.lastBits = bitsOf(this.readiness());
    this.lastWaiting = this.waiting();
  }
}
