import { formatIpv6, isError } from '../../net/index.js';
import { readPollfds } from '../abi/poll.js';
import { signalName } from '../abi/signal.js';
import { AF_INET, AF_INET6, AF_UNIX, FAMILY_NAMES, SOCKADDR_IN6_SIZE, decodeSockaddrIn, readSockaddr, sockaddrFamily, sockaddrUnPath } from '../abi/socket.js';
import { readTimespec } from '../abi/time.js';
import { readPointer, type TraceeMemory } from '../abi/tracee-memory.js';

/**
 * How --strace shows each argument. Buffers read by the kernel are shown from
 * the argument's length; buffers it fills, from the result.
 */
// biome-ignore format: the kinds, packed
export type ArgumentKind =
  | 'int' | 'uint' | 'hex' | 'fd' | 'dirfd' | 'path' | 'inbuf' | 'outbuf' | 'size'
  | 'openflags' | 'mode' | 'prot' | 'mmapflags' | 'signal' | 'clockid' | 'timespec'
  | 'sockaddr' | 'family' | 'socktype' | 'argv' | 'cloneflags' | 'futexop' | 'whence' | 'pollfds';

const MAX_STRING = 32;

export const SIGNATURES: Readonly<Record<string, readonly ArgumentKind[]>> = {
  read: ['fd', 'outbuf', 'size'],
  write: ['fd', 'inbuf', 'size'],
  pread64: ['fd', 'outbuf', 'size', 'int'],
  pwrite64: ['fd', 'inbuf', 'size', 'int'],
  open: ['path', 'openflags', 'mode'],
  openat: ['dirfd', 'path', 'openflags', 'mode'],
  close: ['fd'],
  stat: ['path', 'hex'],
  lstat: ['path', 'hex'],
  fstat: ['fd', 'hex'],
  newfstatat: ['dirfd', 'path', 'hex', 'hex'],
  statx: ['dirfd', 'path', 'hex', 'hex', 'hex'],
  access: ['path', 'int'],
  faccessat: ['dirfd', 'path', 'int'],
  faccessat2: ['dirfd', 'path', 'int', 'hex'],
  readlink: ['path', 'outbuf', 'size'],
  readlinkat: ['dirfd', 'path', 'outbuf', 'size'],
  unlink: ['path'],
  unlinkat: ['dirfd', 'path', 'hex'],
  mkdir: ['path', 'mode'],
  chdir: ['path'],
  lseek: ['fd', 'int', 'whence'],
  mmap: ['hex', 'size', 'prot', 'mmapflags', 'fd', 'hex'],
  mprotect: ['hex', 'size', 'prot'],
  munmap: ['hex', 'size'],
  brk: ['hex'],
  dup: ['fd'],
  dup2: ['fd', 'fd'],
  dup3: ['fd', 'fd', 'hex'],
  pipe: ['hex'],
  pipe2: ['hex', 'openflags'],
  kill: ['int', 'signal'],
  tkill: ['int', 'signal'],
  tgkill: ['int', 'int', 'signal'],
  rt_sigaction: ['signal', 'hex', 'hex', 'size'],
  clock_gettime: ['clockid', 'hex'],
  clock_nanosleep: ['clockid', 'hex', 'timespec', 'hex'],
  nanosleep: ['timespec', 'hex'],
  socket: ['family', 'socktype', 'int'],
  connect: ['fd', 'sockaddr', 'size'],
  bind: ['fd', 'sockaddr', 'size'],
  accept: ['fd', 'hex', 'hex'],
  accept4: ['fd', 'hex', 'hex', 'hex'],
  listen: ['fd', 'int'],
  sendto: ['fd', 'inbuf', 'size', 'hex', 'sockaddr', 'size'],
  recvfrom: ['fd', 'outbuf', 'size', 'hex', 'hex', 'hex'],
  execve: ['path', 'argv', 'hex'],
  execveat: ['dirfd', 'path', 'argv', 'hex', 'hex'],
  clone: ['cloneflags', 'hex', 'hex', 'hex', 'hex'],
  exit: ['int'],
  exit_group: ['int'],
  wait4: ['int', 'hex', 'hex', 'hex'],
  futex: ['hex', 'futexop', 'int', 'hex', 'hex', 'hex'],
  poll: ['pollfds', 'uint', 'int'],
  getpid: [],
  getppid: [],
  gettid: [],
  fork: [],
  vfork: [],
  pause: [],
  sched_yield: [],
};

