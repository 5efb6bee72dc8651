/**
 * The timerfds of a run, by the kernel's identity of their open file
 * ("dev:ino"): timerfds stay real kernel descriptors, so read, poll and
 * epoll on them work natively; only their expirations are virtual (see the
 * timerfd handlers).
 */
export interface VirtualTimerfd {
  clockid: number;
  /** Virtual date of the next expiry; undefined while disarmed. */
  deadline: number | undefined;
  interval: number;
  /** Expirations set on the descriptor and not yet read, as far as we know. */
  ticks: number;
  /** Changes at every settime, so that a replaced arming never fires. */
  arming: object;
}

export class TimerfdTable {
  private readonly timers = new Map<string, VirtualTimerfd>();

  create(key: string, clockid: number): void {
    this.timers.set(key, { clockid, deadline: undefined, interval: 0, ticks: 0, arming: {} });
  }

  get(key: string): VirtualTimerfd | undefined {
    return this.timers.get(key);
  }
}
