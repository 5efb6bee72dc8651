import type { Bottleneck } from './tcp/drop-tail.js';

/**
 * How bytes cross the simulated platform. The mediator maps `start` onto a
 * SimGrid comm from `srcHost` to `dstHost` and calls `onDelivered` when the
 * comm completes; tests use a fake that completes on demand. A comm carries
 * wire bytes: what segments or datagrams occupy on a link, headers and
 * framing included (see wire.ts).
 *
 * A connection with bytes under way asks to be followed: it is then looked
 * at from time to time, when it asks each of its transfers how far it got,
 * so that its bytes reach the reader, and its acknowledgments the sender,
 * as they cross rather than when a whole flight has.
 */
export interface Transport {
  /**
   * `wireBytes` cross the route, carrying `payload` bytes of the programs' data (0 for a control segment).
   * `carriage` says what a transport that can lose packets (src/faults) must know to lose this one as Linux would.
   */
  start(srcHost: string, dstHost: string, wireBytes: number, payload: number, onDelivered: () => void, carriage?: Carriage): Transfer;
  /**
   * Calls `look` every so often, at dates when bytes from `srcHost` to
   * `dstHost` may have crossed, for as long as it returns true; `period` is
   * the longest wait between looks the caller wants (the transport may look
   * less often on a slow route, or more seldom than a floor of its own).
   */
  follow(srcHost: string, dstHost: string, period: number, look: () => boolean): void;
  /** Virtual time, in seconds. */
  now(): number;
  /** Runs `action` `seconds` from now (a protocol timer). */
  after(seconds: number, action: () => void): void;
  /** The narrowest link of the route from `srcHost` to `dstHost`, where a queue forms; none where nothing queues (a host to itself, fat pipes). */
  bottleneck(srcHost: string, dstHost: string): Bottleneck | undefined;
}

export interface Transfer {
  /** How many of its bytes have crossed so far (whole bytes); asked only before it is delivered. */
  crossed(): number;
  /** Stops it where it is (a fault cut its path): nothing more crosses, and it is never delivered. */
  cancel(): void;
}

/** What a lost packet means to its sender. */
export interface Carriage {
  /** A datagram that will never arrive: what was sent after it need not wait for it. */
  lost?(): void;
  /** A TCP segment: the socket whose retransmission timer brings it (or the data an ACK acknowledges) through. */
  owner?: SegmentOwner;
  /** An acknowledgment travelling back to `owner`, not a segment `owner` sent. */
  ack?: boolean;
  /** The simulator failed the transfer under way (a state profile turned a host or link of its route off): it is lost, not delivered. */
  cut?(): void;
}

/** The sending end of a TCP connection (or of a handshake), as its retransmission timer sees it. */
export interface SegmentOwner {
  /** The host the sending socket is on. */
  readonly host: string;
  /** Virtual date the connection was set up (or the SYN left): a host that crashed since has forgotten it. */
  readonly since: number;
  /** Whether this is a SYN: Linux's timer starts at 1 s and gives up after tcp_syn_retries. */
  readonly syn: boolean;
  /** A control segment (an RST answering it) of the connection's IP version, on the wire. */
  readonly controlWireBytes: number;
  /** The round trip the sender measured, in seconds: Linux's retransmission timeout derives from it. */
  roundTrip(): number;
  /** TCP_USER_TIMEOUT in seconds, 0 when not set. */
  userTimeout(): number;
  /** The retransmissions gave up: ETIMEDOUT. */
  timedOut(): void;
  /** A retransmission reached a peer that had forgotten the connection: it answered with RST. */
  reset(): void;
}
