import { RunFailedError } from '../../errors.js';
import type { Bottleneck, Carriage, Transfer, Transport } from '../../net/index.js';
import type { LinkInfo, Simulation } from '../../sim/index.js';
import type { MediatorObserver } from '../observer.js';
import type { Scheduler } from '../loop/scheduler.js';

/**
 * The shortest time between two looks at a followed connection, whatever
 * its round trip: looking more often would cost more wall time per byte
 * while telling a reader no more than a real NIC does, which batches what
 * it received over tens of microseconds before the receiving kernel sees it
 * (interrupt coalescing).
 */
export const SHORTEST_LOOK_PERIOD = 100e-6;

/**
 * The virtual network's transport: every transfer is a SimGrid comm between
 * the hosts, and how far it got is what SimGrid's model says (latency,
 * bandwidth sharing and routes stay SimGrid's). A followed connection is
 * looked at as often as it asks, but not more often than every
 * SHORTEST_LOOK_PERIOD; protocol timers are the scheduler's.
 */
export class SimTransport implements Transport {
  constructor(
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly hostIndexes: ReadonlyMap<string, number>,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  /** Each route's bottleneck, found once. */
  private readonly bottlenecks = new Map<string, Bottleneck | undefined>();
  /** The platform's links by name, for findBottleneck. */
  private linksByName: Map<string, LinkInfo> | undefined;

  start(source: string, destination: string, bytes: number, payload: number, delivered: () => void, carriage?: Carriage): Transfer {
    const from = this.hostIndexes.get(source)!;
    const to = this.hostIndexes.get(destination)!;
    let id: number;
    try {
      id = this.sim.startComm(from, to, bytes);
    } catch (error) {
      throw noRouteError(this.sim, source, destination) ?? error;
    }
    const comm = new SimComm(this.sim, this.scheduler, id, bytes, this.observer);
    comm.token = this.observer?.commStarted(source, destination, payload, this.scheduler.now, () => comm.crossedShare());
    this.scheduler.onActivityEnd(id, (failed) => {
      if (failed) {
        // A state profile turned a host or a link of its route off: the comm never completes, nothing of it arrives.
        if (carriage?.cut === undefined) throw new Error(`a comm from ${source} to ${destination} failed in a run that cannot lose it`);
        // SimGrid no longer knows how much of it crossed.
        if (comm.token !== undefined) this.observer!.commLost?.(comm.token, this.scheduler.now, undefined);
        carriage.cut();
        return;
      }
      if (comm.token !== undefined) this.observer!.commEnded(comm.token, this.scheduler.now);
      delivered();
    });
    return comm;
  }

  follow(_source: string, _destination: string, period: number, look: () => boolean): void {
    const wait = Math.max(SHORTEST_LOOK_PERIOD, period);
    const next = (): void =>
      this.after(wait, () => {
        if (look()) next();
      });
    next();
  }

  now(): number {
    return this.scheduler.now;
  }

  after(seconds: number, action: () => void): void {
    this.scheduler.at(this.scheduler.now + seconds, () => true, action);
  }

  /**
   * The route's narrowest shared link (the first of equals): a fat pipe
   * shares nothing, so nothing queues in front of it. When that is the
   * first link of a route of several, it is the sender's own.
   */
  bottleneck(source: string, destination: string): Bottleneck | undefined {
    const key = `${source}\n${destination}`;
    if (!this.bottlenecks.has(key)) this.bottlenecks.set(key, this.findBottleneck(source, destination));
    return this.bottlenecks.get(key);
  }

  private findBottleneck(source: string, destination: string): Bottleneck | undefined {
    const route = this.sim.route(source, destination);
    // Listed once: a platform of a thousand hosts has thousands of links, and as many routes are looked at.
    this.linksByName ??= new Map(this.sim.links().map((link) => [link.name, link]));
    const links = this.linksByName;
    let narrowest: Bottleneck | undefined;
    for (const [index, name] of route.links.entries()) {
      const link = links.get(name);
      if (link === undefined || link.sharing === 'FATPIPE') continue;
      if (narrowest === undefined || link.bandwidth < narrowest.bytesPerSecond) {
        const atSender = index === 0 && route.links.length > 1;
        narrowest = { link: name, bytesPerSecond: link.bandwidth, routeLatency: route.latency, lookPeriod: SHORTEST_LOOK_PERIOD, atSender };
      }
    }
    return narrowest;
  }
}

/**
 * One transfer's SimGrid comm: an object with methods rather than closures
 * per transfer, as a request/response exchange starts four of them (two
 * flights, two ACKs).
 */
class SimComm implements Transfer {
  /** The observer's name for it (none without an observer). */
  token: number | undefined;
  /** The observer heard of its first bytes across. */
  private crossingTold = false;

  constructor(
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly id: number,
    private readonly bytes: number,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  /** SimGrid's progress is fluid: only whole bytes cross. The observer hears of the first ones. */
  crossed(): number {
    const bytes = Math.floor(this.bytes - this.sim.remaining(this.id));
    if (this.token !== undefined && !this.crossingTold && bytes > 0) {
      this.crossingTold = true;
      this.observer!.commCrossing(this.token);
    }
    return bytes;
  }

  /** The share of its bytes across so far (all of an empty one). */
  crossedShare(): number {
    return this.bytes > 0 ? 1 - this.sim.remaining(this.id) / this.bytes : 1;
  }

  cancel(): void {
    if (this.token !== undefined) this.observer!.commLost?.(this.token, this.scheduler.now, this.crossedShare());
    this.scheduler.forgetActivity(this.id);
    this.sim.cancel(this.id);
  }
}

/**
 * Hosts that exchange data without a route between them: the platform file
 * is wrong, as SimGrid itself holds. The run stops naming both hosts, rather
 * than failing the program's connect or send with EHOSTUNREACH as Linux
 * would: a network simulator's user wants the platform they described to be
 * the one measured, and a run that goes on with an unreachable host would
 * report results for a network nobody meant.
 */
function noRouteError(sim: Simulation, source: string, destination: string): RunFailedError | undefined {
  try {
    sim.route(source, destination);
    return undefined;
  } catch {
    return new RunFailedError(
      'no-route',
      `no route from host ${source} to host ${destination} in the platform`,
      'join their zones with a route or zoneRoute in the platform file',
    );
  }
}
