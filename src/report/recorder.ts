import type { MediatorObserver } from '../mediator/observer.js';
import { readMmsgLengths } from '../mediator/abi/socket.js';
import { asInt } from '../mediator/abi/tracee-memory.js';
import { syscallName, syscallNumber } from '../mediator/syscalls/table.js';
import type { Process, Thread } from '../mediator/tracees/tracees.js';
import { SocketFile } from '../mediator/sockets/socket-file.js';
import type { Wait } from '../mediator/loop/waits.js';
import { shellStatus } from '../exit-status.js';
import { shownPid } from './ids.js';
import type { FaultReport, MigrationReport, ProcessRef, ProcessReport, UsageReport } from './types.js';
import type { FaultEvent } from '../faults/injector.js';
import type { MigrationEvent } from '../migration/migrator.js';
import { UsageSeries } from './usage.js';

/** A thread's row in the trace. */
export interface Track {
  /** Creation order among tracks: stable from run to run. */
  readonly id: number;
  readonly host: string;
  readonly process: Process;
  /** 1 for a process's first thread, then 2, 3... */
  readonly index: number;
  /** The thread's virtual tid: what the program saw (its process's pid for the first thread). */
  readonly tid: number;
}

export type SpanCategory = 'compute' | 'sleep' | 'wait';

export interface Span {
  readonly track: Track;
  readonly category: SpanCategory;
  /** `computing`, or the syscall that slept or waited. */
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly flops?: number;
}

/** One end of a transfer: the syscall on a thread's track that sent the bytes or first read them. */
export interface CommEnd {
  readonly track: Track;
  readonly date: number;
  readonly syscall: string;
}

export interface Comm {
  /** Start order, from 1. */
  readonly id: number;
  readonly fromHost: string;
  readonly toHost: string;
  readonly bytes: number;
  readonly start: number;
  end?: number;
  /** Some of its bytes reached the other host: a read there may take them. */
  arrived?: boolean;
  sender?: CommEnd;
  receiver?: CommEnd;
}

/** The transfers from one host to another: what their route's links carried. */
export interface HostPairTally {
  readonly from: string;
  readonly to: string;
  /** The links of their route, read as the first one started (the engine may be gone when the report is written). */
  readonly links: readonly string[];
  /** Their route's latency: a comm's first part, before its bytes flow. */
  readonly latency: number;
  transfers: number;
  /** Payload bytes. */
  bytes: number;
}

interface ProcessRecord {
  readonly process: Process;
  /** Read as it starts: a parent that exits first leaves its orphans without one. */
  readonly parent: Process | undefined;
  readonly start: number;
  end: number | undefined;
  bytesSent: number;
  bytesReceived: number;
}

/** A transfer under way, whose bytes count on its links' usage as they cross. */
interface OpenTransfer {
  readonly pair: HostPairTally;
  /** Payload bytes. */
  readonly bytes: number;
  readonly start: number;
  readonly crossedShare: () => number;
  /** Payload bytes counted so far, up to `countedUntil`. */
  counted: number;
  countedUntil: number;
}

interface OpenWait {
  readonly category: SpanCategory;
  readonly name: string;
  readonly start: number;
}

// sendfile's socket is its first argument too.
const SENDS = ['write', 'writev', 'sendto', 'sendmsg', 'sendmmsg', 'sendfile'];
const RECEIVES = ['read', 'readv', 'recvfrom', 'recvmsg', 'recvmmsg'];
const DATA_SYSCALLS = new Map<number, 'sent' | 'received'>([
  ...SENDS.map((name) => [syscallNumber(name)!, 'sent'] as const),
  ...RECEIVES.map((name) => [syscallNumber(name)!, 'received'] as const),
]);
/** These return a count of messages; each struct mmsghdr (64 bytes) holds its length at offset 56. */
const MESSAGE_VECTORS = new Set(['sendmmsg', 'recvmmsg'].map((name) => syscallNumber(name)!));

export interface RecorderOptions {
  /** Keep spans and transfers for a trace (costs memory in proportion to the run). */
  timeline: boolean;
  /** The host a virtual address belongs to, to tell which transfers a read takes. */
  hostOf: (address: string) => string | undefined;
  /** The route from one host to another, for the report's per-link totals and usage. */
  route: (from: string, to: string) => { readonly links: readonly string[]; readonly latency: number };
  /** Flops per second of one core of a host, to turn computations into CPU seconds. */
  hostSpeed: (host: string) => number;
}

/**
 * Listens to the mediator and keeps what the summary, the report and the
 * trace show: each process's dates and byte counts always, spans and
 * transfers when a timeline is asked for.
 */
