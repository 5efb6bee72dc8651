import { describe, expect, it } from 'vitest';
import { AddressBook } from '../../src/net/addresses.js';
import {
  CLASS_IN,
  DnsFormatError,
  RCODE_FORMERR,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  TYPE_A,
  TYPE_AAAA,
  answerDnsMessage,
  buildDnsResponse,
  hostsFile,
  parseDnsQuery,
  resolvConf,
} from '../../src/net/dns.js';

const book = new AddressBook([
  { name: 'alpha', properties: {} },
  { name: 'beta.example', properties: { ip: '192.168.0.9' } },
]);
const lookup = (name: string) => book.entries.find((e) => e.host.toLowerCase() === name.toLowerCase());

/** A query as RFC 1035 section 4.1 lays it out, the way glibc's res_mkquery builds it. */
function query(id: number, name: string, type: number): Buffer {
  const header = [id >> 8, id & 255, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]; // RD set, QDCOUNT 1
  const labels = name.split('.').flatMap((label) => [label.length, ...Buffer.from(label)]);
  return Buffer.from([...header, ...labels, 0, type >> 8, type & 255, 0, 1]);
}

describe('/etc/hosts and /etc/resolv.conf', () => {
  it('maps localhost and every host name to its address, in platform order', () => {
    expect(hostsFile(book)).toBe(
      '127.0.0.1\tlocalhost\n' + '::1\tlocalhost ip6-localhost ip6-loopback\n' + '10.0.0.1\talpha\n' + '192.168.0.9\tbeta.example\n',
    );
  });

  it('leaves out host names that /etc/hosts cannot hold', () => {
    const odd = new AddressBook([
      { name: 'two words', properties: {} },
      { name: 'ok', properties: {} },
    ]);
    expect(hostsFile(odd)).not.toContain('two words');
    expect(hostsFile(odd)).toContain('10.0.0.2\tok\n');
  });

  it('points resolv.conf at the virtual nameserver, one attempt with a one-second timeout', () => {
    expect(resolvConf(book)).toBe('nameserver 10.255.255.53\noptions attempts:1 timeout:1\n');
  });
});

describe('DNS messages', () => {
  it('parses a query built from RFC 1035', () => {
    expect(parseDnsQuery(query(0xbeef, 'alpha', TYPE_A))).toEqual({
      id: 0xbeef,
      flags: 0x0100,
      questions: [{ name: 'alpha', type: TYPE_A, class: CLASS_IN }],
    });
  });

  it('answers an A query for a host with its address, field by field', () => {
    const q = query(0x1234, 'Alpha', TYPE_A);
    const r = buildDnsResponse(parseDnsQuery(q), lookup);
    expect(r.readUInt16BE(0)).toBe(0x1234); // id
    const flags = r.readUInt16BE(2);
    expect(flags & 0x8000).toBe(0x8000); // QR: a response
    expect((flags >> 11) & 15).toBe(0); // opcode QUERY
    expect(flags & 0x0400).toBe(0x0400); // AA
    expect(flags & 0x0100).toBe(0x0100); // RD echoed
    expect(flags & 0x0080).toBe(0x0080); // RA
    expect(flags & 15).toBe(RCODE_NOERROR);
    expect([r.readUInt16BE(4), r.readUInt16BE(6), r.readUInt16BE(8), r.readUInt16BE(10)]).toEqual([1, 1, 0, 0]);
    // The question, echoed as asked (case kept).
    expect(r.subarray(12, q.length)).toEqual(q.subarray(12));
    const answer = r.subarray(q.length);
    expect(answer.length).toBe(16);
    expect(answer.readUInt16BE(0)).toBe(0xc00c); // name: pointer to the question's name
    expect(answer.readUInt16BE(2)).toBe(TYPE_A);
    expect(answer.readUInt16BE(4)).toBe(CLASS_IN);
    expect(answer.readUInt32BE(6)).toBeGreaterThan(0); // TTL
    expect(answer.readUInt16BE(10)).toBe(4); // RDLENGTH
    expect([...answer.subarray(12)]).toEqual([10, 0, 0, 1]);
  });

  it('answers an AAAA query for a known host with its IPv6 address', () => {
    const q = query(7, 'beta.example', TYPE_AAAA);
    const r = buildDnsResponse(parseDnsQuery(q), lookup);
    expect(r.readUInt16BE(2) & 15).toBe(RCODE_NOERROR);
    expect([r.readUInt16BE(4), r.readUInt16BE(6)]).toEqual([1, 1]);
    const answer = r.subarray(q.length);
    expect([answer.readUInt16BE(2), answer.readUInt16BE(10)]).toEqual([TYPE_AAAA, 16]);
    // Assigned from the IPv4 address 192.168.0.9.
    expect(answer.subarray(12).toString('hex')).toBe('fd53696d7465727000000000c0a80009');
  });

  it('answers a query of another type for a known host with no answer and NOERROR', () => {
    const q = query(8, 'alpha', 16 /* TXT */);
    const r = buildDnsResponse(parseDnsQuery(q), lookup);
    expect(r.readUInt16BE(2) & 15).toBe(RCODE_NOERROR);
    expect(r.readUInt16BE(6)).toBe(0);
    expect(r.length).toBe(q.length);
  });

  it('answers NXDOMAIN for an unknown name, echoing the question', () => {
    const q = query(9, 'www.example.com', TYPE_A);
    const r = answerDnsMessage(q, lookup)!;
    expect(r.readUInt16BE(0)).toBe(9);
    expect(r.readUInt16BE(2) & 15).toBe(RCODE_NXDOMAIN);
    expect(r.readUInt16BE(4)).toBe(1);
    expect(r.readUInt16BE(6)).toBe(0);
    expect(r.subarray(12)).toEqual(q.subarray(12));
  });

  it('follows a compression pointer in a question, and refuses one that points forward', () => {
    const first = query(1, 'alpha', TYPE_A);
    first.writeUInt16BE(2, 4);
    const second = Buffer.from([0xc0, 12, 0, TYPE_AAAA, 0, 1]);
    const parsed = parseDnsQuery(Buffer.concat([first, second]));
    expect(parsed.questions.map((q) => [q.name, q.type])).toEqual([
      ['alpha', TYPE_A],
      ['alpha', TYPE_AAAA],
    ]);
    const loop = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    expect(() => parseDnsQuery(loop)).toThrow(DnsFormatError);
  });

  it('answers a cut-short query with FORMERR and ignores datagrams shorter than a header', () => {
    const cut = query(5, 'alpha', TYPE_A).subarray(0, 16);
    const r = answerDnsMessage(cut, lookup)!;
    expect(r.readUInt16BE(0)).toBe(5);
    expect(r.readUInt16BE(2) & 15).toBe(RCODE_FORMERR);
    expect(r.readUInt16BE(4)).toBe(0);
    expect(answerDnsMessage(Buffer.alloc(5), lookup)).toBeNull();
  });
});
