// What the fidelity suite measures: the links (profiles), the workloads
// (rows), the bounds a row must keep, and which rows are not checked yet.

/** A link of latency L and bandwidth B, emulated for the real kernel and written as a platform for simterpose. */
export type ProfileName = '10ms-10MBps' | '1ms-100Mbps' | '50ms-1Gbps';

export interface Profile {
  name: ProfileName;
  latencySeconds: number;
  bytesPerSecond: number;
  /** How the platform file writes the bandwidth (SimGrid's units). */
  platformBandwidth: string;
}

export const PROFILES: readonly Profile[] = [
  { name: '10ms-10MBps', latencySeconds: 0.01, bytesPerSecond: 10e6, platformBandwidth: '10MBps' },
  { name: '1ms-100Mbps', latencySeconds: 0.001, bytesPerSecond: 100e6 / 8, platformBandwidth: '100Mbps' },
  { name: '50ms-1Gbps', latencySeconds: 0.05, bytesPerSecond: 1e9 / 8, platformBandwidth: '1Gbps' },
];

/** How a row's value reads: a duration (seconds, printed in the unit) or a rate. */
export type Unit = 'ms' | 's' | 'Mbit/s';

export type RowName = 'connect' | 'echo' | 'echo-rtt' | 'two-writes' | 'curl' | '1MB' | '100MB' | 'iperf3' | 'two-flows-first' | 'two-flows-last';

export interface Row {
  name: RowName;
  unit: Unit;
  what: string;
}

export const ROWS: readonly Row[] = [
  { name: 'connect', unit: 'ms', what: 'connect() until it returns' },
  { name: 'echo', unit: 'ms', what: '100-byte request and its echo, TCP_NODELAY' },
  { name: 'echo-rtt', unit: 'ms', what: "the echo client's smoothed round trip after it (TCP_INFO's tcpi_rtt)" },
  { name: 'two-writes', unit: 'ms', what: 'the same request in two writes, Nagle and delayed ACK' },
  { name: 'curl', unit: 'ms', what: "curl's time_total against python3 -m http.server" },
  { name: '1MB', unit: 'ms', what: '1 MB answer, request to last byte' },
  { name: '100MB', unit: 's', what: '100 MB answer, request to last byte' },
  { name: 'iperf3', unit: 'Mbit/s', what: "iperf3 -t 10, receiver's rate" },
  { name: 'two-flows-first', unit: 's', what: 'two 10 MB answers at once on the link: the first done' },
  { name: 'two-flows-last', unit: 's', what: 'two 10 MB answers at once on the link: the last done' },
];

export const ONE_MB = 1e6;
export const HUNDRED_MB = 100e6;
export const FLOW_BYTES = 10e6;
export const IPERF3_SECONDS = 10;

/** A row is within bounds when simterpose is within this fraction of the real median. */
export const BOUND = 0.1;
/** ... or within this one when the real kernel itself spreads more than BOUND (interquartile range over median, stats.ts). */
export const WIDE_BOUND = 0.2;
/** The relay's own error (ping RTT against 2L, burst rate against B) must stay within this. */
export const RELAY_BOUND = 0.1;

/** A row of the table: a workload's row on a profile's link. */
export type TableRow = `${ProfileName}/${RowName}`;

/**
 * Table rows measured and printed but not yet checked, as what they measure
 * is beyond simterpose's TCP model so far (issue 19); none today.
 * A listed row is measured and printed, not judged; one that comes within
 * its bound for good leaves the list and is checked from then on. Four
 * rows left it when the reference became faithful (see link.ts and
 * link-emulator.c: a real-time relay and workloads, deeper TAP queues) and
 * simterpose was given the link the relay was measured to be (ping RTT / 2
 * as latency, relay-check.ts): connect on 1 ms, where the relay's own
 * ~75 us each way is 7.5% of L; 100MB on 50 ms, whose real runs spread
 * from 4.4 to 11 s while a nice -10 relay fell behind and its sender's TAP
 * device dropped frames; and curl on 1 and 10 ms, which simterpose runs with
 * `--cpu-model cputime` rather than none (workloads.ts): the real row counts
 * python3's own work on the request (about 1 ms, half a round trip on 1 ms),
 * which no network model can give, and cputime charges the CPU time it
 * really takes, where none leaves the 1 ms row 20% short. two-flows-first
 * on 10 ms left it when the bottleneck's queue began serving flights in
 * arrival order (src/net/tcp/drop-tail.ts): the flow whose burst reaches
 * the FIFO first leaves slow start by HyStart's ACK train, the other by the
 * delay rule, and the first ends sooner, as on the real kernel in most of
 * its runs (its other mode, where both flows leave by the ACK train and end
 * together, is a coin flip at the delay rule's threshold: README's fidelity
 * section), since the delay rule counts an ACK per segment acknowledged
 * (src/net/tcp/hystart.ts).
 */
export const AWAITING_TCP_MODEL: readonly TableRow[] = [];

// The CI slice inside `npm test`: one profile, a few rows, a few runs (about 20 s as root).
// The 10 ms link: there the relay's own ~0.15 ms per round trip is 1% of a round trip,
// where on the 1 ms link it is 7.5%, which simterpose's link gets from the relay's ping
// before the rows: a relay slower during the rows than during its ping would move the
// latency-bound rows of the 1 ms link most. Two flows are left to the whole
// suite: their real finish times move by up to 0.4 s here, with which of two modes the
// real kernel's HyStart takes (README's fidelity section).
export const CI_PROFILE: ProfileName = '10ms-10MBps';
export const CI_ROWS: readonly RowName[] = ['connect', 'echo', 'echo-rtt', 'two-writes', '1MB'];
export const CI_RUNS = 5;