export class RunRecorder implements MediatorObserver {
  private alive = 0;
  private readonly records = new Map<Process, ProcessRecord>();
  private current: Thread | undefined;
  private readonly openWaits = new Map<Thread, OpenWait>();
  private readonly tracks = new Map<Thread, Track>();
  /** Tracks of threads that migrated since: each thread has one per host it ran on. */
  private readonly leftTracks: Track[] = [];
  /** The migrations that happened, in the order they ended (or failed). */
  readonly migrations: MigrationReport[] = [];
  private readonly threadCounts = new Map<Process, number>();
  readonly spans: Span[] = [];
  readonly comms: Comm[] = [];
  /** Transfers by source host, then destination host. */
  private readonly pairs = new Map<string, Map<string, HostPairTally>>();
  /** The faults that happened, in date order. */
  readonly faults: FaultReport[] = [];
  /** Transfers arrived on a host that no read took yet, oldest first. */
  private readonly unread = new Map<string, Comm[]>();
  /** Comms started so far: a comm's token is its number. */
  private commCount = 0;
  private readonly openTransfers = new Map<number, OpenTransfer>();
  /** The date from which transfers under way are looked at again: the start of the next interval of the usage. */
  private nextLook = 0;
  /** CPU seconds per host (`cpu HOST`) and payload bytes per link (`link LINK`) over time. */
  private readonly usage = new UsageSeries();
  /** The usage tracks of hosts' CPUs and of links by name, each named once: a name built at each count was a new string to hash each time. */
  private readonly cpuTracks = new Map<string, string>();
  private readonly linkTracks = new Map<string, string>();

  constructor(private readonly options: RecorderOptions) {}

  get processesAlive(): number {
    return this.alive;
  }

  processStarted(process: Process, date: number): void {
    this.records.set(process, { process, parent: process.parent, start: date, end: undefined, bytesSent: 0, bytesReceived: 0 });
    this.alive++;
  }

  processExited(process: Process, date: number): void {
    const record = this.records.get(process);
    if (record === undefined) return;
    record.end = date;
    this.alive--;
  }

  running(thread: Thread, date: number): void {
    this.countCrossedBytes(date);
    this.current = thread;
    if (this.openWaits.size > 0) this.closeWait(thread, date);
  }

  idle(): void {
    this.current = undefined;
  }

  computed(thread: Thread, start: number, end: number, flops: number): void {
    const host = thread.process.host;
    this.usage.add(usageTrack(this.cpuTracks, 'cpu', host), flops / this.options.hostSpeed(host), start, end);
    if (this.options.timeline) this.spans.push({ track: this.trackOf(thread), category: 'compute', name: 'computing', start, end, flops });
  }

  waitStarted(thread: Thread, wait: Wait, date: number): void {
    if (!this.options.timeline) return;
    this.openWaits.set(thread, { category: wait.kind === 'sleep' ? 'sleep' : 'wait', name: syscallName(thread.syscall.sysno), start: date });
  }

  threadEnded(thread: Thread, date: number): void {
    if (this.openWaits.size > 0) this.closeWait(thread, date);
    if (this.current === thread) this.current = undefined;
  }

  syscallDone(thread: Thread, value: number, date: number): void {
    if (value <= 0) return;
    const direction = DATA_SYSCALLS.get(thread.syscall.sysno);
    if (direction === undefined) return;
    const file = thread.process.fds.get(asInt(thread.syscall.args[0]!));
    if (!(file?.object instanceof SocketFile)) return;
    const record = this.records.get(thread.process);
    if (record === undefined) return;
    const bytes = MESSAGE_VECTORS.has(thread.syscall.sysno) ? messageBytes(thread, value) : value;
    if (direction === 'sent') {
      record.bytesSent += bytes;
    } else {
      record.bytesReceived += bytes;
      if (this.options.timeline) this.takeArrived(thread, file.object, date);
    }
  }

  commStarted(fromHost: string, toHost: string, bytes: number, date: number, crossedShare: () => number): number {
    this.countCrossedBytes(date);
    const pair = this.tally(fromHost, toHost, bytes);
    const token = ++this.commCount;
    if (bytes > 0) this.openTransfers.set(token, { pair, bytes, start: date, crossedShare, counted: 0, countedUntil: date });
    if (!this.options.timeline) return token;
    // Every comm is kept with a timeline: its token is its place in `comms`, from 1.
    const comm: Comm = { id: token, fromHost, toHost, bytes, start: date };
    const sender = this.current;
    // Data a program sends starts at once, inside its send; later segments (a window opening, a handshake's reply) have no sender.
    if (sender !== undefined && sender.process.host === fromHost && bytes > 0) {
      comm.sender = { track: this.trackOf(sender), date, syscall: syscallName(sender.syscall.sysno) };
    }
    this.comms.push(comm);
    return token;
  }

