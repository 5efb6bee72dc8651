import type { TraceeMemory } from './tracee-memory.js';

export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const O_NOFOLLOW = 0o400000;
export const O_PATH = 0o10000000;
export const FD_CLOEXEC = 1;
export const F_DUPFD = 0;
export const F_GETFD = 1;
export const F_SETFD = 2;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FIONREAD = 0x541b;
/** SIOCOUTQ on a socket: bytes sent and not yet acknowledged. */
export const TIOCOUTQ = 0x5411;
/** TCP's bytes written and not yet sent. */
export const SIOCOUTQNSD = 0x894b;
export const FIONBIO = 0x5421;
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;
export const CLOSE_RANGE_UNSHARE = 2;
export const CLOSE_RANGE_CLOEXEC = 4;

/** Who gets SIGIO and SIGURG for a descriptor: fcntl's commands and their ioctl forms. */
export const F_SETOWN = 8;
export const F_GETOWN = 9;
export const F_SETOWN_EX = 15;
export const F_GETOWN_EX = 16;
export const FIOSETOWN = 0x8901;
export const SIOCSPGRP = 0x8902;
export const FIOGETOWN = 0x8903;
export const SIOCGPGRP = 0x8904;
/** A terminal's foreground process group (tcgetpgrp, tcsetpgrp) and session (tcgetsid): asm-generic/ioctls.h. */
export const TIOCGPGRP = 0x540f;
export const TIOCSPGRP = 0x5410;
export const TIOCGSID = 0x5429;
export const F_OWNER_TID = 0;
export const F_OWNER_PID = 1;
export const F_OWNER_PGRP = 2;

/** Record locks: the queries whose answer names the holder, and struct flock's l_pid (after short l_type, l_whence, off_t l_start, l_len). */
export const F_GETLK = 5;
export const F_OFD_GETLK = 36;
export const F_UNLCK = 2;

/** struct flock's l_type (a short @0). */
export function readFlockType(memory: TraceeMemory, address: number): number {
  return memory.read(address, 2).readInt16LE(0);
}
export const FLOCK_PID_OFFSET = 24;

/** struct f_owner_ex: type (int) @0, pid (int) @4. */
export const F_OWNER_EX_SIZE = 8;

export function readOwnerEx(memory: TraceeMemory, address: number): { type: number; pid: number } {
  const bytes = memory.read(address, F_OWNER_EX_SIZE);
  return { type: bytes.readInt32LE(0), pid: bytes.readInt32LE(4) };
}

export function ownerExBytes(type: number, pid: number): Buffer {
  const bytes = Buffer.alloc(F_OWNER_EX_SIZE);
  bytes.writeInt32LE(type, 0);
  bytes.writeInt32LE(pid, 4);
  return bytes;
}
export const AT_FDCWD = -100;

/** openat2's struct open_how: flags (u64) @0; the kernel takes it from its first version's 24 bytes. */
export const OPEN_HOW_SIZE_VER0 = 24;

export function readOpenHowFlags(memory: TraceeMemory, address: number): number {
  return Number(memory.read(address, 8).readBigUInt64LE(0));
}

/** getrandom's flags. */
export const GRND_NONBLOCK = 0x1;
export const GRND_RANDOM = 0x2;
export const GRND_INSECURE = 0x4;

/** Signal-driven I/O: the open file's flag (F_SETFL, or ioctl FIOASYNC) and the signal it sends instead of SIGIO (F_SETSIG). */
export const O_ASYNC = 0o20000;
export const FIOASYNC = 0x5452;
export const F_SETSIG = 10;
