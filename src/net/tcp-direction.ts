import { Queue } from './queue.js';
import type { Payload } from './payload.js';
import { RingBytes } from './ring-bytes.js';
import type { SegmentOwner, Transfer, Transport } from './transport.js';
import { CongestionWindow } from './tcp/congestion.js';
import { AckPolicy, DELAYED_ACK_SECONDS } from './tcp/delayed-ack.js';
import type { DropTailQueue } from './tcp/drop-tail.js';
import { LossRecovery, RetransmitTimeout, timeoutFor } from './tcp/loss-recovery.js';
import { InTransit, Reassembly, type SequenceRange } from './tcp/reassembly.js';
import { controlSegmentWireBytes, wireBytes, type SegmentSizes } from './wire.js';
import { bytesToSend, largestBurst } from './tcp/send-policy.js';

/** Linux's net.core.wmem_default and rmem_default, used as payload bytes. */
export const DEFAULT_BUFFER_SIZE = 212992;
/** tcp(7): TCP_CORK holds partial segments back for 200 ms at most. */
export const CORK_CEILING_SECONDS = 0.2;
/**
 * A connection with bytes under way is looked at this many times per
 * (smallest) round trip: its acknowledgments come back in as many batches,
 * so that the window slides nearly as smoothly as per-segment ACKs make it
 * slide, within a thirty-second of a round trip.
 */
export const LOOKS_PER_ROUND_TRIP = 32;
/** Segments' worth of bytes under way from which a connection is followed: a smaller flight lands in one piece when it completes. */
const FOLLOWED_FROM_SEGMENTS = 4;
/** An ACK with nothing held past a hole. */
const NO_SACKS: readonly SequenceRange[] = [];

/** Wire bytes of `payload` bytes of a flight (none for none). */
function payloadWire(payload: number, sizes: SegmentSizes): number {
  return payload === 0 ? 0 : wireBytes(payload, sizes);
}

/** Wire bytes of a flight under way that crossed so far: none while it waits in the bottleneck's queue, without a comm yet. */
function wireCrossed(flight: Flight): number {
  return flight.transfer === undefined ? 0 : flight.transfer.crossed();
}

interface Flight {
  /** The sequence of its first payload byte (for a control segment: of the data it follows). */
  start: number;
  /** Payload bytes that entered the bottleneck's queue (the others were dropped); 0 for a control segment. */
  bytes: number;
  /** What the flight occupies on the wire (its dropped segments left out). */
  wire: number;
  /** How many of `bytes` have crossed and landed already. */
  landed: number;
  /** Runs when the flight arrives, in sending order, after the flights before it (a FIN: and after every byte before it). */
  onArrival?: () => void;
  /** A FIN: it takes effect once every byte before it is in order at the receiver. */
  afterData?: boolean;
  complete: boolean;
  /** Its comm, once it left (a flight waits in the bottleneck's queue for the flights ahead of it). */
  transfer?: Transfer;
  /** The bottleneck queue it entered: it leaves that one, even if its sender migrated meanwhile. */
  queue?: DropTailQueue;
}

/** What a direction's sender knows of it, for TCP_INFO (src/net/tcp-info.ts): bytes, dates and round trips in seconds. */
export interface SenderStats {
  /** Payload bytes sent once at least, acknowledged, sent and not acknowledged, handed over and not sent yet. */
  sent: number;
  acknowledged: number;
  inFlight: number;
  unsent: number;
  /** Bytes and segments sent again, and segments sent in all (retransmissions included). */
  retransmittedBytes: number;
  retransmittedSegments: number;
  dataSegments: number;
  /** SRTT, RTTVAR, the smallest round trip and the retransmission timeout; before any ACK measured one, the handshake's round trip stands for them all, as Linux's SYN sample does. */
  smoothedRtt: number;
  rttVariation: number;
  minRtt: number;
  retransmitTimeout: number;
  congestionWindow: number;
  /** Infinity until a loss sets it. */
  slowStartThreshold: number;
  recovering: boolean;
  sacked: number;
  /** The receiver's window as the sender sees it. */
  peerWindow: number;
  pacingRate: number;
  /** The FIN reached the receiver. */
  finArrived: boolean;
  lastSentAt: number | undefined;
  lastAckAt: number | undefined;
}

