/**
 * Which hosts and links are down, as the faults turned them, and what that
 * cuts: a transfer between two hosts crosses the links of their route, and
 * is lost if either host or any of those links is down.
 */
export class NetworkState {
  private readonly hostsDown = new Set<string>();
  private readonly linksDown = new Set<string>();
  /** The dates each host crashed (went off), in order. */
  private readonly crashes = new Map<string, number[]>();
  private readonly routes = new Map<string, readonly string[]>();
  /** Waiting for something to come back on (once each). */
  private restoredWaiters: Array<() => void> = [];
  /** Told each time a host or link goes off. */
  private readonly cutListeners: Array<() => void> = [];

  /** @param routeLinks the links of the route from one host to another, as the platform has them */
  constructor(private readonly routeLinks: (source: string, destination: string) => readonly string[]) {}

  /** Turns a host off (a crash at `now`) or back on; returns whether that changed anything. */
  setHost(host: string, on: boolean, now: number): boolean {
    if (on === !this.hostsDown.has(host)) return false;
    if (on) {
      this.hostsDown.delete(host);
      this.restored();
      return true;
    }
    this.hostsDown.add(host);
    const dates = this.crashes.get(host);
    if (dates === undefined) this.crashes.set(host, [now]);
    else dates.push(now);
    this.cut();
    return true;
  }

  /** Turns a link off or back on; returns whether that changed anything. */
  setLink(link: string, on: boolean): boolean {
    if (on === !this.linksDown.has(link)) return false;
    if (on) {
      this.linksDown.delete(link);
      this.restored();
    } else {
      this.linksDown.add(link);
      this.cut();
    }
    return true;
  }

  hostUp(host: string): boolean {
    return !this.hostsDown.has(host);
  }

  /** Whether `host` crashed at `date` or later: it has forgotten every connection it had then. */
  crashedSince(host: string, date: number): boolean {
    const dates = this.crashes.get(host);
    return dates !== undefined && dates[dates.length - 1]! >= date;
  }

  /** Whether a packet from `source` to `destination` would get there now. */
  pathOpen(source: string, destination: string): boolean {
    if (this.hostsDown.has(source) || this.hostsDown.has(destination)) return false;
    if (this.linksDown.size === 0) return true;
    return !this.route(source, destination).some((link) => this.linksDown.has(link));
  }

  /** Calls `then` once, the next time a host or link comes back on. */
  onRestore(then: () => void): void {
    this.restoredWaiters.push(then);
  }

  /** Calls `listener` each time a host or link goes off, once the state says so. */
  onCut(listener: () => void): void {
    this.cutListeners.push(listener);
  }

  private cut(): void {
    for (const listener of this.cutListeners) listener();
  }

  private restored(): void {
    const waiters = this.restoredWaiters;
    this.restoredWaiters = [];
    for (const waiter of waiters) waiter();
  }

  private route(source: string, destination: string): readonly string[] {
    const key = `${source}\n${destination}`;
    let links = this.routes.get(key);
    if (links === undefined) {
      links = this.routeLinks(source, destination);
      this.routes.set(key, links);
    }
    return links;
  }
}
