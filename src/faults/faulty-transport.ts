import type { Carriage, SegmentOwner, Transfer, Transport } from '../net/transport.js';
import type { Bottleneck } from '../net/tcp/drop-tail.js';
import type { NetworkState } from './network-state.js';
import { RetransmissionTimer } from './retransmission.js';

/** A sender's lost segments, waiting for its next retransmission. */
interface Lost {
  timer: RetransmissionTimer;
  /** Each sends its segment again, through `send`. */
  resend: Array<() => void>;
}

/**
 * The transport of a run with faults: what a crashed host or a link that is
 * down would carry is lost, as on a real network, and the rest goes through
 * the inner transport. A transfer under way when its path is cut is lost
 * there, as SimGrid fails the comms of a resource that turns off: what had
 * crossed stays across, the rest never arrives. A datagram is simply lost. A
 * TCP segment is retransmitted on Linux's timer with its exponential backoff
 * (RetransmissionTimer), on behalf of the socket that sent it: the first
 * retransmission after the path is open again gets through, and the sender
 * gives up with ETIMEDOUT when the timer runs out. A host that crashed has
 * forgotten its connections: what its old peers send it once it is back is
 * answered with RST, and nothing leaves its old sockets, so a crash sends
 * its peers neither FIN nor RST.
 */
export class FaultyTransport implements Transport {
  private readonly lost = new Map<SegmentOwner, Lost>();
  /** The transfers the inner transport carries now, in the order they started. */
  private readonly underWay = new Set<FaultyTransfer>();

  constructor(
    private readonly inner: Transport,
    private readonly state: NetworkState,
  ) {
    state.onCut(() => this.pathsCut());
  }

  start(source: string, destination: string, wireBytes: number, payload: number, delivered: () => void, carriage?: Carriage): Transfer {
    const transfer = new FaultyTransfer(source, destination, wireBytes, payload, delivered, carriage);
    this.send(transfer);
    return transfer;
  }

  /** Sends what of `transfer` has not crossed yet, or loses it. */
  private send(transfer: FaultyTransfer): void {
    const { source, destination, carriage } = transfer;
    const owner = carriage?.owner;
    if (!this.state.hostUp(source) || (owner !== undefined && this.forgotten(source, owner, carriage!.ack === true))) {
      carriage?.lost?.();
      return;
    }
    if (!this.state.pathOpen(source, destination)) {
      if (owner === undefined) {
        carriage?.lost?.();
        return;
      }
      this.hold(owner, this.now(), () => this.send(transfer));
      return;
    }
    if (owner !== undefined && !owner.syn && carriage!.ack !== true && this.state.crashedSince(destination, owner.since)) {
      // The peer rebooted since the connection began: it answers the segment with RST.
      this.inner.start(source, destination, transfer.wireLeft, transfer.payloadLeft, () =>
        this.inner.start(destination, source, owner.controlWireBytes, 0, () => owner.reset()),
      );
      return;
    }
    transfer.sentAt = this.now();
    transfer.current = this.inner.start(
      source,
      destination,
      transfer.wireLeft,
      transfer.payloadLeft,
      () => {
        this.underWay.delete(transfer);
        transfer.arrived();
      },
      { cut: () => this.cutUnder(transfer, false) },
    );
    this.underWay.add(transfer);
  }

  /** A host or link went off: the transfers whose path it cuts are lost where they are. */
  private pathsCut(): void {
    for (const transfer of this.underWay) {
      if (!this.state.pathOpen(transfer.source, transfer.destination)) this.cutUnder(transfer, true);
    }
  }

  /**
   * `transfer`'s path was cut while it was under way: it stops there
   * (`cancel`: the inner transport still carries it), and what had not
   * crossed is lost, for the sender to retransmit as with any lost segment.
   */
  private cutUnder(transfer: FaultyTransfer, cancel: boolean): void {
    this.underWay.delete(transfer);
    transfer.stop(cancel);
    const { source, carriage } = transfer;
    const owner = carriage?.owner;
    if (owner === undefined || this.forgotten(source, owner, carriage!.ack === true)) {
      carriage?.lost?.();
      return;
    }
    this.hold(owner, transfer.sentAt, () => this.send(transfer));
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

  /** Keeps a lost segment, sent at `sentAt`, for the owner's next retransmission. */
  private hold(owner: SegmentOwner, sentAt: number, resend: () => void): void {
    let lost = this.lost.get(owner);
    if (lost === undefined) {
      lost = { timer: RetransmissionTimer.forSender(sentAt, owner), resend: [] };
      this.lost.set(owner, lost);
      this.armTimer(owner, lost);
    }
    lost.resend.push(resend);
  }

  private armTimer(owner: SegmentOwner, lost: Lost): void {
    this.inner.after(Math.max(0, lost.timer.nextAt - this.now()), () => this.retransmit(owner, lost));
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

/**
 * A transfer through a path that faults may cut: what crossed in its
 * earlier tries stays across, and each retransmission carries the rest.
 */
class FaultyTransfer implements Transfer {
  /** The inner transfer carrying it now, if one does. */
  current: Transfer | undefined;
  /** When the current try left. */
  sentAt = 0;
  /** Wire bytes that crossed in earlier tries. */
  private kept = 0;
  /** How far the current try had got when last asked. */
  private seen = 0;
  private done = false;

  constructor(
    readonly source: string,
    readonly destination: string,
    private readonly wireBytes: number,
    private readonly payload: number,
    private readonly delivered: () => void,
    readonly carriage: Carriage | undefined,
  ) {}

  get wireLeft(): number {
    return this.wireBytes - this.kept;
  }

  /** The payload the rest carries, in proportion. */
  get payloadLeft(): number {
    return this.kept === 0 ? this.payload : Math.round((this.payload * this.wireLeft) / this.wireBytes);
  }

  crossed(): number {
    if (this.done) return this.wireBytes;
    if (this.current !== undefined) this.seen = this.current.crossed();
    return this.kept + this.seen;
  }

  cancel(): void {
    this.current?.cancel();
    this.current = undefined;
  }

  /**
   * Its path was cut: what crossed stays across, the rest will go again.
   * The inner transport tells how far it got and is stopped (`cancel`), or
   * already failed it and can no longer tell: what it was last seen to have
   * carried is what crossed.
   */
  stop(cancel: boolean): void {
    if (cancel) {
      this.seen = this.current!.crossed();
      this.current!.cancel();
    }
    this.kept += this.seen;
    this.seen = 0;
    this.current = undefined;
  }

  arrived(): void {
    this.current = undefined;
    this.done = true;
    this.delivered();
  }
}