function quote(bytes: Buffer, truncated: boolean): string {
  let text = '"';
  for (const byte of bytes) {
    if (byte === 0x22) text += '\\"';
    else if (byte === 0x5c) text += '\\\\';
    else if (byte === 0x0a) text += '\\n';
    else if (byte === 0x09) text += '\\t';
    else if (byte === 0x0d) text += '\\r';
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${text}"${truncated ? '...' : ''}`;
}

function buffer(memory: TraceeMemory, address: number, length: number): string {
  if (address === 0) return 'NULL';
  const shown = Math.min(Math.max(0, length), MAX_STRING);
  return quote(memory.read(address, shown), length > MAX_STRING);
}

function flags(value: number, names: ReadonlyArray<[number, string]>, zero = '0'): string {
  const parts: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of names) {
    if (bit !== 0 && (rest & bit) === bit) {
      parts.push(name);
      rest &= ~bit >>> 0;
    }
  }
  if (rest !== 0) parts.push(`0x${rest.toString(16)}`);
  return parts.length === 0 ? zero : parts.join('|');
}

// biome-ignore format: a table packed as strace lists it reads better than one name per line
const OPEN_FLAGS: ReadonlyArray<[number, string]> = [
  [0o100, 'O_CREAT'], [0o200, 'O_EXCL'], [0o400, 'O_NOCTTY'], [0o1000, 'O_TRUNC'], [0o2000, 'O_APPEND'],
  [0o4000, 'O_NONBLOCK'], [0o10000, 'O_DSYNC'], [0o200000, 'O_DIRECTORY'], [0o400000, 'O_NOFOLLOW'], [0o2000000, 'O_CLOEXEC'],
  [0o1000000, 'O_NOATIME'], [0o10000000, 'O_PATH'], [0o20000000, 'O_TMPFILE'],
];
const PROT: ReadonlyArray<[number, string]> = [
  [1, 'PROT_READ'],
  [2, 'PROT_WRITE'],
  [4, 'PROT_EXEC'],
];
// biome-ignore format: a table packed as strace lists it reads better than one name per line
const MMAP_FLAGS: ReadonlyArray<[number, string]> = [
  [0x01, 'MAP_SHARED'], [0x02, 'MAP_PRIVATE'], [0x10, 'MAP_FIXED'], [0x20, 'MAP_ANONYMOUS'], [0x100, 'MAP_GROWSDOWN'],
  [0x800, 'MAP_DENYWRITE'], [0x4000, 'MAP_NORESERVE'], [0x8000, 'MAP_POPULATE'], [0x20000, 'MAP_STACK'], [0x100000, 'MAP_FIXED_NOREPLACE'],
];
// biome-ignore format: a table packed as strace lists it reads better than one name per line
const CLONE_FLAGS: ReadonlyArray<[number, string]> = [
  [0x100, 'CLONE_VM'], [0x200, 'CLONE_FS'], [0x400, 'CLONE_FILES'], [0x800, 'CLONE_SIGHAND'], [0x4000, 'CLONE_VFORK'],
  [0x8000, 'CLONE_PARENT'], [0x10000, 'CLONE_THREAD'], [0x80000, 'CLONE_SETTLS'], [0x100000, 'CLONE_PARENT_SETTID'],
  [0x200000, 'CLONE_CHILD_CLEARTID'], [0x1000000, 'CLONE_CHILD_SETTID'], [0x40000, 'CLONE_SYSVSEM'],
];
// biome-ignore format: a table packed as strace lists it reads better than one name per line
const CLOCKS = ['CLOCK_REALTIME', 'CLOCK_MONOTONIC', 'CLOCK_PROCESS_CPUTIME_ID', 'CLOCK_THREAD_CPUTIME_ID', 'CLOCK_MONOTONIC_RAW',
  'CLOCK_REALTIME_COARSE', 'CLOCK_MONOTONIC_COARSE', 'CLOCK_BOOTTIME'];
const SOCKET_TYPES: Record<number, string> = { 1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 5: 'SOCK_SEQPACKET' };
// biome-ignore format: a table packed as strace lists it reads better than one name per line
const FUTEX_OPS = ['FUTEX_WAIT', 'FUTEX_WAKE', 'FUTEX_FD', 'FUTEX_REQUEUE', 'FUTEX_CMP_REQUEUE', 'FUTEX_WAKE_OP', 'FUTEX_LOCK_PI',
  'FUTEX_UNLOCK_PI', 'FUTEX_TRYLOCK_PI', 'FUTEX_WAIT_BITSET', 'FUTEX_WAKE_BITSET', 'FUTEX_WAIT_REQUEUE_PI', 'FUTEX_CMP_REQUEUE_PI'];

