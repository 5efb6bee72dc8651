import { describe, expect, it } from 'vitest';
import type { TraceeMemory } from '../../src/mediator/abi/tracee-memory.js';
import { formatArgument } from '../../src/mediator/strace/arguments.js';
import { StraceFormatter } from '../../src/mediator/strace/formatter.js';
import { SignalActions } from '../../src/mediator/tracees/signal-actions.js';
import { TraceeTable } from '../../src/mediator/tracees/tracees.js';
import { syscallNumber } from '../../src/mediator/syscalls/table.js';

/** These arguments are decoded from their value alone: reading memory would be a mistake. */
const noMemory: TraceeMemory = {
  read: () => {
    throw new Error('no memory read expected');
  },
  readInto: () => {
    throw new Error('no memory read expected');
  },
  write: () => {
    throw new Error('no memory write expected');
  },
  cString: () => {
    throw new Error('no memory read expected');
  },
};

describe('strace argument decoding', () => {
  it('decodes open flags with the access mode first', () => {
    expect(formatArgument('openflags', [0o2000101], 0, 0, noMemory)).toBe('O_WRONLY|O_CREAT|O_CLOEXEC');
    expect(formatArgument('openflags', [0], 0, 0, noMemory)).toBe('O_RDONLY');
  });

  it('decodes memory protections, mmap and clone flags', () => {
    expect(formatArgument('prot', [3], 0, 0, noMemory)).toBe('PROT_READ|PROT_WRITE');
    expect(formatArgument('prot', [0], 0, 0, noMemory)).toBe('PROT_NONE');
    expect(formatArgument('mmapflags', [0x22], 0, 0, noMemory)).toBe('MAP_PRIVATE|MAP_ANONYMOUS');
    expect(formatArgument('cloneflags', [0x1200011], 0, 0, noMemory)).toBe('flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD');
  });

  it('names signals, clocks, socket families and futex operations', () => {
    expect(formatArgument('signal', [15], 0, 0, noMemory)).toBe('SIGTERM');
    expect(formatArgument('clockid', [1], 0, 0, noMemory)).toBe('CLOCK_MONOTONIC');
    expect(formatArgument('family', [2], 0, 0, noMemory)).toBe('AF_INET');
    expect(formatArgument('socktype', [1 | 0o4000], 0, 0, noMemory)).toBe('SOCK_STREAM|SOCK_NONBLOCK');
    expect(formatArgument('futexop', [128 + 9], 0, 0, noMemory)).toBe('FUTEX_WAIT_BITSET_PRIVATE');
  });

  it('decodes a sockaddr_in6 as strace does', () => {
    const address = Buffer.alloc(28);
    address.writeUInt16LE(10, 0);
    address.writeUInt16BE(8000, 2);
    address.writeUInt16BE(0xffff, 18);
    address.writeUInt32BE(0x7f000001, 20);
    const memory: TraceeMemory = { ...noMemory, read: (_at, length) => address.subarray(0, length) };
    expect(formatArgument('sockaddr', [3, 0x1000, 28], 1, 0, memory)).toBe(
      '{sa_family=AF_INET6, sin6_port=htons(8000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}',
    );
  });

  it('shows AT_FDCWD and negative descriptors as C would', () => {
    expect(formatArgument('dirfd', [-100], 0, 0, noMemory)).toBe('AT_FDCWD');
    expect(formatArgument('fd', [4294967295], 0, 0, noMemory)).toBe('-1');
  });
});

describe('strace lines', () => {
  const tracees = new TraceeTable();
  const process = tracees.addProcess(42, undefined, 'app', 'alice', new SignalActions(), 0);
  const thread = tracees.addThread(42, process);

  function line(name: string, args: number[], result: number): string {
    const lines: string[] = [];
    const formatter = new StraceFormatter(
      (text) => lines.push(text),
      () => 1.5,
    );
    thread.syscall = { sysno: syscallNumber(name)!, args };
    formatter.finished(thread, result);
    return lines.join('');
  }

  it('prefixes each call with host, virtual tid and virtual time, and shows the result', () => {
    expect(line('close', [3], 0)).toBe('[alice 1000 1.500000] close(3) = 0\n');
  });

  it('shows a failure as -1, the errno name and its message', () => {
    expect(line('close', [99], -9)).toBe('[alice 1000 1.500000] close(99) = -1 EBADF (bad file descriptor)\n');
  });

  it('shows a signal sent by name', () => {
    expect(line('kill', [7, 10], 0)).toBe('[alice 1000 1.500000] kill(7, SIGUSR1) = 0\n');
  });
});
