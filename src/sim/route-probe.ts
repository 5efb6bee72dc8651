import type { HostRef, Simulation } from './simulation.js';

/** What a route is under the network model in force: what a message of S bytes takes is latency + S / bandwidth. */
export interface EffectiveRoute {
  /** Seconds: the links' latencies with the model's factor. */
  latency: number;
  /** Bytes per second: the slowest link's with the model's factor and bounds (Infinity if none limits it). */
  bandwidth: number;
}

/**
 * Measures a route by sending two messages along it, one after the other,
 * from the current date: an empty one (it takes the latency) and one that
 * takes about a second at the slowest link's nominal bandwidth (its extra time
 * gives the bandwidth). SimGrid itself answers, so every factor, cap and
 * cross-traffic charge of the configured model is in the figures. It moves
 * the clock: meant for a simulation that runs nothing else (`simterpose platform`).
 */
export function probeRoute(sim: Simulation, src: HostRef, dst: HostRef): EffectiveRoute {
  const links = new Map(sim.links().map((link) => [link.name, link.bandwidth]));
  const nominal = Math.min(...sim.route(src, dst).links.map((name) => links.get(name) ?? Infinity));
  const bytes = Number.isFinite(nominal) ? nominal : 1e9;
  const latency = timeToSend(sim, src, dst, 0);
  const transfer = timeToSend(sim, src, dst, bytes) - latency;
  return { latency, bandwidth: transfer > 0 ? bytes / transfer : Infinity };
}

function timeToSend(sim: Simulation, src: HostRef, dst: HostRef, bytes: number): number {
  const start = sim.now();
  const id = sim.startComm(src, dst, bytes);
  while (!sim.advance(Infinity).completed.includes(id));
  return sim.now() - start;
}