/** What a direction's receiver knows of it, for TCP_INFO. */
export interface ReceiverStats {
  /** Payload bytes in order at the receiver. */
  received: number;
  /** Segments of data that arrived, and acknowledgments sent back. */
  dataSegments: number;
  acksSent: number;
  /** The window the receiver advertises now. */
  window: number;
  lastArrivalAt: number | undefined;
}

/** Payload bytes sent, up to sequence `end`, at date `at`: for the round trip an acknowledgment measures. */
interface Sent {
  end: number;
  at: number;
}

/**
 * One direction of a TCP connection: the sender's half (send buffer,
 * congestion window, Nagle and cork) and the receiver's half (what arrived,
 * when it is acknowledged). Bytes a sender hands over wait in its send
 * buffer until acknowledged. What the windows let go leaves as one flight,
 * one SimGrid comm carrying its segments' wire bytes, so bandwidth sharing,
 * routes and cross traffic stay SimGrid's. Bytes land at the receiver as the
 * comm carries them: a small flight when it completes; a connection with
 * more under way is looked at LOOKS_PER_ROUND_TRIP times per round trip, and
 * lands then the whole segments that crossed, as a NIC coalesces what it
 * receives. They are read in order, whichever flight they crossed in: they
 * are the stream's next bytes. The receiver acknowledges them as Linux does (see
 * AckPolicy); an acknowledgment is a comm of its own back, and its arrival
 * frees the send buffer, grows the congestion window (CongestionWindow) and
 * lets the next flight go: ACK clocking. The receiver's window is its receive
 * buffer less what waits unread and what is under way, so a sender facing
 * a slow reader fills its send buffer and blocks. Control segments (the
 * handshake's last ACK, FIN, RST) arrive in sending order, after every byte
 * sent before them.
 *
 * Losses: on a route with a bottleneck, each flight's segments first enter
 * its drop-tail queue (DropTailQueue, shared by the connections that cross
 * it), which drops the tail of a burst it has no room for; the comm carries
 * the segments that entered, once the flights that entered that queue
 * before this one are through the link (a router's FIFO). Where that queue
 * is the sender's own interface's, nothing is dropped: a flight takes only
 * what the queue has room for, and the rest waits in the send buffer until
 * bytes leave the queue, as Linux's TCP Small Queues hold a socket back.
 * The receiver holds bytes past a hole
 * (Reassembly) and acknowledges at once, with SACK blocks, until the hole
 * fills; the sender retransmits the holes below enough SACKed bytes and
 * reduces its window once per recovery (LossRecovery, CongestionWindow),
 * or, for a loss nothing was SACKed above, when its retransmission timer
 * expires (RetransmitTimeout). Control segments are never dropped.
 *
 * A direction counts bytes; where they wait is the data path's business. Under
 * full mediation the direction keeps them (`carried`); under address translation
 * the kernel's loopback sockets hold them and the direction only says how many
 * the receiver may read.
 */
export class TcpDirection {
  sendBufferSize = DEFAULT_BUFFER_SIZE;
  /** The receiver's window ceiling, in payload bytes (half of what SO_RCVBUF reports, as Linux reserves the rest). */
  receiveBufferSize = DEFAULT_BUFFER_SIZE;
  /** The FIN arrived: once the delivered bytes are read, the reader sees EOF. */
  finArrived = false;
  /** Every byte handed over and not yet read or dropped, oldest first, when the direction keeps them. */
  readonly carried: RingBytes | undefined;
  /** The other direction of the connection: acknowledgments owed by this sender ride on its data. */
  reverse: TcpDirection | undefined;
  readonly congestion: CongestionWindow;
  /** The sending socket, as a transport that loses segments retransmits on its behalf (set once the connection is up). */
  owner: SegmentOwner | undefined;
  /**
   * One end's process migrated (src/migration): what leaves from now on
   * crosses the route between the new hosts and queues at its bottleneck;
   * flights already under way finish on the route they took.
   */
  reroute(fromHost: string, toHost: string, queue: DropTailQueue | undefined): void {
    this.fromHost = fromHost;
    this.toHost = toHost;
    this.queue = queue;
  }

