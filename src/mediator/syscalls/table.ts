import { syscallName, syscallNumber } from '../abi/syscall-numbers.js';
import type { FamilyTable, SyscallEntry } from './context.js';
import { O_PATH } from '../abi/fd.js';
import { SYSCALL_NAMES } from '../abi/syscall-names.js';
import { futexSyscalls } from './handlers/futex.js';
import { identitySyscalls } from './handlers/identity.js';
import { ioSyscalls } from './handlers/io.js';
import { pollSyscalls } from './handlers/poll.js';
import { processSyscalls } from './handlers/process.js';
import { refusedSyscalls } from './handlers/refused.js';
import { namespaceSyscalls } from './handlers/namespaces.js';
import { signalSyscalls } from './handlers/signal.js';
import { timeSyscalls } from './handlers/time.js';
import { timerfdSyscalls } from './handlers/timerfd.js';
import { posixTimerSyscalls } from './handlers/posix-timers.js';
import { socketSyscalls } from './handlers/socket.js';
import { fdSyscalls } from './handlers/fd.js';
import { epollSyscalls } from './handlers/epoll.js';
import { randomSyscalls } from './handlers/random.js';
import { fileOpenSyscalls } from './handlers/file-open.js';
import { cpuSyscalls } from './handlers/cpus.js';
import { ipcSyscalls } from './handlers/ipc.js';
import { ipcPidSyscalls } from './handlers/ipc-pids.js';

/**
 * The one table: every x86_64 syscall number → name, support level, handler,
 * note. It decides which numbers the seccomp filter traps, names calls in
 * --strace and errors, and is what `simterpose syscalls` lists.
 */
const FAMILIES: readonly FamilyTable[] = [
  processSyscalls,
  namespaceSyscalls,
  signalSyscalls,
  futexSyscalls,
  ioSyscalls,
  pollSyscalls,
  timeSyscalls,
  timerfdSyscalls,
  posixTimerSyscalls,
  socketSyscalls,
  fdSyscalls,
  epollSyscalls,
  identitySyscalls,
  randomSyscalls,
  fileOpenSyscalls,
  cpuSyscalls,
  ipcSyscalls,
  ipcPidSyscalls,
  refusedSyscalls,
];

function build(): Map<number, SyscallEntry> {
  const byName = new Map<string, FamilyTable[string]>();
  for (const family of FAMILIES) {
    for (const [name, entry] of Object.entries(family)) {
      if (byName.has(name)) throw new Error(`syscall ${name} is claimed by two handler families`);
      byName.set(name, entry);
    }
  }
  const table = new Map<number, SyscallEntry>();
  for (const [number, name] of SYSCALL_NAMES) {
    const entry = byName.get(name);
    table.set(number, { number, name, level: 'native', ...entry });
    byName.delete(name);
  }
  if (byName.size > 0) throw new Error(`handlers for unknown syscalls: ${[...byName.keys()].join(', ')}`);
  return table;
}

export const SYSCALLS: ReadonlyMap<number, SyscallEntry> = build();

export { syscallName, syscallNumber };

/**
 * The syscalls sent to the mediator as seccomp user notifications rather
 * than ptrace stops (unless --no-notify-syscalls): the calls that carry a
 * socket's bytes, and those a program makes by the thousand whose handlers
 * only answer (ids, clocks, yields, directory listings, random bytes), only
 * follow the call and let it run (closes) or, for opens, let the call
 * run or hand over a descriptor the mediator opened (loop/tracer.ts). A notification costs less than a stop, but a
 * notified call cannot have its arguments rewritten or stop at its exit:
 * these handlers only copy memory and decide a result, or let the call run
 * as it was made (Dispatcher.answer refuses anything else).
 */
const NOTIFIED = new Set([
  'read',
  'write',
  'readv',
  'writev',
  'sendto',
  'recvfrom',
  'sendmsg',
  'recvmsg',
  'getpid',
  'gettid',
  'getppid',
  'clock_gettime',
  'clock_getres',
  'gettimeofday',
  'time',
  'getdents64',
  'sched_yield',
  'open',
  'openat',
  'close',
  'getrandom',
]);

/**
 * Notified calls that stop instead when a flag is set in an argument: an
 * O_PATH descriptor cannot be handed over by notification (the kernel's
 * SECCOMP_IOCTL_NOTIF_ADDFD refuses one, EBADF), so an O_PATH open of a
 * served file needs its path rewritten at a stop. openat2's flags are in
 * memory, out of the filter's sight: it always stops.
 */
const STOPPED_WITH_FLAG: ReadonlyMap<string, { readonly argument: number; readonly bits: number }> = new Map([
  ['open', { argument: 1, bits: O_PATH }],
  ['openat', { argument: 2, bits: O_PATH }],
]);

/** Of the notified numbers, those that stop for some of their arguments' values. */
export function notifiedStops(notified: readonly number[]): { syscall: number; argument: number; bits: number }[] {
  return notified.flatMap((syscall) => {
    const stop = STOPPED_WITH_FLAG.get(syscallName(syscall));
    return stop === undefined ? [] : [{ syscall, ...stop }];
  });
}

/** Of the trapped numbers, those that stop only for some values of an argument (SyscallEntry.stopsOnlyWhen). */
export function stopGates(trapped: readonly number[]): { syscall: number; argument: number; oneOf?: number[] }[] {
  return trapped.flatMap((syscall) => {
    const gate = SYSCALLS.get(syscall)?.stopsOnlyWhen;
    if (gate === undefined) return [];
    return [gate.oneOf === undefined ? { syscall, argument: gate.argument } : { syscall, argument: gate.argument, oneOf: [...gate.oneOf] }];
  });
}

/** Of the trapped numbers, those to notify; none when execve is left native (its stop is where spawn takes the listener). */
export function notifiedNumbers(untrapped: ReadonlySet<string> = new Set()): number[] {
  if (untrapped.has('execve')) return [];
  return trappedNumbers(untrapped).filter((number) => NOTIFIED.has(syscallName(number)));
}

/** The numbers the seccomp filter must trap, minus those the user asked to leave native. */
export function trappedNumbers(untrapped: ReadonlySet<string> = new Set()): number[] {
  return [...SYSCALLS.values()].filter((entry) => entry.level !== 'native' && !untrapped.has(entry.name)).map((entry) => entry.number);
}
