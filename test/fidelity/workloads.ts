// The workloads, described once for both sides: which server they need on
// the server's host, what each client runs against it, and how the clients'
// output becomes the rows' values. The real kernel runs them between the
// namespaces (real.ts), simterpose on the generated platform (simulated.ts).
import { FLOW_BYTES, HUNDRED_MB, IPERF3_SECONDS, ONE_MB, type RowName, ROWS, type Unit } from './config.js';
import { FID } from './programs.js';

/** The servers a workload may need; the real side runs all of them for a whole profile. */
export type ServerKind = 'fid' | 'http' | 'iperf3';

export const FID_PORT = 5000;
export const HTTP_PORT = 8000;
export const IPERF3_PORT = 5201;
/** The page curl fetches from http.server: a small one, as a web page's first request. */
export const HTTP_PAGE = 'page.html';
export const HTTP_PAGE_BYTES = 1024;

export interface Workload {
  name: string;
  server: ServerKind;
  /**
   * Client programs started together, on the client's host and (for two
   * flows) the second client's. `argv` is given a CLOCK_REALTIME date (in
   * seconds) on the real kernel, where processes start milliseconds apart:
   * the clients begin their work at that date, as under simterpose, where
   * the deployment starts them at one virtual date.
   */
  clients: { side: 'client' | 'client2'; argv: (serverAddress: string, startAt?: string) => string[] }[];
  /** The rows' values from each client's stdout, in the order of `clients`. */
  rows: (outputs: string[]) => Partial<Record<RowName, number>>;
  /**
   * How simterpose charges the programs' computation: none (only the network
   * costs time) unless the real row counts the programs' own work too.
   */
  cpuModel: 'none' | 'cputime';
  /**
   * A request made once from the second client's host before any measured
   * one, so that every measured request finds the server warm: the real
   * server serves round after round, and only its first request pays for
   * what a program does once (python3 imports and builds tables then).
   */
  warmUp?: (serverAddress: string) => string[];
}

/**
 * --ipv4: the real link is IPv4 alone, while a simulated host's name
 * resolves to its IPv6 address first (as glibc orders them): curl would
 * try IPv6 first and meet a server bound to IPv4, one refused round trip.
 */
const curlPage = (server: string) => [
  'curl',
  '-sS',
  '--ipv4',
  '-o',
  '/dev/null',
  '-w',
  'elapsed_s=%{time_total}\\n',
  `http://${server}:${HTTP_PORT}/${HTTP_PAGE}`,
];

const fid =
  (mode: string, ...extra: string[]) =>
  (server: string) => [FID, mode, server, String(FID_PORT), ...extra];

export const WORKLOADS: readonly Workload[] = [
  fidWorkload('connect', fid('connect')),
  {
    name: 'echo',
    server: 'fid',
    clients: [{ side: 'client', argv: fid('echo') }],
    rows: ([output]) => ({ echo: inUnit('echo', elapsedSeconds(output!)), 'echo-rtt': inUnit('echo-rtt', smoothedRoundTripSeconds(output!)) }),
    cpuModel: 'none',
  },
  fidWorkload('two-writes', fid('two-writes')),
  {
    name: 'curl',
    server: 'http',
    clients: [{ side: 'client', argv: curlPage }],
    rows: ([output]) => ({ curl: inUnit('curl', elapsedSeconds(output!)) }),
    // python3 computes for about a millisecond on each request (a thread,
    // the request's parsing, the answer's headers), half a round trip on the
    // 1 ms link. The real row counts that work, so simterpose charges the
    // CPU time it really takes (a CPU second is a second on the platform's
    // 1 Gf hosts at the default reference speed).
    cpuModel: 'cputime',
    warmUp: curlPage,
  },
  fidWorkload('1MB', fid('fetch', String(ONE_MB))),
  fidWorkload('100MB', fid('fetch', String(HUNDRED_MB))),
  {
    name: 'iperf3',
    server: 'iperf3',
    clients: [{ side: 'client', argv: (server) => ['iperf3', '-c', server, '-p', String(IPERF3_PORT), '-t', String(IPERF3_SECONDS), '-f', 'm'] }],
    rows: ([output]) => ({ iperf3: receiverMbitPerSecond(output!) }),
    cpuModel: 'none',
  },
  {
    name: 'two-flows',
    server: 'fid',
    clients: [
      { side: 'client', argv: fetchAt(FLOW_BYTES) },
      { side: 'client2', argv: fetchAt(FLOW_BYTES) },
    ],
    rows: (outputs) => {
      const [first, last] = outputs.map(elapsedSeconds).sort((a, b) => a - b);
      return { 'two-flows-first': inUnit('two-flows-first', first!), 'two-flows-last': inUnit('two-flows-last', last!) };
    },
    cpuModel: 'none',
  },
];

/** fid fetch, starting at `startAt` when given one. */
function fetchAt(bytes: number): (server: string, startAt?: string) => string[] {
  return (server, startAt) => [...fid('fetch', String(bytes))(server), ...(startAt === undefined ? [] : [startAt])];
}

/** The workloads that measure some of these rows. */
export function workloadsFor(rows: readonly RowName[]): Workload[] {
  return WORKLOADS.filter((workload) => rows.some((row) => row === workload.name || row.startsWith(`${workload.name}-`)));
}

function fidWorkload(row: RowName, argv: (server: string) => string[]): Workload {
  return {
    name: row,
    server: 'fid',
    clients: [{ side: 'client', argv }],
    rows: ([output]) => ({ [row]: inUnit(row, elapsedSeconds(output!)) }),
    cpuModel: 'none',
  };
}

function elapsedSeconds(output: string): number {
  const match = /elapsed_s=([\d.]+)/.exec(output);
  if (match === null) throw new Error(`no elapsed_s= line in: ${output.trim() || '(nothing)'}`);
  return Number(match[1]);
}

function smoothedRoundTripSeconds(output: string): number {
  const match = /rtt_us=(\d+)/.exec(output);
  if (match === null) throw new Error(`no rtt_us= line in: ${output.trim() || '(nothing)'}`);
  return Number(match[1]) / 1e6;
}

function receiverMbitPerSecond(output: string): number {
  const match = /([\d.]+) Mbits\/sec\s+receiver/.exec(output);
  if (match === null) throw new Error(`no receiver rate in iperf3's output: ${output.trim() || '(nothing)'}`);
  return Number(match[1]);
}

export function unitOf(row: RowName): Unit {
  const found = ROWS.find((candidate) => candidate.name === row);
  if (found === undefined) throw new Error(`unknown row ${row}`);
  return found.unit;
}

function inUnit(row: RowName, seconds: number): number {
  return unitOf(row) === 'ms' ? seconds * 1000 : seconds;
}
