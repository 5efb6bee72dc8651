import { RunFailedError } from '../../errors.js';
import type { Transfer, Transport } from '../../net/index.js';
import type { Simulation } from '../../sim/index.js';
import type { MediatorObserver } from '../observer.js';
import type { Scheduler } from '../loop/scheduler.js';

/**
 * About how many bytes of a route's transfers may cross between two looks at
 * a followed stream, at the route's full speed: what a reader of a long
 * stream gets per wakeup (more on a route so fast that looks would come more
 * often than SHORTEST_LOOK_PERIOD). Smaller makes streams smoother and runs
 * slower (a reader reading 64 KiB at a time makes one more read per look,
 * for the rest).
 */
export const CROSSING_GRAIN_BYTES = 256 * 1024;

/**
 * The shortest time between two looks, whatever the route's speed: on a
 * link faster than about 20 Gbit/s a grain crosses in less, and looking
 * more often would cost more wall time per byte while telling a reader no
 * more than a real NIC does, which batches what it received over tens of
 * microseconds before the receiving kernel sees it (interrupt coalescing).
 */
export const SHORTEST_LOOK_PERIOD = 100e-6;

/**
 * The virtual network's transport: every transfer is a SimGrid comm between
 * the hosts, and how far it got is what SimGrid's model says (latency,
 * bandwidth sharing and routes stay SimGrid's). A followed stream is looked
 * at every CROSSING_GRAIN_BYTES' worth of its route's bottleneck bandwidth,
 * or every SHORTEST_LOOK_PERIOD on a faster route.
 */
export class SimTransport implements Transport {
  /** Seconds between two looks, by host pair (source index × hosts + destination index); Infinity for a route of latency alone. */
  private readonly periods = new Map<number, number>();
  /** What `holdAbove` answers, by host pair, once a control segment measured the route's latency. */
  private readonly holdBytes = new Map<number, number>();

  constructor(
    private readonly sim: Simulation,
    private readonly scheduler: Scheduler,
    private readonly hostIndexes: ReadonlyMap<string, number>,
    private readonly observer: MediatorObserver | undefined,
  ) {}

  start(source: string, destination: string, bytes: number, delivered: () => void): Transfer {
    const from = this.hostIndexes.get(source)!;
    const to = this.hostIndexes.get(destination)!;
    let id: number;
    try {
      id = this.sim.startComm(from, to, bytes);
    } catch (error) {
      throw noRouteError(this.sim, source, destination) ?? error;
    }
    const observer = this.observer;
    const startedAt = this.scheduler.now;
    const token = observer?.commStarted(source, destination, bytes, startedAt);
    this.scheduler.onActivityEnd(id, () => {
      if (token !== undefined) observer!.commEnded(token, this.scheduler.now);
      if (bytes === 0) this.learnLatency(from, to, this.scheduler.now - startedAt);
      delivered();
    });
    // SimGrid's progress is fluid: only whole bytes cross.
    const crossed = () => Math.floor(bytes - this.sim.remaining(id));
    return { crossed: token === undefined ? crossed : firstCrossingTold(crossed, () => observer!.commCrossing(token)) };
  }

  follow(source: string, destination: string, look: () => boolean): void {
    const period = this.period(this.hostIndexes.get(source)!, this.hostIndexes.get(destination)!);
    // A route of latency alone carries every byte at once, when its transfer completes.
    if (!Number.isFinite(period)) return;
    const next = (): void =>
      this.scheduler.at(
        this.scheduler.now + period,
        () => true,
        () => {
          if (look()) next();
        },
      );
    next();
  }

  holdAbove(source: string, destination: string): number {
    return this.holdBytes.get(this.pair(this.hostIndexes.get(source)!, this.hostIndexes.get(destination)!)) ?? Infinity;
  }

  /**
   * A control segment carries no bytes: its comm lasted the route's latency
   * as SimGrid's model has it (with the model's latency factor), which no
   * reading of the platform file would give.
   */
  private learnLatency(from: number, to: number, latency: number): void {
    const pair = this.pair(from, to);
    if (this.holdBytes.has(pair)) return;
    const bandwidth = bottleneckBandwidth(this.sim, from, to);
    // What the route carries during its latency and until the next look; a route of latency alone is never followed: nothing may wait.
    this.holdBytes.set(pair, Number.isFinite(bandwidth) ? (latency + this.period(from, to)) * bandwidth : Infinity);
  }

  private pair(from: number, to: number): number {
    return from * this.hostIndexes.size + to;
  }

  private period(from: number, to: number): number {
    const pair = this.pair(from, to);
    let period = this.periods.get(pair);
    if (period === undefined) {
      period = Math.max(SHORTEST_LOOK_PERIOD, CROSSING_GRAIN_BYTES / bottleneckBandwidth(this.sim, from, to));
      this.periods.set(pair, period);
    }
    return period;
  }
}

/** `crossed`, which also calls `first` the first time it finds bytes across. */
function firstCrossingTold(crossed: () => number, first: () => void): () => number {
  let told = false;
  return () => {
    const bytes = crossed();
    if (!told && bytes > 0) {
      told = true;
      first();
    }
    return bytes;
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
