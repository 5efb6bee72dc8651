import { basename } from 'node:path';
import { shownPid } from './ids.js';
import type { Comm, RunRecorder, Track } from './recorder.js';

/** One event of the Chrome trace-event format (the JSON that Perfetto and chrome://tracing open). */
export interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M' | 's' | 'f' | 'b' | 'e' | 'i';
  /** An instant event's scope: 'g' spans every track. */
  s?: 'g';
  /** Microseconds of virtual time. */
  ts?: number;
  dur?: number;
  /** The host's track (hosts numbered from 1 in platform order). */
  pid: number;
  /** The thread's track inside it, or 0 for the host's own events (its name, the transfers it sends). */
  tid: number;
  id?: number;
  bp?: 'e';
  args?: Record<string, string | number>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
}

/** Send and receive syscalls take no virtual time; their markers last 1 ns so that flow arrows have a slice to bind to. */
const MARKER_US = 0.001;

/** Virtual seconds to trace microseconds, rounded to the nanosecond so the text is the same from run to run. */
const micros = (seconds: number): number => Math.round(seconds * 1e9) / 1e3;

/** In microseconds, from the rounded dates, so that a span that ends where the next begins never overlaps it. */
const duration = (start: number, end: number): number => Math.round((micros(end) - micros(start)) * 1e3) / 1e3;

/** The program's own ids of the thread a track shows, which the trace's pid and tid (its tracks) are not. */
function programIds(track: Track): { pid: number; tid: number } {
  return { pid: shownPid(track.process), tid: track.tid };
}

/**
 * The run as a Chrome trace: a process track per host (in platform order),
 * a thread track per simulated thread inside it (a migrated thread has one
 * on each host it ran on), spans for computing,
 * sleeping and waiting, each transfer as an async span on its source host,
 * each migration too (with an arrow to the host the process went to),
 * and a flow arrow from the send that started a transfer to the read that
 * first took its bytes. Every event has a pid (its host's track) and a tid
 * (its thread's track, 0 for the host's own); an event of a thread, or a
 * transfer a thread's send started, carries in its args the virtual pid and
 * tid the program saw (those of the report).
 */
