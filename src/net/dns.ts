import type { AddressBook } from './addresses.js';
import { parseIpv4 } from './ipv4.js';
import { parseIpv6 } from './ipv6.js';

/**
 * Name resolution for tracees: a generated /etc/hosts and /etc/resolv.conf,
 * and a minimal DNS server codec (RFC 1035 wire format) for programs that ask
 * the nameserver directly. A and AAAA queries get answers (the host's IPv4
 * and IPv6 addresses). /etc/hosts lists the IPv4 addresses only: glibc
 * finds a host there for AF_INET and AF_UNSPEC lookups, as programs always
 * did, and asks the nameserver's AAAA record for AF_INET6 ones, as on a
 * network whose DNS alone knows IPv6 addresses.
 */

export const DNS_PORT = 53;
export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const TYPE_PTR = 12;
export const CLASS_IN = 1;

export const RCODE_NOERROR = 0;
export const RCODE_FORMERR = 1;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

const HEADER_SIZE = 12;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_RD = 0x0100;
const FLAG_RA = 0x0080;
const OPCODE_MASK = 0x7800;
/** Pointer to the question name, which always starts right after the header. */
const POINTER_TO_QUESTION = 0xc000 | HEADER_SIZE;
/** Addresses never change during a run; an hour keeps resolvers from asking again. */
const ANSWER_TTL = 3600;
const MAX_POINTER_HOPS = 16;