function sockaddr(memory: TraceeMemory, address: number, length: number): string {
  if (address === 0) return 'NULL';
  const data = readSockaddr(memory, address, Math.max(length, 2));
  const family = sockaddrFamily(data);
  if (family === AF_INET) {
    const endpoint = decodeSockaddrIn(data);
    if (!isError(endpoint)) return `{sa_family=AF_INET, sin_port=htons(${endpoint.port}), sin_addr=inet_addr("${endpoint.address}")}`;
  }
  if (family === AF_UNIX) return `{sa_family=AF_UNIX, sun_path=${quote(sockaddrUnPath(data), false)}}`;
  if (family === AF_INET6 && data.length >= SOCKADDR_IN6_SIZE) {
    const port = data.readUInt16BE(2);
    const address = formatIpv6(data.subarray(8, 24));
    return `{sa_family=AF_INET6, sin6_port=htons(${port}), sin6_flowinfo=htonl(${data.readUInt32BE(4)}), inet_pton(AF_INET6, "${address}", &sin6_addr), sin6_scope_id=${data.readUInt32LE(24)}}`;
  }
  return `{sa_family=${family === null ? '?' : (FAMILY_NAMES[family] ?? family)}}`;
}

function argv(memory: TraceeMemory, address: number): string {
  if (address === 0) return 'NULL';
  const shown: string[] = [];
  for (let i = 0; i < 8; i++) {
    const pointer = readPointer(memory, address, i);
    if (pointer === 0) return `[${shown.join(', ')}]`;
    shown.push(quote(Buffer.from(memory.cString(pointer, MAX_STRING + 1)), false));
  }
  return `[${shown.join(', ')}, ...]`;
}

function pollfds(memory: TraceeMemory, address: number, count: number): string {
  if (address === 0) return 'NULL';
  const entries = readPollfds(memory, address, Math.min(count, 8)).map(({ fd, events }) => `{fd=${fd}, events=0x${events.toString(16)}}`);
  return `[${entries.join(', ')}${count > entries.length ? ', ...' : ''}]`;
}

function timespec(memory: TraceeMemory, address: number): string {
  if (address === 0) return 'NULL';
  const { seconds, nanoseconds } = readTimespec(memory, address);
  return `{tv_sec=${seconds}, tv_nsec=${nanoseconds}}`;
}

export function formatArgument(kind: ArgumentKind, args: readonly number[], index: number, result: number | undefined, memory: TraceeMemory): string {
  const value = args[index]!;
  switch (kind) {
    case 'int':
    case 'fd':
      return String(value | 0);
    case 'dirfd':
      return (value | 0) === -100 ? 'AT_FDCWD' : String(value | 0);
    case 'uint':
    case 'size':
      return String(value);
    case 'hex':
      return value === 0 ? '0' : value < 0 ? String(value) : `0x${value.toString(16)}`;
    case 'path':
      return value === 0 ? 'NULL' : quote(Buffer.from(memory.cString(value, 4096)), false);
    case 'inbuf':
      return buffer(memory, value, args[index + 1]!);
    case 'outbuf':
      return result === undefined || result < 0 ? `0x${value.toString(16)}` : buffer(memory, value, result);
    case 'openflags': {
      const access = ['O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_ACCMODE'][value & 3]!;
      const rest = flags(value & ~3, OPEN_FLAGS, '');
      return rest === '' ? access : `${access}|${rest}`;
    }
    case 'mode':
      return `0${(value >>> 0).toString(8)}`;
    case 'prot':
      return flags(value, PROT, 'PROT_NONE');
    case 'mmapflags':
      return flags(value, MMAP_FLAGS);
    case 'cloneflags': {
      const signal = value & 0xff;
      const rest = flags(value & ~0xff, CLONE_FLAGS, '');
      const parts = [rest, signal === 0 ? '' : (signalName(signal) ?? String(signal))].filter((p) => p !== '');
      return parts.length === 0 ? '0' : `flags=${parts.join('|')}`;
    }
    case 'signal':
      return (value | 0) === 0 ? '0' : (signalName(value | 0) ?? `SIGRT_${(value | 0) - 32}`);
    case 'clockid':
      return CLOCKS[value | 0] ?? String(value | 0);
    case 'timespec':
      return timespec(memory, value);
    case 'sockaddr':
      return sockaddr(memory, value, args[index + 1]!);
    case 'family':
      return FAMILY_NAMES[value | 0] ?? String(value | 0);
    case 'socktype': {
      const type = SOCKET_TYPES[value & 0xf] ?? String(value & 0xf);
      const extra = [(value & 0o4000) !== 0 ? 'SOCK_NONBLOCK' : '', (value & 0o2000000) !== 0 ? 'SOCK_CLOEXEC' : ''].filter((p) => p !== '');
      return [type, ...extra].join('|');
    }
    case 'argv':
      return argv(memory, value);
    case 'futexop': {
      const base = FUTEX_OPS[value & 127] ?? String(value & 127);
      return `${base}${(value & 128) !== 0 ? '_PRIVATE' : ''}${(value & 256) !== 0 ? '|FUTEX_CLOCK_REALTIME' : ''}`;
    }
    case 'whence':
      return ['SEEK_SET', 'SEEK_CUR', 'SEEK_END', 'SEEK_DATA', 'SEEK_HOLE'][value] ?? String(value);
    case 'pollfds':
      return pollfds(memory, value, args[index + 1]!);
  }
}