  /** Bytes delivered and not read yet. */
  private deliveredCount = 0;
  /** Bytes the sender handed over that are not acknowledged yet. */
  private queued = 0;
  /** Bytes sent and not acknowledged. */
  private outstanding = 0;
  /** Payload bytes sent and acknowledged so far (sequence numbers from 0). */
  private sentUpTo = 0;
  private ackedUpTo = 0;
  /** The end of the last partial segment sent (Minshall's refinement of Nagle). */
  private smallSentUpTo = 0;
  private readonly sends = new Queue<Sent>();
  /** The sequence whose acknowledgment ends the congestion window's round under way. */
  private roundEnd = 0;
  private readonly flights = new Queue<Flight>();
  private noDelayFlag = false;
  private corkedFlag = false;
  private ceilingArmed = false;
  private ceilingPassed = false;
  private finQueued = false;
  private finStarted = false;
  /** The reader is gone: arriving data is dropped, and reported once through `onUnwanted`. */
  private readerGone = false;
  private unwantedReported = false;
  /** The sender aborted: nothing more starts. */
  private stopped = false;
  private followed = false;
  /** Receiver's half: the bytes landed so far, in order and past holes, and when to acknowledge them. */
  private readonly received = new Reassembly();
  private readonly underWay = new InTransit();
  private readonly acks: AckPolicy;
  /** Counts acknowledgments sent: a delayed-ACK timer acts only if none went since it was armed. */
  private ackCount = 0;
  private ackTimerArmed = false;
  /** Sender's losses: the SACK scoreboard, recovery, and the retransmission timer (armed only where losses can happen). */
  private readonly recovery: LossRecovery;
  private readonly timeout = new RetransmitTimeout();
  /** When the retransmission timer expires, if no ACK moves it on meanwhile (undefined: it is not running). */
  private timeoutAt: number | undefined;
  /** The date of the transport timer that watches it (earlier ones replace later ones, which then do nothing). */
  private timerAt: number | undefined;
  /** The sender's own interface queue had no room for all the windows let go: it pumps again once bytes leave it. */
  private awaitingRoom = false;
  /** Counted for TCP_INFO only. */
  private retransmittedBytes = 0;
  private retransmittedSegments = 0;
  private dataSegmentsSent = 0;
  private dataSegmentsLanded = 0;
  private lastSentAt: number | undefined;
  private lastAckAt: number | undefined;
  private lastArrivalAt: number | undefined;

  /**
   * @param keepsBytes whether the direction keeps the bytes themselves (full mediation)
   * @param sizes the segments of the connection's IP version on the wire
   * @param onChange after anything that may change either end's readiness
   * @param onUnwanted when data first arrives for a reader that is gone (the receiving kernel answers with RST)
   * @param roundTrip the round trip the handshake measured, in seconds
   * @param queue the drop-tail queue of the route's bottleneck, where segments may be lost (none: nothing is lost)
   */
  constructor(
    private readonly transport: Transport,
    public fromHost: string,
    public toHost: string,
    keepsBytes: boolean,
    private readonly sizes: SegmentSizes,
    private readonly onChange: () => void,
    private readonly onUnwanted: () => void,
    private readonly roundTrip = 0,
    private queue?: DropTailQueue,
  ) {
    this.carried = keepsBytes ? new RingBytes() : undefined;
    this.congestion = new CongestionWindow(sizes.mss);
    this.acks = new AckPolicy(sizes.mss);
    this.recovery = new LossRecovery(sizes.mss);
  }

  /** Bytes delivered and not read yet. */
  get delivered(): number {
    return this.deliveredCount;
  }

  /** Bytes sent that are not in order at the receiver yet (under way, lost, or held past a hole). */
  private get notLanded(): number {
    return this.sentUpTo - this.received.inOrderUpTo;
  }

  /** TCP_NODELAY: setting it sends what Nagle held back. */
  set noDelay(on: boolean) {
    this.noDelayFlag = on;
    if (on) this.pump();
  }

  /** TCP_CORK: unsetting it sends what the cork held back (Nagle's rule still applies). */
  set corked(on: boolean) {
    this.corkedFlag = on;
    if (!on) this.pump();
  }

