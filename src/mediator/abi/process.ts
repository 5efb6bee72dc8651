import type { TraceeMemory } from './tracee-memory.js';

export const CLONE_VM = 0x100;
export const CLONE_FILES = 0x400;
export const CLONE_SIGHAND = 0x800;
export const CLONE_VFORK = 0x4000;
export const CLONE_PARENT = 0x8000;
export const CLONE_THREAD = 0x10000;
export const CLONE_PARENT_SETTID = 0x100000;
export const CLONE_UNTRACED = 0x800000;
export const CLONE_CHILD_CLEARTID = 0x200000;
export const CLONE_CHILD_SETTID = 0x1000000;

/** The flags that make new namespaces; CLONE_NEWTIME only in unshare and clone3 (in clone's flags, 0x80 is part of the exit signal). */
export const CLONE_NEWTIME = 0x80;
export const CLONE_NAMESPACES =
  0x20000 /* CLONE_NEWNS */ |
  0x2000000 /* CLONE_NEWCGROUP */ |
  0x4000000 /* CLONE_NEWUTS */ |
  0x8000000 /* CLONE_NEWIPC */ |
  0x10000000 /* CLONE_NEWUSER */ |
  0x20000000 /* CLONE_NEWPID */ |
  0x40000000; /* CLONE_NEWNET */

/**
 * clone3's struct clone_args, as the program passed it: `size` bytes, which
 * the kernel takes only from its first version's 64 bytes to a page.
 */
const CLONE_ARGS_SIZE_VER0 = 64;
const CLONE_ARGS_SIZE_MAX = 4096;

export const cloneArgsSizeAccepted = (size: number): boolean => size >= CLONE_ARGS_SIZE_VER0 && size <= CLONE_ARGS_SIZE_MAX;

/** What a struct clone_args holds that the mediator needs: flags @0, child_tid @16, parent_tid @24. */
export function cloneArgsFields(bytes: Buffer): { flags: number; childTid: number; parentTid: number } {
  return { flags: Number(bytes.readBigUInt64LE(0)), childTid: Number(bytes.readBigUInt64LE(16)), parentTid: Number(bytes.readBigUInt64LE(24)) };
}

/** struct clone_args's flags whole (64 bits) and exit_signal (@32), as clone3_args_valid checks them. */
export function cloneArgsValidityFields(bytes: Buffer): { flags: bigint; exitSignal: bigint } {
  return { flags: bytes.readBigUInt64LE(0), exitSignal: bytes.readBigUInt64LE(32) };
}

/** Clears `flag` in a struct clone_args's 64-bit flags. */
export function clearCloneArgsFlag(bytes: Buffer, flag: number): void {
  bytes.writeBigUInt64LE(bytes.readBigUInt64LE(0) & ~BigInt(flag), 0);
}

export const WNOHANG = 1;
/** wait4's WUNTRACED, waitid's WSTOPPED: report children stopped by a signal. */
export const WUNTRACED = 2;
/** waitid only: report children that exited (wait4 always does). */
export const WEXITED = 4;
/** Report children a SIGCONT resumed. */
export const WCONTINUED = 8;
export const WNOWAIT = 0x01000000;
/** wait4's status of a child stopped by `signal` (WIFSTOPPED, WSTOPSIG). */
export const stoppedWaitStatus = (signal: number): number => (signal << 8) | 0x7f;
/** wait4's status of a child resumed by SIGCONT (WIFCONTINUED). */
export const CONTINUED_WAIT_STATUS = 0xffff;
/** sizeof(struct rusage), which wait4 fills for the child it reports. */
export const RUSAGE_SIZE = 144;
export const P_ALL = 0;
export const P_PID = 1;
export const P_PGID = 2;

export const PRIO_PROCESS = 0;
export const PRIO_PGRP = 1;
export const IOPRIO_WHO_PROCESS = 1;
export const IOPRIO_WHO_PGRP = 2;

/** perf_event_open's flag that makes its pid argument a cgroup's descriptor. */
export const PERF_FLAG_PID_CGROUP = 1 << 2;

export const PTRACE_TRACEME = 0;
export const PTRACE_ATTACH = 16;
export const PTRACE_SEIZE = 0x4206;

/** struct utsname: six fields of 65 bytes; nodename is the second. */
const UTS_FIELD = 65;

export function writeUtsNodename(memory: TraceeMemory, address: number, name: string): void {
  const field = Buffer.alloc(UTS_FIELD);
  field.write(name.slice(0, UTS_FIELD - 1), 'utf8');
  memory.write(address + UTS_FIELD, field);
}

/** struct sysinfo: uptime (long) @0, loads[3] (unsigned long) @8, then memory fields, procs (unsigned short) @80. */
const SYSINFO_LOADS = 8;
const SYSINFO_PROCS = 80;

/** The fields of a sysinfo the kernel filled in that tell of the host rather than this machine: uptime (rounded up, as Linux does), loads, process count. */
export function writeSysinfoHostFields(memory: TraceeMemory, address: number, uptime: number, processes: number): void {
  const head = Buffer.alloc(SYSINFO_LOADS + 3 * 8);
  head.writeBigInt64LE(BigInt(Math.ceil(uptime)), 0);
  memory.write(address, head);
  const procs = Buffer.alloc(2);
  procs.writeUInt16LE(Math.min(processes, 0xffff));
  memory.write(address + SYSINFO_PROCS, procs);
}

/** A cpu_set_t, in whole longs as the kernel's cpumask. */
const LONG_BYTES = 8;

/** The kernel's cpumask size for `cpus` CPUs. */
export const cpumaskBytes = (cpus: number): number => Math.ceil(cpus / 64) * LONG_BYTES;

/** Whether `length` bytes can hold the kernel's cpumask of `cpus` CPUs (sched_getaffinity's EINVAL rule). */
export const cpumaskFits = (length: number, cpus: number): boolean => length * 8 >= cpus && length % LONG_BYTES === 0;

/** A cpumask with CPUs 0 to `cpus` - 1 set. */
export function cpumaskOfFirst(cpus: number): Buffer {
  const mask = Buffer.alloc(cpumaskBytes(cpus));
  for (let cpu = 0; cpu < cpus; cpu++) mask[cpu >> 3]! |= 1 << (cpu & 7);
  return mask;
}

/** Whether `mask` has any of CPUs 0 to `cpus` - 1. */
export function cpumaskHasAnyOfFirst(mask: Buffer, cpus: number): boolean {
  for (let cpu = 0; cpu < Math.min(cpus, mask.length * 8); cpu++) if ((mask[cpu >> 3]! & (1 << (cpu & 7))) !== 0) return true;
  return false;
}