export function chromeTrace(recorder: RunRecorder, hostNames: string[]): ChromeTrace {
  const hostPids = new Map(hostNames.map((name, index) => [name, index + 1]));
  const pidOf = (host: string): number => hostPids.get(host)!;
  const metadata: TraceEvent[] = [];
  const moved = recorder.migrations.filter((migration) => migration.missed === null);
  const usedHosts = new Set<string>([
    ...recorder.allTracks().map((t) => t.host),
    ...recorder.comms.map((c) => c.fromHost),
    ...moved.flatMap((migration) => [migration.from, migration.to]),
  ]);
  for (const host of hostNames.filter((name) => usedHosts.has(name))) {
    metadata.push({ name: 'process_name', ph: 'M', pid: pidOf(host), tid: 0, args: { name: host } });
    metadata.push({ name: 'process_sort_index', ph: 'M', pid: pidOf(host), tid: 0, args: { sort_index: pidOf(host) } });
  }
  for (const track of recorder.allTracks()) {
    metadata.push({ name: 'thread_name', ph: 'M', pid: pidOf(track.host), tid: track.id, args: { name: trackName(track), ...programIds(track) } });
    metadata.push({ name: 'thread_sort_index', ph: 'M', pid: pidOf(track.host), tid: track.id, args: { sort_index: track.id, ...programIds(track) } });
  }

  const timed: TraceEvent[] = [];
  for (const span of recorder.spans) {
    // A wait that ended at the date it began took no virtual time: nothing to see.
    if (span.end <= span.start) continue;
    const event: TraceEvent = {
      name: span.name,
      cat: span.category,
      ph: 'X',
      ts: micros(span.start),
      dur: duration(span.start, span.end),
      pid: pidOf(span.track.host),
      tid: span.track.id,
      args: span.flops === undefined ? programIds(span.track) : { flops: span.flops, ...programIds(span.track) },
    };
    timed.push(event);
  }
  const markers = new Map<string, TraceEvent>();
  const marker = (track: Track, date: number, syscall: string): TraceEvent => {
    const key = `${track.id}@${date}`;
    let event = markers.get(key);
    if (event === undefined) {
      event = { name: syscall, cat: 'net', ph: 'X', ts: micros(date), dur: MARKER_US, pid: pidOf(track.host), tid: track.id, args: programIds(track) };
      markers.set(key, event);
      timed.push(event);
    } else if (!event.name.split(' + ').includes(syscall)) {
      event.name = `${event.name} + ${syscall}`;
    }
    return event;
  };
  for (const comm of recorder.comms) {
    if (comm.bytes === 0 || comm.end === undefined) continue;
    const from = pidOf(comm.fromHost);
    const { sender, receiver } = comm;
    const senderIds = sender === undefined ? {} : programIds(sender.track);
    timed.push({
      name: transferName(comm),
      cat: 'transfer',
      ph: 'b',
      ts: micros(comm.start),
      pid: from,
      tid: 0,
      id: comm.id,
      args: { bytes: comm.bytes, ...senderIds },
    });
    timed.push({ name: transferName(comm), cat: 'transfer', ph: 'e', ts: micros(comm.end), pid: from, tid: 0, id: comm.id, args: senderIds });
    if (sender === undefined || receiver === undefined) continue;
    const send = marker(sender.track, sender.date, sender.syscall);
    const receive = marker(receiver.track, receiver.date, receiver.syscall);
    timed.push({ name: 'bytes', cat: 'flow', ph: 's', ts: send.ts!, pid: send.pid, tid: send.tid, id: comm.id, args: programIds(sender.track) });
    timed.push({
      name: 'bytes',
      cat: 'flow',
      ph: 'f',
      bp: 'e',
      ts: receive.ts!,
      pid: receive.pid,
      tid: receive.tid,
      id: comm.id,
      args: programIds(receiver.track),
    });
  }
  // A migration is a transfer of the process's state from the host it left, and an arrow to the host it went to.
  for (const [index, migration] of moved.entries()) {
    const id = recorder.comms.length + index + 1;
    const name = `migration of ${basename(migration.process!.command)} ${migration.process!.pid} to ${migration.to}`;
    const [start, end] = [micros(migration.start), micros(migration.start + migration.downtime)];
    const [from, to] = [pidOf(migration.from), pidOf(migration.to)];
    const args = { bytes: migration.bytes, pid: migration.process!.pid };
    timed.push({ name, cat: 'migration', ph: 'b', ts: start, pid: from, tid: 0, id, args });
    timed.push({ name, cat: 'migration', ph: 'e', ts: end, pid: from, tid: 0, id, args });
    timed.push({ name: 'state', cat: 'migration', ph: 's', ts: start, pid: from, tid: 0, id, args });
    timed.push({ name: 'state', cat: 'migration', ph: 'f', bp: 'e', ts: end, pid: to, tid: 0, id, args });
  }
  // A fault is an instant across the whole trace, its effects in its arguments.
  for (const fault of recorder.faults) {
    const args: Record<string, string> = {};
    if (fault.killed.length > 0) args['killed'] = fault.killed.map((p) => `${p.host} ${p.pid}`).join(', ');
    if (fault.restarted.length > 0) args['restarted'] = fault.restarted.map((p) => `${p.host} ${p.pid}`).join(', ');
    timed.push({ name: fault.fault, cat: 'fault', ph: 'i', s: 'g', ts: micros(fault.date), pid: 0, tid: 0, args });
  }
  // Earlier first; at one date, longer slices first so that they enclose the shorter ones. The sort is stable: ties keep the order of recording.
  timed.sort((a, b) => a.ts! - b.ts! || (b.dur ?? 0) - (a.dur ?? 0));
  return { traceEvents: [...metadata, ...timed], displayTimeUnit: 'ms' };
}

function trackName(track: Track): string {
  const name = `${basename(track.process.command)} ${shownPid(track.process)}`;
  return track.index === 1 ? name : `${name} thread ${track.index}`;
}

function transferName(comm: Comm): string {
  return `${comm.bytes} B to ${comm.toHost}`;
}