  /** The round trip the sender knows: the smallest measured, or the handshake's. */
  get measuredRoundTrip(): number {
    return this.smallestRoundTrip();
  }

  senderStats(): SenderStats {
    const measured = this.timeout.smoothed !== undefined;
    const smoothedRtt = this.timeout.smoothed ?? this.roundTrip;
    const rttVariation = measured ? this.timeout.variation : this.roundTrip / 2;
    return {
      sent: this.sentUpTo,
      acknowledged: this.ackedUpTo,
      inFlight: this.outstanding,
      unsent: this.unsent,
      retransmittedBytes: this.retransmittedBytes,
      retransmittedSegments: this.retransmittedSegments,
      dataSegments: this.dataSegmentsSent,
      smoothedRtt,
      rttVariation,
      minRtt: Math.min(this.roundTrip, this.congestion.minRtt),
      retransmitTimeout: measured ? this.timeout.seconds : timeoutFor(smoothedRtt, rttVariation),
      congestionWindow: this.congestion.bytes,
      slowStartThreshold: this.congestion.threshold,
      recovering: this.recovery.inRecovery,
      sacked: this.recovery.sackedBytes,
      peerWindow: this.advertisedWindow(),
      pacingRate: this.pacingRate(),
      finArrived: this.finArrived,
      lastSentAt: this.lastSentAt,
      lastAckAt: this.lastAckAt,
    };
  }

  receiverStats(): ReceiverStats {
    return {
      received: this.received.inOrderUpTo,
      dataSegments: this.dataSegmentsLanded,
      acksSent: this.ackCount,
      window: this.advertisedWindow(),
      lastArrivalAt: this.lastArrivalAt,
    };
  }

  /** The receiver's window: its buffer less what waits unread and what is under way to it. */
  private advertisedWindow(): number {
    return Math.max(0, this.receiveBufferSize - this.deliveredCount - this.notLanded);
  }

  /** Bytes the sender handed over that are not acknowledged yet (Linux's write_seq - snd_una). */
  get unacknowledged(): number {
    return this.queued;
  }

  /** Bytes the sender handed over that have not left yet (write_seq - snd_nxt). */
  get unsent(): number {
    return this.queued - this.outstanding;
  }

  /** Room left in the sender's buffer. */
  room(): number {
    return Math.max(0, this.sendBufferSize - this.queued);
  }

  /**
   * Whether poll reports the sender writable: as Linux's
   * sk_stream_is_writeable, once the room is at least half of what is still
   * queued, so that a sender woken by room writes a good part of its buffer
   * rather than the few bytes that just crossed.
   */
  writable(): boolean {
    return this.room() > 0 && this.room() >= this.queued / 2;
  }

  /**
   * Takes as many of `count` bytes as the send buffer has room for; returns
   * how many. A direction that keeps bytes copies that many from `payload`.
   * `more` (MSG_MORE) holds this write's partial segment back, as a cork.
   */
  write(count: number, payload?: Payload, more = false): number {
    const accepted = Math.min(count, this.room());
    if (accepted === 0) return 0;
    this.carried?.append(payload!, 0, accepted);
    this.queued += accepted;
    this.pump(more);
    return accepted;
  }

  /** The reader took `count` delivered bytes (returned, as views valid until the next write, when the direction keeps them): the window opens. */
  read(count: number): Buffer[] | undefined {
    const taken = Math.min(count, this.deliveredCount);
    this.deliveredCount -= taken;
    const pieces = this.carried?.take(taken);
    if (this.acks.afterRead(this.deliveredCount)) this.sendAck();
    this.pump();
    return pieces;
  }

  /** Up to `count` delivered bytes, left unread, in pieces (when the direction keeps them). */
  peek(count: number): Buffer[] | undefined {
    return this.carried?.peek(Math.min(count, this.deliveredCount));
  }

  /** No more data: the FIN follows the bytes already handed over, which nothing holds back any more. */
  closeWrite(): void {
    if (this.finQueued) return;
    this.finQueued = true;
    this.pump();
  }

