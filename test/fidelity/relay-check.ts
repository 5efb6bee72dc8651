// The relay's own error, measured before any row: a ping's round trip
// against 2L (the relay adds its wake-up and copy times), and the rate at
// which a burst of full-size UDP datagrams leaves the link against B (the
// receiver's kernel stamps each arrival; a burst that fits the link's queue
// is serialized back to back, so the stamps' span is the wire's work).
import type { Profile } from './config.js';
import { ADDRESSES, type Link } from './link.js';
import { FID } from './programs.js';
import { median } from './stats.js';

const PINGS = 11;
const BURSTS = 5;
const UDP_PORT = 6000;
/** Wire bytes of one 1472-byte datagram: 8 UDP + 20 IP + 14 Ethernet header + 4 FCS + 8 preamble + 12 inter-frame gap. */
const DATAGRAM_WIRE_BYTES = 1472 + 8 + 20 + 14 + 4 + 8 + 12;
/** link-emulator's queue holds 2L x B of its 1560-byte slots plus 100 frames: a burst stays under that. */
const QUEUE_SLOT_BYTES = 1560;
const QUEUE_MARGIN = 10;
/** Below the 500 frames a TAP device queues for its reader: a burst never waits on the relay's reading there. */
const MAX_BURST = 400;

export interface RelayCheck {
  pingRttMs: number;
  expectedRttMs: number;
  /**
   * The link's one-way latency as measured: half the ping's smallest round trip (L
   * and the relay's own time, its wake-ups and copies), never under L (ping
   * rounds its times to three digits). simterpose's platform gets this
   * latency, so that both sides run on the same link: the relay's ~75 us
   * each way is 7.5% of the 1 ms link's L, and the latency-bound rows
   * (connect) counted it on the real side only.
   */
  linkLatencyMs: number;
  rateBytesPerSecond: number;
  expectedBytesPerSecond: number;
}

export async function checkRelay(link: Link): Promise<RelayCheck> {
  const profile = link.profile;
  const ping = await link.run('client', ['ping', '-n', '-c', String(PINGS), '-i', '0.2', ADDRESSES.server]);
  // The smallest, as a path's latency is measured: the machine's load (other work keeping ping
  // or the relay from the CPU) only ever adds to a round trip, and on a busy machine it can
  // delay most of the replies of a few seconds (their median once read 10.5% over 2L, where
  // unloaded replies on the 1 ms link spread by 3%, the first one's cold caches aside).
  // ping prints each reply's time with three digits (time=100 ms): 0.5% at worst.
  const rtts = [...ping.stdout.matchAll(/time=([\d.]+) ms/g)].map((match) => Number(match[1]));
  if (rtts.length < PINGS) throw new Error(`ping got ${rtts.length} of ${PINGS} answers:\n${ping.stdout}`);
  const rates: number[] = [];
  for (let burst = 0; burst < BURSTS; burst++) rates.push(await burstRate(link, burstSize(profile)));
  const pingRttMs = Math.min(...rtts);
  return {
    pingRttMs,
    expectedRttMs: profile.latencySeconds * 2 * 1000,
    linkLatencyMs: measuredLatencyMs(profile, pingRttMs),
    rateBytesPerSecond: median(rates),
    expectedBytesPerSecond: profile.bytesPerSecond,
  };
}

/** The link's one-way latency from a ping's round trip: half of it, never under L (see RelayCheck.linkLatencyMs). */
export function measuredLatencyMs(profile: Profile, pingRttMs: number): number {
  return Math.max(profile.latencySeconds * 1000, pingRttMs / 2);
}

function burstSize(profile: Profile): number {
  const queueFrames = Math.floor((2 * profile.latencySeconds * profile.bytesPerSecond) / QUEUE_SLOT_BYTES) + 100;
  return Math.min(MAX_BURST, queueFrames - QUEUE_MARGIN);
}

async function burstRate(link: Link, count: number): Promise<number> {
  const sink = link.run('server', [FID, 'udp-sink', String(UDP_PORT), String(count)]);
  await new Promise((resolve) => setTimeout(resolve, 300));
  await link.run('client', [FID, 'udp-burst', ADDRESSES.server, String(UDP_PORT), String(count)]);
  const { stdout } = await sink;
  const match = /datagrams=(\d+) span_ns=(\d+)/.exec(stdout);
  if (match === null) throw new Error(`the UDP sink printed no span: ${stdout}`);
  // Datagrams lost before the relay (a busy machine) leave the others' spacing as the wire made it.
  const datagrams = Number(match[1]);
  if (datagrams < count / 2) throw new Error(`only ${datagrams} of a burst of ${count} datagrams crossed the link`);
  return ((datagrams - 1) * DATAGRAM_WIRE_BYTES) / (Number(match[2]) / 1e9);
}