  commCrossing(token: number): void {
    const comm = this.comms[token - 1];
    if (comm !== undefined) this.arrive(comm);
  }

  commEnded(token: number, date: number): void {
    this.countCrossedBytes(date);
    this.transferEnded(token, date);
    const comm = this.comms[token - 1];
    if (comm === undefined) return;
    comm.end = date;
    this.arrive(comm);
  }

  /** From now on the first read of the receiving host from the sending host ends the transfer's arrow. */
  private arrive(comm: Comm): void {
    if (comm.bytes === 0 || comm.arrived === true) return;
    comm.arrived = true;
    const list = this.unread.get(comm.toHost);
    if (list === undefined) this.unread.set(comm.toHost, [comm]);
    else list.push(comm);
  }

  /** The transfers between each two hosts so far. */
  hostPairs(): HostPairTally[] {
    return [...this.pairs.values()].flatMap((destinations) => [...destinations.values()]);
  }

  /** Each process of a run that ended at `virtualTime`, in the order they started. */
  processReports(virtualTime: number): ProcessReport[] {
    const processes: ProcessReport[] = [];
    for (const record of this.records.values()) {
      const { process } = record;
      const exit = process.exitStatus ?? { signal: 9, core: false };
      processes.push({
        host: process.host,
        pid: shownPid(process),
        parent: record.parent === undefined ? null : shownPid(record.parent),
        command: process.command,
        exit,
        status: shellStatus(exit),
        stopped: process.stopped ?? null,
        start: record.start,
        end: record.end ?? virtualTime,
        cpuTime: cpuTime(process),
        bytesSent: record.bytesSent,
        bytesReceived: record.bytesReceived,
      });
    }
    return processes;
  }

  faultHappened(event: FaultEvent): void {
    const ref = (process: Process): ProcessRef => ({ host: process.host, pid: shownPid(process), command: process.command });
    this.faults.push({
      date: event.date,
      fault: event.fault,
      killed: event.killed.map(ref),
      restarted: event.restarted.map(ref),
      missed: event.missed ?? null,
    });
  }

  migrated(event: MigrationEvent): void {
    const { process } = event;
    this.migrations.push({
      process: process === undefined ? null : { host: event.from === '' ? process.host : event.from, pid: shownPid(process), command: process.command },
      asked: event.asked,
      from: event.from,
      to: event.to,
      live: event.live,
      start: event.start,
      downtime: event.downtime,
      duration: event.duration,
      rounds: event.rounds,
      bytes: event.bytes,
      missed: event.missed ?? null,
    });
  }

  /**
   * The hosts' and links' use over time, up to `virtualTime`: transfers still
   * under way then count as ending then, as the link totals count them.
   */
  usageReport(
    virtualTime: number,
    hosts: ReadonlyArray<{ name: string; cores: number }>,
    links: ReadonlyArray<{ name: string; bandwidth: number }>,
  ): UsageReport {
    for (const token of [...this.openTransfers.keys()]) this.transferEnded(token, virtualTime);
    const hostUsage = hosts.map(({ name, cores }) => ({ name, cores, cpuTime: this.usage.amountsUntil(virtualTime, `cpu ${name}`, roundToNanosecond) }));
    const linkUsage = links.map(({ name, bandwidth }) => ({ name, bandwidth, bytes: this.usage.amountsUntil(virtualTime, `link ${name}`, roundToMillibyte) }));
    return { interval: this.usage.interval, hosts: hostUsage, links: linkUsage };
  }

  /** Every process, in the order they started. */
  processes(): IterableIterator<Process> {
    return this.records.keys();
  }

  /** Every track, in creation order. */
  allTracks(): Track[] {
    return [...this.leftTracks, ...this.tracks.values()].sort((a, b) => a.id - b.id);
  }

  /** What crossed of a comm cut short counts (all of it, where SimGrid no longer knows: the link totals count it whole too). */
  commLost(token: number, date: number, crossedShare: number | undefined): void {
    const transfer = this.openTransfers.get(token);
    // Out of the transfers under way first: SimGrid cannot tell a lost comm's progress any more.
    this.openTransfers.delete(token);
    this.countCrossedBytes(date);
    if (transfer !== undefined) this.countOnLinks(transfer, date, crossedShare ?? 1);
  }

  private transferEnded(token: number, date: number): void {
    const transfer = this.openTransfers.get(token);
    if (transfer === undefined) return;
    this.openTransfers.delete(token);
    this.countOnLinks(transfer, date, 1);
  }