  /** A control segment (handshake ACK, RST) ordered after everything sent so far. */
  sendControl(onArrival: () => void): void {
    this.launch({ start: this.sentUpTo, bytes: 0, wire: controlSegmentWireBytes(this.sizes), landed: 0, onArrival, complete: false });
  }

  /**
   * Sends nothing more (abortive close, or an RST received): what is not in
   * flight yet stays queued, unsent, and goes with the direction.
   */
  stop(): void {
    this.stopped = true;
  }

  /** The reader went away: later data is dropped (and reported once), what waits unread is freed. */
  dropReader(): void {
    this.readerGone = true;
    this.carried?.discard(this.deliveredCount);
    this.deliveredCount = 0;
  }

  /** Sends what the windows, Nagle and the cork let go now, then the FIN once everything has gone. */
  private pump(more = false): void {
    if (this.stopped) return;
    const unsent = this.queued - this.outstanding;
    const receiveWindow = this.receiveBufferSize - this.deliveredCount - this.notLanded;
    const allowed = Math.min(this.congestion.bytes - this.pipe(), receiveWindow);
    const window = Math.min(this.congestion.bytes, this.receiveBufferSize);
    const corked = this.corkedFlag || more;
    const allowedNow = bytesToSend(
      unsent,
      allowed,
      window,
      this.outstanding,
      this.smallSentUpTo > this.ackedUpTo,
      {
        noDelay: this.noDelayFlag,
        corked,
        pushAll: this.finQueued || this.ceilingPassed,
        ackDue: this.ackDue(),
      },
      this.sizes.mss,
      largestBurst(this.pacingRate(), this.sizes.mss),
    );
    const bytes = this.queue?.atSender === true ? this.fitInterfaceQueue(allowedNow) : allowedNow;
    if (bytes > 0) this.sendFlight(bytes);
    if (corked && unsent > bytes && unsent - bytes < this.sizes.mss) this.armCorkCeiling();
    if (this.finQueued && !this.finStarted && this.queued === this.outstanding) {
      this.finStarted = true;
      this.launch({
        start: this.sentUpTo,
        bytes: 0,
        wire: controlSegmentWireBytes(this.sizes),
        landed: 0,
        onArrival: () => {
          this.finArrived = true;
        },
        afterData: true,
        complete: false,
      });
    }
  }

  /**
   * Of `bytes` the windows let go, what the sender's own interface queue
   * has room for: all of them, or whole segments. The rest stays in the
   * send buffer, unsent, until bytes leave the queue.
   */
  private fitInterfaceQueue(bytes: number): number {
    const queue = this.queue!;
    if (bytes === 0 || wireBytes(bytes, this.sizes) <= queue.room) return bytes;
    if (!this.awaitingRoom) {
      this.awaitingRoom = true;
      queue.awaitRoom(() => {
        this.awaitingRoom = false;
        this.pump();
      });
    }
    return Math.floor(queue.room / wireBytes(this.sizes.mss, this.sizes)) * this.sizes.mss;
  }

  /** Linux's pacing rate, in bytes per second: the window (or what is out, if more) per smoothed round trip, times the pacing ratio. */
  private pacingRate(): number {
    const roundTrip = this.timeout.smoothed ?? this.roundTrip;
    return (this.congestion.pacingRatio * Math.max(this.congestion.bytes, this.outstanding)) / roundTrip;
  }

  /** RFC 6675's pipe: bytes sent and still in the network, the SACKed ones left out. */
  private pipe(): number {
    return this.outstanding - this.recovery.sackedBytes;
  }

  /** The smallest round trip measured, or the handshake's before any. */
  private smallestRoundTrip(): number {
    return Number.isFinite(this.congestion.minRtt) ? this.congestion.minRtt : this.roundTrip;
  }

  /** Whether the oldest byte in flight left more than half a round trip ago, so that its ACK should come soon. */
  private ackDue(): boolean {
    const oldest = this.sends.peek();
    if (oldest === undefined) return false;
    return this.transport.now() - oldest.at > this.smallestRoundTrip() / 2;
  }

