import { UserError } from '../errors.js';
import type { Transport } from '../net/index.js';
import type { Simulation } from '../sim/index.js';
import type { MediatorObserver } from './events.js';
import { RUN_FAILED } from './limits.js';
import type { Scheduler } from './scheduler.js';

/**
 * About how many bytes of a route's transfers may cross between two looks at
 * their progress, at the route's full speed: what a reader of a long stream
 * gets per wakeup. Smaller makes streams smoother and runs slower (a reader
 * reading 64 KiB at a time makes one more read per look, for the rest).
 */
export const CROSSING_GRAIN_BYTES = 256 * 1024;

interface Followed {
  readonly bytes: number;
  readonly onCrossed: (crossed: number) => void;
}

/** The transfers followed on one route (source host to destination host), and the look that is due. */
interface Route {
  readonly period: number;
  readonly transfers: Map<number, Followed>;
  /** Bumped when the route has nothing left to follow: a look already due then no longer matters. */
  generation: number;
  armed: boolean;
}

/**
 * The virtual network's transport: every transfer is a SimGrid comm between
 * the hosts. A transfer whose bytes are followed (a TCP stream's) is looked
 * at every CROSSING_GRAIN_BYTES' worth of its route's bottleneck bandwidth,
 * and told how many of its bytes have crossed: how far SimGrid's model has
 * carried it (latency, bandwidth sharing and routes stay SimGrid's). All the
 * followed transfers of one route are looked at together, with one timer.
 */
export class SimTransport implements Transport {
  /** Per source and destination host; null for a route of latency alone, whose transfers cross all at once. */
  private readonly routes = new Map<string, Route | null>();

  constructor(
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly hostIndexes: ReadonlyMap<string, number>,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  start(source: string, destination: string, bytes: number, delivered: () => void, onCrossed?: (crossed: number) => void): void {
    let id: number;
    try {
      id = this.sim.startComm(this.hostIndexes.get(source)!, this.hostIndexes.get(destination)!, bytes);
    } catch (error) {
      throw noRouteError(this.sim, source, destination) ?? error;
    }
    const observer = this.observer;
    const token = observer?.commStarted(source, destination, bytes, this.scheduler.now);
    let route: Route | undefined;
    if (onCrossed !== undefined && bytes > 0) {
      const told = token === undefined ? onCrossed : firstCrossingTold(onCrossed, () => observer!.commCrossing(token));
      route = this.follow(source, destination, id, { bytes, onCrossed: told });
    }
    this.scheduler.onActivityEnd(id, () => {
      if (route !== undefined) this.unfollow(route, id);
      if (token !== undefined) observer!.commEnded(token, this.scheduler.now);
      delivered();
    });
  }

  private follow(source: string, destination: string, id: number, transfer: Followed): Route | undefined {
    const key = `${source}\n${destination}`;
    let route = this.routes.get(key);
    if (route === undefined) {
      const bandwidth = bottleneckBandwidth(this.sim, source, destination);
      route = Number.isFinite(bandwidth) ? { period: CROSSING_GRAIN_BYTES / bandwidth, transfers: new Map(), generation: 0, armed: false } : null;
      this.routes.set(key, route);
    }
    if (route === null) return undefined;
    route.transfers.set(id, transfer);
    if (!route.armed) this.arm(route);
    return route;
  }

  private unfollow(route: Route, id: number): void {
    route.transfers.delete(id);
    if (route.transfers.size > 0) return;
    route.generation++;
    route.armed = false;
  }

  private arm(route: Route): void {
    route.armed = true;
    const generation = route.generation;
    this.scheduler.at(this.scheduler.now + route.period, () => route.generation === generation, () => {
      this.look(route);
      if (route.transfers.size > 0) this.arm(route);
      else route.armed = false;
    });
  }

  private look(route: Route): void {
    // Telling a transfer may start others on the route (the window opened): they wait for the next look.
    for (const [id, { bytes, onCrossed }] of [...route.transfers]) {
      // SimGrid's progress is fluid: only whole bytes cross.
      const crossed = Math.floor(bytes - this.sim.remaining(id));
      if (crossed > 0) onCrossed(crossed);
    }
  }
}

/** `onCrossed`, which also calls `first` the first time it is called. */
function firstCrossingTold(onCrossed: (crossed: number) => void, first: () => void): (crossed: number) => void {
  let told = false;
  return (crossed) => {
    if (!told) first();
    told = true;
    onCrossed(crossed);
  };
}

/** The smallest bandwidth of the links from one host to the other (Infinity for a route of latency alone). */
function bottleneckBandwidth(sim: Simulation, source: string, destination: string): number {
  const bandwidths = new Map(sim.links().map((link) => [link.name, link.bandwidth]));
  return Math.min(...sim.route(source, destination).links.map((name) => bandwidths.get(name) ?? Infinity));
}

/**
 * Hosts that exchange data without a route between them: the platform file
 * is wrong, as SimGrid itself holds. The run stops naming both hosts, rather
 * than failing the program's connect or send with EHOSTUNREACH as Linux
 * would: a network simulator's user wants the platform they described to be
 * the one measured, and a run that goes on with an unreachable host would
 * report results for a network nobody meant.
 */
function noRouteError(sim: Simulation, source: string, destination: string): UserError | undefined {
  try {
    sim.route(source, destination);
    return undefined;
  } catch {
    return new UserError(`no route from host ${source} to host ${destination} in the platform`, 'join their zones with a route or zoneRoute in the platform file', RUN_FAILED);
  }
}