  /**
   * Once the clock passed into a new interval of the usage, the bytes each
   * transfer under way carried since it was last looked at count on its
   * links. Looking only then (and at each transfer's end) keeps the cost to a
   * few looks per interval, and puts bytes in the right interval to within
   * the step of the clock that crossed into it: SimGrid gives rates that
   * hold between its events, not each byte's date.
   */
  private countCrossedBytes(date: number): void {
    if (date < this.nextLook) return;
    for (const transfer of this.openTransfers.values()) this.countOnLinks(transfer, date, transfer.crossedShare());
    this.nextLook = (Math.floor(date / this.usage.interval) + 1) * this.usage.interval;
  }

  /** The bytes that crossed since the last count flowed evenly from then (or the end of the route's latency, during which none flow) to `date`. */
  private countOnLinks(transfer: OpenTransfer, date: number, share: number): void {
    const bytes = transfer.bytes * share - transfer.counted;
    if (bytes > 0) {
      const from = Math.max(transfer.countedUntil, Math.min(date, transfer.start + transfer.pair.latency));
      for (const link of transfer.pair.links) this.usage.add(usageTrack(this.linkTracks, 'link', link), bytes, from, date);
      transfer.counted += bytes;
    }
    transfer.countedUntil = Math.max(transfer.countedUntil, date);
  }

  private tally(from: string, to: string, bytes: number): HostPairTally {
    let destinations = this.pairs.get(from);
    if (destinations === undefined) {
      destinations = new Map();
      this.pairs.set(from, destinations);
    }
    let pair = destinations.get(to);
    if (pair === undefined) {
      const { links, latency } = this.options.route(from, to);
      pair = { from, to, links, latency, transfers: 0, bytes: 0 };
      destinations.set(to, pair);
    }
    pair.transfers++;
    pair.bytes += bytes;
    return pair;
  }

  private closeWait(thread: Thread, date: number): void {
    const open = this.openWaits.get(thread);
    if (open === undefined) return;
    this.openWaits.delete(thread);
    this.spans.push({ track: this.trackOf(thread), category: open.category, name: open.name, start: open.start, end: date });
  }

  private trackOf(thread: Thread): Track {
    let track = this.tracks.get(thread);
    // A migrated thread goes on in a track of its new host.
    if (track !== undefined && track.host !== thread.process.host) {
      this.leftTracks.push(track);
      track = { ...track, id: this.tracks.size + this.leftTracks.length, host: thread.process.host };
      this.tracks.set(thread, track);
    }
    if (track === undefined) {
      const index = (this.threadCounts.get(thread.process) ?? 0) + 1;
      this.threadCounts.set(thread.process, index);
      track = { id: this.tracks.size + this.leftTracks.length + 1, host: thread.process.host, process: thread.process, index, tid: thread.vtid };
      this.tracks.set(thread, track);
    }
    return track;
  }

  /** A read took data: the transfers that arrived for it from its peer's host, and that no read took yet, end here. */
  private takeArrived(thread: Thread, file: SocketFile, date: number): void {
    const host = thread.process.host;
    const list = this.unread.get(host);
    if (list === undefined) return;
    const remote = file.socket.remote;
    const peerHost = remote === undefined ? undefined : this.options.hostOf(remote.address);
    const receiver: CommEnd = { track: this.trackOf(thread), date, syscall: syscallName(thread.syscall.sysno) };
    const kept = list.filter((comm) => {
      if (peerHost !== undefined && comm.fromHost !== peerHost) return true;
      comm.receiver = receiver;
      return false;
    });
    if (kept.length === 0) this.unread.delete(host);
    else this.unread.set(host, kept);
  }
}

function cpuTime(process: Process): number {
  let total = process.exitedThreadsCpuTime;
  for (const thread of process.threads.values()) total += thread.cpuTime;
  return total;
}

/** Spreading amounts over intervals leaves digits that only make the report longer. */
function roundToNanosecond(seconds: number): number {
  return Math.round(seconds * 1e9) / 1e9;
}

function roundToMillibyte(bytes: number): number {
  return Math.round(bytes * 1e3) / 1e3;
}

function messageBytes(thread: Thread, count: number): number {
  return readMmsgLengths(thread.process.memory, thread.syscall.args[1]!, count).reduce((sum, length) => sum + length, 0);
}

/** The usage track of `name` (a host, a link), as `tracks` keeps it: `${kind} ${name}`. */
function usageTrack(tracks: Map<string, string>, kind: string, name: string): string {
  let track = tracks.get(name);
  if (track === undefined) {
    track = `${kind} ${name}`;
    tracks.set(name, track);
  }
  return track;
}