  /** tcp(7): corked data goes after 200 ms whatever happens. */
  private armCorkCeiling(): void {
    if (this.ceilingArmed) return;
    this.ceilingArmed = true;
    this.transport.after(CORK_CEILING_SECONDS, () => {
      this.ceilingArmed = false;
      this.ceilingPassed = true;
      this.pump();
      this.ceilingPassed = false;
    });
  }

  private sendFlight(bytes: number): void {
    const now = this.transport.now();
    const start = this.sentUpTo;
    this.sentUpTo += bytes;
    this.outstanding += bytes;
    this.sends.push({ end: this.sentUpTo, at: now });
    this.lastSentAt = now;
    if (bytes % this.sizes.mss !== 0) this.smallSentUpTo = this.sentUpTo;
    this.reverse?.receiverReplies(now);
    this.sendSegments(start, bytes);
    this.armTimeout();
  }

  /** Bytes [start, start + bytes) leave as one flight: the segments the bottleneck's queue has room for, the others lost (none at the sender's own interface). */
  private sendSegments(start: number, bytes: number): void {
    this.dataSegmentsSent += Math.ceil(bytes / this.sizes.mss);
    const entered = this.queue === undefined ? bytes : this.enterQueue(bytes);
    this.underWay.add(start, start + entered);
    const flight: Flight = { start, bytes: entered, wire: wireBytes(entered, this.sizes), landed: 0, complete: false, queue: this.queue };
    if (entered === 0) {
      // Every segment was dropped: nothing crosses.
      flight.complete = true;
      this.flights.push(flight);
      return;
    }
    this.launch(flight);
  }

  /** Bytes [start, start + bytes) deemed lost go again. */
  private retransmit(start: number, bytes: number): void {
    this.retransmittedBytes += bytes;
    this.retransmittedSegments += Math.ceil(bytes / this.sizes.mss);
    this.lastSentAt = this.transport.now();
    this.sendSegments(start, bytes);
  }

  /** How many of `bytes` (whole segments first) enter the bottleneck's queue: all of them at the sender's own interface. */
  private enterQueue(bytes: number): number {
    if (this.queue!.atSender) {
      this.queue!.enter(wireBytes(bytes, this.sizes));
      return bytes;
    }
    const segments = Math.ceil(bytes / this.sizes.mss);
    const last = bytes - (segments - 1) * this.sizes.mss;
    const admitted = this.queue!.admit(segments, wireBytes(this.sizes.mss, this.sizes), wireBytes(last, this.sizes));
    return admitted === segments ? bytes : admitted * this.sizes.mss;
  }

  /** The flight leaves: at once, or once the bottleneck's queue has served the flights that entered it before this one. */
  private launch(flight: Flight): void {
    this.flights.push(flight);
    const now = this.transport.now();
    const startAt = flight.queue === undefined ? now : flight.queue.serve(now, flight.wire);
    if (startAt > now) {
      const [from, to, owner] = [this.fromHost, this.toHost, this.owner];
      this.transport.after(startAt - now, () => this.carry(flight, from, to, owner));
    } else {
      this.carry(flight, this.fromHost, this.toHost, this.owner);
    }
    if (!this.followed && this.notLanded >= FOLLOWED_FROM_SEGMENTS * this.sizes.mss) {
      this.followed = true;
      this.transport.follow(this.fromHost, this.toHost, this.smallestRoundTrip() / LOOKS_PER_ROUND_TRIP, () => this.look());
    }
  }

  /** The flight's comm from `from` to `to` starts (the route it was sent on, even if an end migrated while it waited). */
  private carry(flight: Flight, from: string, to: string, owner: SegmentOwner | undefined): void {
    flight.transfer = this.transport.start(
      from,
      to,
      flight.wire,
      flight.bytes,
      () => {
        flight.complete = true;
        // A followed connection's bytes land at its looks, as a NIC coalesces what it receives.
        if (this.followed && flight.bytes > 0) return;
        if (this.cross(flight, flight.bytes)) this.afterLanding();
        this.arrive();
      },
      { owner },
    );
  }

