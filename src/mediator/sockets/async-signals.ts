import type { Edges } from '../../net/index.js';
import { POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRBAND, POLLWRNORM } from '../abi/poll.js';
import { POLL_ERR, POLL_HUP, POLL_IN, POLL_OUT, SIGIO, pollSiginfo } from '../abi/signal.js';
import type { Signals } from '../tracees/signals.js';
import type { TraceeTable } from '../tracees/tracees.js';

/**
 * Signal-driven I/O on a virtual socket (O_ASYNC): the kernel's placeholder
 * has the flag, but nothing ever arrives there, so the mediator sends what
 * Linux's sock_wake_async would, to the owner F_SETOWN named: SIGIO itself
 * (SI_KERNEL, one pending at most), or the F_SETSIG signal with its reason,
 * band and descriptor, queued once per event. Events are the socket's
 * edges (net/readiness.ts): each arrival (a datagram, bytes, a connection)
 * is POLL_IN, readiness to write coming back POLL_OUT, an error POLL_ERR;
 * the peer's FIN adds the POLL_IN of tcp_fin before its arrival's, a
 * POLL_HUP once both directions are shut.
 */

/** Who gets the signals, by real id: a thread (F_OWNER_TID), or a process. Groups are not followed. */
export type AsyncOwner = { readonly kind: 'thread' | 'process'; readonly id: number };

/** What sending needs, taken from the syscall that turned O_ASYNC on. */
export interface AsyncServices {
  readonly signals: Signals;
  readonly tracees: TraceeTable;
}

/** band_table of fs/fcntl.c: the poll events each reason stands for (si_band). */
const BANDS: Readonly<Record<number, number>> = {
  [POLL_IN]: POLLIN | POLLRDNORM,
  [POLL_OUT]: POLLOUT | POLLWRNORM | POLLWRBAND,
  [POLL_ERR]: POLLERR,
  [POLL_HUP]: POLLHUP | POLLERR,
};

/** The reasons Linux signals for, in its order, for the events raised between two counts of a socket's edges. */
export function reasonsBetween(before: Edges, now: Edges): number[] {
  const reasons: number[] = [];
  const times = (reason: number, count: number): void => {
    for (let i = 0; i < count; i++) reasons.push(reason);
  };
  times(POLL_ERR, now.error - before.error);
  // tcp_fin signals before the FIN's segment is announced as an arrival (tcp_data_ready).
  const closed = now.readHangup - before.readHangup;
  times(now.hangup > before.hangup ? POLL_HUP : POLL_IN, closed);
  times(POLL_IN, now.readable - before.readable);
  times(POLL_OUT, now.writable - before.writable);
  return reasons;
}

/** A virtual socket's O_ASYNC state: its owner and signal, kept even while the flag is off, as the open file keeps them. */
export class AsyncNotice {
  owner: AsyncOwner | undefined;
  /** F_SETSIG's signal; 0 for SIGIO itself. */
  signal = 0;
  private stopWatching: (() => void) | undefined;

  get enabled(): boolean {
    return this.stopWatching !== undefined;
  }

  /** O_ASYNC set through descriptor `fd` (si_fd) of `socket`: its events from now on are signalled. */
  enable(socket: { edges(): Edges; onChange(listener: () => void): () => void }, fd: number, services: AsyncServices): void {
    this.disable();
    let before = socket.edges();
    this.stopWatching = socket.onChange(() => {
      const now = socket.edges();
      const reasons = reasonsBetween(before, now);
      before = now;
      for (const reason of reasons) this.send(reason, fd, services);
    });
  }

  disable(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
  }

  private send(reason: number, fd: number, { signals, tracees }: AsyncServices): void {
    const owner = this.owner;
    if (owner === undefined) return;
    const thread = owner.kind === 'thread' ? tracees.threads.get(owner.id) : undefined;
    const process = owner.kind === 'thread' ? thread?.process : tracees.processes.get(owner.id);
    if (process === undefined || !process.alive) return;
    // Sent by kill or tgkill, the signal is given its fields where it is taken (tracees/signal-senders.ts): SI_KERNEL for SIGIO.
    if (this.signal !== 0) {
      const notices = process.pollNotices.get(this.signal) ?? [];
      notices.push(pollSiginfo(this.signal, reason, BANDS[reason]!, fd));
      process.pollNotices.set(this.signal, notices);
    }
    const signal = this.signal === 0 ? SIGIO : this.signal;
    if (thread === undefined) signals.toProcess(process, signal);
    else signals.toThread(thread, signal);
  }
}
