/**
 * The timerfds of a run, by the tag each one's disarmed kernel timer holds
 * (see KernelFds.timerfdTag): timerfds stay real kernel descriptors, so
 * read, poll and epoll on them work natively; only their expirations are
 * virtual (see the timerfd handlers).
 */
export interface VirtualTimerfd {
  clockid: number;
  /** Virtual date of the next expiry; undefined while disarmed. */
  deadline: number | undefined;
  /** As set, on its host's clocks. */
  interval: number;
  /** Expirations set on the descriptor and not yet read, as far as we know. */
  ticks: number;
  /** Changes at every settime, so that a replaced arming never fires. */
  arming: object;
}

export class TimerfdTable {
  private readonly timers = new Map<number, VirtualTimerfd>();
  private lastTag = 0;

  /** A new timer; returns its tag. */
  create(clockid: number): number {
    const tag = ++this.lastTag;
    this.timers.set(tag, { clockid, deadline: undefined, interval: 0, ticks: 0, arming: {} });
    return tag;
  }

  get(tag: number): VirtualTimerfd | undefined {
    return this.timers.get(tag);
  }
}