/** Host names that cannot sit in /etc/hosts (a field separator or comment in them) are left out. */
const HOSTS_FILE_NAME = /^[^\s#]+$/;

export function hostsFile(book: AddressBook): string {
  const lines = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback'];
  for (const { host, address } of book.entries) {
    if (HOSTS_FILE_NAME.test(host)) lines.push(`${address}\t${host}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One attempt, one second: a lost query should fail fast in virtual time, not retry for half a minute. */
export function resolvConf(book: AddressBook): string {
  return `nameserver ${book.nameserver}\noptions attempts:1 timeout:1\n`;
}

export interface DnsQuestion {
  /** As the query spells it (DNS names compare case-insensitively), without the trailing dot. */
  name: string;
  type: number;
  class: number;
}

export interface DnsQuery {
  id: number;
  flags: number;
  questions: DnsQuestion[];
}

export class DnsFormatError extends Error {}

export function parseDnsQuery(message: Buffer): DnsQuery {
  if (message.length < HEADER_SIZE) throw new DnsFormatError(`message of ${message.length} bytes is shorter than a header`);
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if (flags & FLAG_QR) throw new DnsFormatError('message is a response, not a query');
  const count = message.readUInt16BE(4);
  const questions: DnsQuestion[] = [];
  let offset = HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    const { name, end } = readName(message, offset);
    if (end + 4 > message.length) throw new DnsFormatError('question is cut short');
    questions.push({ name, type: message.readUInt16BE(end), class: message.readUInt16BE(end + 2) });
    offset = end + 4;
  }
  return { id, flags, questions };
}

/**
 * Reads a domain name at `offset`; `end` is where the record goes on. A
 * question cannot hold a compression pointer (nothing precedes it to point
 * to) but pointers are followed anyway, backwards only, so loops cannot occur.
 */
function readName(message: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let end: number | null = null;
  let hops = 0;
  for (;;) {
    if (offset >= message.length) throw new DnsFormatError('name runs past the end of the message');
    const length = message[offset]!;
    if (length === 0) {
      end ??= offset + 1;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (offset + 1 >= message.length) throw new DnsFormatError('compression pointer is cut short');
      const target = message.readUInt16BE(offset) & 0x3fff;
      if (target >= offset || ++hops > MAX_POINTER_HOPS) throw new DnsFormatError('compression pointer does not point back');
      end ??= offset + 2;
      offset = target;
      continue;
    }
    if (length & 0xc0) throw new DnsFormatError(`label type 0x${(length & 0xc0).toString(16)} is not supported`);
    if (offset + 1 + length > message.length) throw new DnsFormatError('label runs past the end of the message');
    labels.push(message.toString('latin1', offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  return { name: labels.join('.'), end };
}

function encodeName(name: string): Buffer {
  const parts = name === '' ? [] : name.split('.');
  const pieces = parts.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(label, 'latin1')]));
  return Buffer.concat([...pieces, Buffer.from([0])]);
}

/** A known name's addresses, as the nameserver gives them. */
export interface NamedHost {
  address: string;
  address6?: string;
}

/** The address a reverse-lookup name (d.c.b.a.in-addr.arpa) stands for, or undefined. */
function reverseLookupAddress(name: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.in-addr\.arpa\.?$/i.exec(name);
  return match === null ? undefined : `${match[4]}.${match[3]}.${match[2]}.${match[1]}`;
}

/**
 * The answer to one query. `lookup` gives the addresses of a known name
 * (it must compare names case-insensitively).
 * Anything but one question of class IN is refused with FORMERR (as most
 * servers do with several questions), other opcodes with NOTIMP; a known name
 * asked for another type than A or AAAA gets NOERROR and no answer.
 */
export function buildDnsResponse(
  query: DnsQuery,
  lookup: (name: string) => NamedHost | undefined,
  reverse: (address: string) => string | undefined = () => undefined,
): Buffer {
  const opcode = query.flags & OPCODE_MASK;
  const question = query.questions.length === 1 ? query.questions[0]! : undefined;
  let rcode: number;
  let address: Buffer | undefined;
  let pointer: string | undefined;
  if (opcode !== 0) {
    rcode = RCODE_NOTIMP;
  } else if (question === undefined || question.class !== CLASS_IN) {
    rcode = RCODE_FORMERR;
  } else if (question.type === TYPE_PTR) {
    const reversed = reverseLookupAddress(question.name);
    pointer = reversed === undefined ? undefined : reverse(reversed);
    rcode = pointer === undefined ? RCODE_NXDOMAIN : RCODE_NOERROR;
  } else {
    const host = lookup(question.name);
    rcode = host === undefined ? RCODE_NXDOMAIN : RCODE_NOERROR;
    if (host !== undefined) address = recordData(host, question.type);
  }
  const echoed = rcode === RCODE_FORMERR ? [] : query.questions;
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(FLAG_QR | opcode | FLAG_AA | (query.flags & FLAG_RD) | FLAG_RA | rcode, 2);
  header.writeUInt16BE(echoed.length, 4);
  header.writeUInt16BE(address === undefined && pointer === undefined ? 0 : 1, 6);
  const parts: Buffer[] = [header];
  for (const q of echoed) {
    const fixed = Buffer.alloc(4);
    fixed.writeUInt16BE(q.type, 0);
    fixed.writeUInt16BE(q.class, 2);
    parts.push(encodeName(q.name), fixed);
  }
  if (address !== undefined) {
    const answer = Buffer.alloc(12);
    answer.writeUInt16BE(POINTER_TO_QUESTION, 0);
    answer.writeUInt16BE(address.length === 4 ? TYPE_A : TYPE_AAAA, 2);
    answer.writeUInt16BE(CLASS_IN, 4);
    answer.writeUInt32BE(ANSWER_TTL, 6);
    answer.writeUInt16BE(address.length, 10);
    parts.push(answer, address);
  }
  if (pointer !== undefined) {
    const target = encodeName(pointer);
    const answer = Buffer.alloc(12);
    answer.writeUInt16BE(POINTER_TO_QUESTION, 0);
    answer.writeUInt16BE(TYPE_PTR, 2);
    answer.writeUInt16BE(CLASS_IN, 4);
    answer.writeUInt32BE(ANSWER_TTL, 6);
    answer.writeUInt16BE(target.length, 10);
    parts.push(answer, target);
  }
  return Buffer.concat(parts);
}

/** The RDATA of a host's A or AAAA record (4 or 16 bytes); undefined for another type, or an AAAA the host lacks. */
function recordData(host: NamedHost, type: number): Buffer | undefined {
  if (type === TYPE_A) {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt32BE(parseIpv4(host.address)!);
    return bytes;
  }
  return type === TYPE_AAAA && host.address6 !== undefined ? parseIpv6(host.address6)! : undefined;
}

/**
 * The nameserver's reply to a datagram: FORMERR for a query it cannot parse
 * (if at least the id can be echoed), nothing for a datagram too short for
 * that or that is itself a response.
 */
export function answerDnsMessage(
  message: Buffer,
  lookup: (name: string) => NamedHost | undefined,
  reverse: (address: string) => string | undefined = () => undefined,
): Buffer | null {
  try {
    return buildDnsResponse(parseDnsQuery(message), lookup, reverse);
  } catch (error) {
    if (!(error instanceof DnsFormatError)) throw error;
    if (message.length < HEADER_SIZE || message.readUInt16BE(2) & FLAG_QR) return null;
    return buildDnsResponse({ id: message.readUInt16BE(0), flags: message.readUInt16BE(2) & ~OPCODE_MASK, questions: [] }, lookup);
  }
}
