import type { Carriage, SegmentOwner, Transfer, Transport } from '../net/transport.js';
import type { Bottleneck } from '../net/tcp/drop-tail.js';
import { CONTROL_SEGMENT_WIRE_BYTES } from '../net/wire.js';
import type { NetworkState } from './network-state.js';
import { RetransmissionTimer } from './retransmission.js';

/** A transfer that never crosses. */
const LOST: Transfer = { crossed: () => 0 };

/** A sender's lost segments, waiting for its next retransmission. */
interface Lost {
  timer: RetransmissionTimer;
  /** Each sends its segment again, through `start`. */
  resend: Array<() => void>;
}

/**
 * The transport of a run with faults: what a crashed host or a link that is
 * down would carry is lost, as on a real network, and the rest goes through
 * the inner transport. A datagram is simply lost. A TCP segment is
 * retransmitted on Linux's timer with its exponential backoff
 * (RetransmissionTimer), on behalf of the socket that sent it: the first
 * retransmission after the path is open again gets through, and the sender
 * gives up with ETIMEDOUT when the timer runs out. A host that crashed has
 * forgotten its connections: what its old peers send it once it is back is
 * answered with RST, and nothing leaves its old sockets, so a crash sends
 * its peers neither FIN nor RST. Bytes already on the wire when a path is
 * cut still arrive.
 */
export class FaultyTransport implements Transport {
  private readonly lost = new Map<SegmentOwner, Lost>();

  constructor(
    private readonly inner: Transport,
    private readonly state: NetworkState,
  ) {}

  start(source: string, destination: string, wireBytes: number, payload: number, delivered: () => void, carriage?: Carriage): Transfer {
    const owner = carriage?.owner;
    if (!this.state.hostUp(source) || (owner !== undefined && this.forgotten(source, owner, carriage!.ack === true))) {
      carriage?.lost?.();
      return LOST;
    }
    if (!this.state.pathOpen(source, destination)) {
      if (owner === undefined) {
        carriage?.lost?.();
        return LOST;
      }
      const held = new HeldTransfer();
      this.hold(owner, () => {
        held.resent = this.start(source, destination, wireBytes, payload, delivered, carriage);
      });
      return held;
    }
    if (owner !== undefined && !owner.syn && carriage!.ack !== true && this.state.crashedSince(destination, owner.since)) {
      // The peer rebooted since the connection began: it answers the segment with RST.
      this.inner.start(source, destination, wireBytes, payload, () =>
        this.inner.start(destination, source, CONTROL_SEGMENT_WIRE_BYTES, 0, () => owner.reset()),
      );
      return LOST;
    }
    return this.inner.start(source, destination, wireBytes, payload, delivered, carriage);
  }

  follow(source: string, destination: string, period: number, look: () => boolean): void {
    // A cut path carries nothing: rather than look at it for nothing, look again once something comes back.
    this.inner.follow(source, destination, period, () => {
      const more = look();
      if (!more || this.state.pathOpen(source, destination)) return more;
      this.state.onRestore(() => this.follow(source, destination, period, look));
      return false;
    });
  }

  now(): number {
    return this.inner.now();
  }

  after(seconds: number, action: () => void): void {
    this.inner.after(seconds, action);
  }

  bottleneck(source: string, destination: string): Bottleneck | undefined {
    return this.inner.bottleneck(source, destination);
  }

  /**
   * A segment of a connection that one end's crash ended: sent by a socket
   * of the crashed host's former life, or an acknowledgment to or from it.
   */
  private forgotten(source: string, owner: SegmentOwner, ack: boolean): boolean {
    if (this.state.crashedSince(owner.host, owner.since)) return true;
    return ack && !owner.syn && this.state.crashedSince(source, owner.since);
  }

  /** Keeps a lost segment for the owner's next retransmission. */
  private hold(owner: SegmentOwner, resend: () => void): void {
    let lost = this.lost.get(owner);
    if (lost === undefined) {
      lost = { timer: RetransmissionTimer.forSender(this.now(), owner), resend: [] };
      this.lost.set(owner, lost);
      this.armTimer(owner, lost);
    }
    lost.resend.push(resend);
  }

  private armTimer(owner: SegmentOwner, lost: Lost): void {
    this.inner.after(lost.timer.nextAt - this.now(), () => this.retransmit(owner, lost));
  }

  /** The owner's timer fired: it gives up, or sends its lost segments again; those lost again wait for the next, backed off. */
  private retransmit(owner: SegmentOwner, lost: Lost): void {
    const now = this.now();
    if (lost.timer.expired(now)) {
      this.lost.delete(owner);
      owner.timedOut();
      return;
    }
    const resend = lost.resend.splice(0);
    for (const send of resend) send();
    if (lost.resend.length === 0) {
      this.lost.delete(owner);
      return;
    }
    lost.timer.backOff(now);
    this.armTimer(owner, lost);
  }
}

/** A lost segment's transfer: nothing crossed until a retransmission of it went. */
class HeldTransfer implements Transfer {
  resent: Transfer | undefined;

  crossed(): number {
    return this.resent?.crossed() ?? 0;
  }
}
