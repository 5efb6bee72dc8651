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

/** The stream transfers under way on one route (source host to destination host), and the look that is due. */
interface Route {
  readonly period: number;
  /** Bytes of stream transfers under way, followed or not. */
  streamBytes: number;
  readonly followed: Map<number, Followed>;
  /** Bumped when the route has nothing left to follow: a look already due then no longer matters. */
  generation: number;
  armed: boolean;
}

/**
 * The virtual network's transport: every transfer is a SimGrid comm between
 * the hosts. The transfers of a TCP stream are followed once their route
 * carries at least CROSSING_GRAIN_BYTES of streams: they are looked at every
 * CROSSING_GRAIN_BYTES' worth of the route's bottleneck bandwidth, and told
 * how many of their bytes have crossed, how far SimGrid's model has carried
 * them (latency, bandwidth sharing and routes stay SimGrid's). All the
 * followed transfers of one route are looked at together, with one timer.
 * Less than a grain under way arrives in one piece anyway: following it
 * would only cost timers.
 */
export class SimTransport implements Transport {
  /** By source, then destination host index; null for a route of latency alone, whose transfers cross all at once. */
  private readonly routes = new Map<number, Map<number, Route | null>>();

  constructor(
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly hostIndexes: ReadonlyMap<string, number>,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  start(source: string, destination: string, bytes: number, delivered: () => void, onCrossed?: (crossed: number) => void): void {
    const from = this.hostIndexes.get(source)!;
    const to = this.hostIndexes.get(destination)!;
    let id: number;
    try {
      id = this.sim.startComm(from, to, bytes);
    } catch (error) {
      throw noRouteError(this.sim, source, destination) ?? error;
    }
    const observer = this.observer;
    const token = observer?.commStarted(source, destination, bytes, this.scheduler.now);
    const route = onCrossed !== undefined && bytes > 0 ? this.route(from, to) : null;
    if (route !== null) {
      route.streamBytes += bytes;
      if (route.streamBytes >= CROSSING_GRAIN_BYTES) {
        const told = token === undefined ? onCrossed! : firstCrossingTold(onCrossed!, () => observer!.commCrossing(token));
        this.follow(route, id, { bytes, onCrossed: told });
      }
    }
    this.scheduler.onActivityEnd(id, () => {
      if (route !== null) this.ended(route, id, bytes);
      if (token !== undefined) observer!.commEnded(token, this.scheduler.now);
      delivered();
    });
  }

  private route(from: number, to: number): Route | null {
    let routes = this.routes.get(from);
    if (routes === undefined) {
      routes = new Map();
      this.routes.set(from, routes);
    }
    let route = routes.get(to);
    if (route === undefined) {
      const bandwidth = bottleneckBandwidth(this.sim, from, to);
      route = Number.isFinite(bandwidth)
        ? { period: CROSSING_GRAIN_BYTES / bandwidth, streamBytes: 0, followed: new Map(), generation: 0, armed: false }
        : null;
      routes.set(to, route);
    }
    return route;
  }

  private follow(route: Route, id: number, transfer: Followed): void {
    route.followed.set(id, transfer);
    if (!route.armed) this.arm(route);
  }

  private ended(route: Route, id: number, bytes: number): void {
    route.streamBytes -= bytes;
    if (!route.followed.delete(id) || route.followed.size > 0) return;
    route.generation++;
    route.armed = false;
  }

  private arm(route: Route): void {
    route.armed = true;
    const generation = route.generation;
    this.scheduler.at(this.scheduler.now + route.period, () => route.generation === generation, () => {
      this.look(route);
      if (route.followed.size > 0) this.arm(route);
      else route.armed = false;
    });
  }

  private look(route: Route): void {
    // Telling a transfer may start others on the route (the window opened): they wait for the next look.
    for (const [id, { bytes, onCrossed }] of [...route.followed]) {
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
function bottleneckBandwidth(sim: Simulation, from: number, to: number): number {
  const bandwidths = new Map(sim.links().map((link) => [link.name, link.bandwidth]));
  return Math.min(...sim.route(from, to).links.map((name) => bandwidths.get(name) ?? Infinity));
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