  /** Lands the flights that arrived and the whole segments that crossed of the others; returns whether the direction is still worth following. */
  private look(): boolean {
    let landed = false;
    for (let i = 0; i < this.flights.length; i++) {
      const flight = this.flights.at(i)!;
      if (flight.bytes === 0) continue;
      const crossed = flight.complete ? flight.bytes : Math.min(flight.bytes, Math.floor((wireCrossed(flight) * flight.bytes) / flight.wire));
      if (this.cross(flight, flight.complete ? crossed : Math.floor(crossed / this.sizes.mss) * this.sizes.mss)) landed = true;
    }
    if (landed) this.afterLanding();
    this.arrive();
    this.followed = this.notLanded > 0;
    return this.followed;
  }

  /** `crossed` bytes of the flight are across so far: those not counted yet land. Returns whether there were any. */
  private cross(flight: Flight, crossed: number): boolean {
    const fresh = crossed - flight.landed;
    if (fresh <= 0) return false;
    const crossedWire = payloadWire(crossed, this.sizes) - payloadWire(flight.landed, this.sizes);
    flight.landed = crossed;
    for (const [from, to] of this.underWay.take(fresh)) this.land(from, to);
    // Once landed: the senders this wakes (this one may be among them) find the direction as it now is.
    flight.queue?.leave(crossedWire);
    return true;
  }

  /** After bytes landed: the reader has news, and the sender may have room. */
  private afterLanding(): void {
    this.pump();
    this.onChange();
  }

  /** Control segments take effect in sending order, once everything sent before them has arrived and landed. */
  private arrive(): void {
    let acted = false;
    for (let head = this.flights.peek(); head?.complete && head.landed === head.bytes; head = this.flights.peek()) {
      if (head.afterData && this.received.inOrderUpTo < head.start) break;
      this.flights.shift();
      if (head.onArrival === undefined) continue;
      head.onArrival();
      acted = true;
    }
    if (acted) {
      this.pump();
      this.onChange();
    }
  }

  /** Bytes [from, to) reached the receiver: those that come in order land; past a hole, filling one, or again, they are acknowledged at once (RFC 5681, 4.2). */
  private land(from: number, to: number): void {
    const now = this.transport.now();
    this.dataSegmentsLanded += Math.ceil((to - from) / this.sizes.mss);
    this.lastArrivalAt = now;
    const hadHoles = this.received.hasHoles;
    const bytes = this.received.receive(from, to);
    if (hadHoles || this.received.hasHoles || bytes === 0) {
      this.deliver(bytes);
      this.sendAck();
      return;
    }
    if (bytes > 0) this.deliver(bytes);
    if (this.acks.arrived(bytes, now, this.receiveBufferSize)) this.sendAck();
    else this.armAckTimer();
  }

  /** `bytes` more are in order at the receiver: the reader may take them. */
  private deliver(bytes: number): void {
    if (bytes === 0) return;
    if (this.readerGone) {
      this.carried?.discard(bytes);
      if (!this.unwantedReported) {
        this.unwantedReported = true;
        this.onUnwanted();
      }
    } else {
      this.deliveredCount += bytes;
    }
  }

  /** The receiver sends data of its own: an acknowledgment owed goes with it. */
  private receiverReplies(now: number): void {
    this.acks.replying(now);
    if (this.acks.pending) this.sendAck();
  }

  private armAckTimer(): void {
    if (this.ackTimerArmed) return;
    this.ackTimerArmed = true;
    const armedAfter = this.ackCount;
    this.transport.after(DELAYED_ACK_SECONDS, () => {
      this.ackTimerArmed = false;
      if (this.ackCount !== armedAfter || !this.acks.pending) return;
      this.acks.timerFired();
      this.sendAck();
    });
  }

  /** The receiver acknowledges everything in order, and reports what it holds past holes: a segment back to the sender. */
  private sendAck(): void {
    const upTo = this.received.inOrderUpTo;
    const sacks = this.received.hasHoles ? this.received.sackBlocks() : NO_SACKS;
    this.ackCount++;
    this.ackTimerArmed = false;
    this.acks.acknowledged();
    this.transport.start(this.toHost, this.fromHost, controlSegmentWireBytes(this.sizes), 0, () => this.ackArrives(upTo, sacks), {
      owner: this.owner,
      ack: true,
    });
  }

