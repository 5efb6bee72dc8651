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

function same(a: Readiness, b: Readiness): boolean {
  return a.readable === b.readable && a.writable === b.writable && a.hangup === b.hangup && a.readHangup === b.readHangup && a.error === b.error;
}

/**
 * Something whose readiness the mediator watches, to wake threads blocked on
 * it. Subclasses call `changed()` after anything that may alter readiness;
 * listeners run only when it did alter, so a wakeup always means news.
 */
export abstract class Watchable {
  private readonly listeners: ReadinessListener[] = [];
  private last: Readiness | undefined;

  abstract readiness(): Readiness;

  /** Calls `listener` after each change of readiness; returns the function that stops it. */
  onChange(listener: ReadinessListener): () => void {
    this.last ??= this.readiness();
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  protected changed(): void {
    if (this.listeners.length === 0) {
      this.last = undefined;
      return;
    }
    const now = this.readiness();
    const before = this.last;
    this.last = now;
    if (before !== undefined && same(before, now)) return;
    for (const listener of [...this.listeners]) listener(now);
  }
}