  /**
   * An acknowledgment up to `upTo` reached the sender: the send buffer
   * frees, the window grows and slides; its SACK blocks may show holes to
   * retransmit.
   */
  private ackArrives(upTo: number, sacks: readonly SequenceRange[]): void {
    if (upTo < this.ackedUpTo || (upTo === this.ackedUpTo && sacks.length === 0 && !this.recovery.inRecovery)) return;
    const now = this.transport.now();
    this.lastAckAt = now;
    const acked = upTo - this.ackedUpTo;
    const wasRecovering = this.recovery.inRecovery;
    if (acked > 0) this.acknowledge(upTo, now, wasRecovering);
    const verdict = this.recovery.onAck(this.ackedUpTo, sacks, this.sentUpTo);
    if (verdict.enteredRecovery) this.congestion.onLoss();
    for (const [from, to] of verdict.lost) this.retransmit(from, to - from);
    if (acked > 0 || verdict.lost.length > 0) this.armTimeout(true);
    this.pump();
    this.onChange();
  }

  /** Bytes up to `upTo` are acknowledged: they leave the send buffer, and the window grows (not while recovering from a loss). */
  private acknowledge(upTo: number, now: number, recovering: boolean): void {
    const acked = upTo - this.ackedUpTo;
    // The round trip is that of the newest byte acknowledged, sent with the flight that holds it.
    while (this.sends.peek()!.end < upTo) this.sends.shift();
    const rtt = now - this.sends.peek()!.at;
    if (this.sends.peek()!.end === upTo) this.sends.shift();
    const cwnd = this.congestion.bytes;
    const limited = this.congestion.inSlowStart ? 2 * this.outstanding >= cwnd : this.outstanding + 3 * this.sizes.mss >= cwnd;
    this.ackedUpTo = upTo;
    this.outstanding -= acked;
    this.queued -= acked;
    // Linux's CUBIC ends a round on the first ACK past what had been sent when it began
    // (hystart_update: after(snd_una, end_seq)), not on the ACK that reaches it: a round
    // begins with the first ACK of a train, whose length HyStart then measures.
    const roundEnded = upTo > this.roundEnd;
    if (roundEnded) this.roundEnd = this.sentUpTo;
    // Karn's rule: an ACK that fills a hole dates from the retransmission, not from the bytes' first sending.
    if (recovering) return;
    this.timeout.sample(rtt);
    this.congestion.onAck(acked, rtt, now, limited);
    if (roundEnded) this.congestion.endRound(now);
  }

  /**
   * Starts the retransmission timer if it is not running and bytes are
   * outstanding (or restarts it, as after an ACK that acknowledges new data:
   * RFC 6298, 5.1 and 5.3). Only where segments can be lost.
   */
  private armTimeout(restart = false): void {
    if (this.queue === undefined || this.outstanding === 0) {
      this.timeoutAt = undefined;
      return;
    }
    if (this.timeoutAt !== undefined && !restart) return;
    this.timeoutAt = this.transport.now() + this.timeout.seconds;
    if (this.timerAt === undefined || this.timeoutAt < this.timerAt) this.watchTimeout(this.timeoutAt);
  }

  /**
   * A transport timer at `at` for the retransmission timer: ACKs move the
   * deadline on without a timer each; when it fires before the deadline, it
   * waits again for the rest.
   */
  private watchTimeout(at: number): void {
    this.timerAt = at;
    this.transport.after(at - this.transport.now(), () => {
      if (this.timerAt !== at) return;
      this.timerAt = undefined;
      if (this.timeoutAt === undefined) return;
      if (this.timeoutAt > this.transport.now()) {
        this.watchTimeout(this.timeoutAt);
        return;
      }
      this.timeoutAt = undefined;
      if (this.stopped || this.outstanding === 0) return;
      this.timedOut();
    });
  }

  /** RFC 6298, 5.4 to 5.7: the first unacknowledged bytes go again, the window restarts from one segment, the timeout doubles. */
  private timedOut(): void {
    const [from, to] = this.recovery.timedOut(this.ackedUpTo, this.sentUpTo);
    this.congestion.onTimeout();
    this.timeout.expired();
    this.retransmit(from, to - from);
    this.armTimeout();
    this.onChange();
  }
}
