import { readU64, type TraceeMemory } from './tracee-memory.js';

export const SIGKILL = 9;
export const SIGPIPE = 13;
export const SIGALRM = 14;
export const SIGCHLD = 17;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;
export const SIGURG = 23;
export const SIGWINCH = 28;
export const MAX_SIGNAL = 64;

// biome-ignore format: a table packed as signal(7) lists it reads better than one name per line
const SIGNAL_NAMES = ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGKILL', 'SIGUSR1', 'SIGSEGV',
  'SIGUSR2', 'SIGPIPE', 'SIGALRM', 'SIGTERM', 'SIGSTKFLT', 'SIGCHLD', 'SIGCONT', 'SIGSTOP', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU', 'SIGURG',
  'SIGXCPU', 'SIGXFSZ', 'SIGVTALRM', 'SIGPROF', 'SIGWINCH', 'SIGIO', 'SIGPWR', 'SIGSYS'];

/** The name of a standard signal (1 to 31), as signal(7) gives it; undefined for the others. */
export function signalName(signal: number): string | undefined {
  return SIGNAL_NAMES[signal - 1];
}

/** The number of a standard signal named as signal(7) does, with or without its SIG prefix; undefined for an unknown name. */
export function signalNumber(name: string): number | undefined {
  const index = SIGNAL_NAMES.indexOf(name.toUpperCase().startsWith('SIG') ? name.toUpperCase() : `SIG${name.toUpperCase()}`);
  return index < 0 ? undefined : index + 1;
}

/** Signals whose default action ends the process with a core dump (signal(7), "Core"): a program's crash. */
export const CORE_DUMPING_SIGNALS: ReadonlySet<number> = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);

export const SIG_DFL = 0;
export const SIG_IGN = 1;
export const SA_RESTART = 0x10000000;
/** On SIGCHLD: no notice of children that stop or resume. */
export const SA_NOCLDSTOP = 1;
/** si_code of a SIGCHLD for a child that stopped, or that SIGCONT resumed. */
export const CLD_STOPPED = 5;
export const CLD_CONTINUED = 6;

/** si_code values (asm-generic/siginfo.h) of the signals whose siginfo names a sender. */
export const SI_USER = 0;
export const SI_KERNEL = 0x80;
export const SI_QUEUE = -1;
export const SI_TKILL = -6;
/** si_code of a POSIX message queue's notification, which names the process that sent the message. */
export const SI_MESGQ = -3;
/** si_code of a POSIX timer's signal. */
export const SI_TIMER = -2;

/** The bit of `signal` in a sigset_t. */
export const signalBit = (signal: number): bigint => 1n << BigInt(signal - 1);

/** A sigset_t argument (NULL: none), as a bit set of signals. */
export function readSigset(memory: TraceeMemory, address: number): bigint | undefined {
  return address === 0 ? undefined : memory.read(address, 8).readBigUInt64LE(0);
}

/** pselect6's sixth argument: { const sigset_t *ss; size_t ss_len; }; the mask it points to (none for NULL). */
export function readPselectSigmask(memory: TraceeMemory, address: number): bigint | undefined {
  return address === 0 ? undefined : readSigset(memory, readU64(memory, address));
}

/** The kernel's struct sigaction as rt_sigaction takes it: sa_handler, then sa_flags. */
export function readSigaction(memory: TraceeMemory, address: number): { handler: number; flags: number } {
  const data = memory.read(address, 16);
  return { handler: Number(data.readBigUInt64LE(0)), flags: Number(data.readBigUInt64LE(8)) };
}

/** siginfo_t: si_signo, si_errno, si_code (ints), a hole, then si_pid and si_uid for the codes that carry a sender. */
const SI_CODE = 8;
const SI_PID = 16;
const SI_UID = 20;
/** SIGPOLL's fields in their place: si_band (a long @16), si_fd (an int @24). */
const SI_BAND = 16;
const SI_FD = 24;

export const siginfo = {
  code: (info: Buffer): number => info.readInt32LE(SI_CODE),
  pid: (info: Buffer): number => info.readInt32LE(SI_PID),
  setPid(info: Buffer, pid: number): void {
    info.writeInt32LE(pid, SI_PID);
  },
  /** Sent by the kernel itself: no sender. */
  setFromKernel(info: Buffer): void {
    info.writeInt32LE(SI_KERNEL, SI_CODE);
    info.writeInt32LE(0, SI_PID);
    info.writeInt32LE(0, SI_UID);
  },
};

/** siginfo_t of a child's change of state (its _sigchld member): si_pid, si_uid, si_status, then si_utime and si_stime. */
const SI_STATUS = 24;

/** The siginfo of SIGCHLD (and of waitid) for child `pid` (of owner `uid`) whose state changed as `code` says, with `status`. */
export function childSiginfo(code: number, pid: number, uid: number, status: number): Buffer {
  const info = Buffer.alloc(SIGINFO_SIZE);
  info.writeInt32LE(SIGCHLD, 0);
  info.writeInt32LE(code, SI_CODE);
  info.writeInt32LE(pid, SI_PID);
  info.writeInt32LE(uid, SI_UID);
  info.writeInt32LE(status, SI_STATUS);
  return info;
}

/**
 * struct signalfd_siginfo, what a read of a signalfd gives per signal (128
 * bytes): ssi_signo, ssi_errno, ssi_code, ssi_pid, ssi_uid (32 bits each),
 * then ssi_status at 40 among others. The fields that name a sender map to
 * siginfo_t's, so that one piece of code makes them virtual for both.
 */
export const SIGNALFD_SIGINFO_SIZE = 128;
const SSI_CODE = 8;
const SSI_PID = 12;
const SSI_UID = 16;
const SSI_FD = 20;
const SSI_TID = 24;
const SSI_BAND = 28;
const SSI_OVERRUN = 32;
const SSI_STATUS = 40;
const SSI_PTR = 48;

export const signalfdSiginfo = {
  signal: (record: Buffer): number => record.readUInt32LE(0),
  code: (record: Buffer): number => record.readInt32LE(SSI_CODE),
  /** A POSIX timer's record as the siginfo_t it was queued with: its id (ssi_tid), overrun and value (ssi_ptr). */
  toTimerSiginfo: (record: Buffer): Buffer =>
    timerSiginfo.make(record.readUInt32LE(0), record.readInt32LE(SSI_TID), record.readInt32LE(SSI_OVERRUN), record.readBigUInt64LE(SSI_PTR)),
  setOverrun(record: Buffer, overrun: number): void {
    record.writeInt32LE(overrun, SSI_OVERRUN);
  },
  /** A siginfo_t with the record's signal, code, pid, uid and status. */
  toSiginfo(record: Buffer): Buffer {
    const info = Buffer.alloc(SIGINFO_SIZE);
    info.writeInt32LE(record.readInt32LE(0), 0);
    info.writeInt32LE(record.readInt32LE(SSI_CODE), SI_CODE);
    info.writeInt32LE(record.readInt32LE(SSI_PID), SI_PID);
    info.writeInt32LE(record.readInt32LE(SSI_UID), SI_UID);
    info.writeInt32LE(record.readInt32LE(SSI_STATUS), SI_STATUS);
    return info;
  },
  /** Puts those fields of `info` back into the record; a descriptor's F_SETSIG signal gives its band and descriptor instead. */
  setFromSiginfo(record: Buffer, info: Buffer): void {
    const code = info.readInt32LE(SI_CODE);
    record.writeInt32LE(code, SSI_CODE);
    // Rewritten here, a signal other than SIGCHLD with a positive code below SI_KERNEL is one (POLL_IN...).
    if (record.readUInt32LE(0) !== SIGCHLD && code > 0 && code < SI_KERNEL) {
      record.writeInt32LE(0, SSI_PID);
      record.writeInt32LE(0, SSI_UID);
      record.writeInt32LE(info.readInt32LE(SI_FD), SSI_FD);
      record.writeUInt32LE(Number(info.readBigInt64LE(SI_BAND) & 0xffffffffn), SSI_BAND);
      return;
    }
    record.writeInt32LE(info.readInt32LE(SI_PID), SSI_PID);
    record.writeInt32LE(info.readInt32LE(SI_UID), SSI_UID);
    record.writeInt32LE(info.readInt32LE(SI_STATUS), SSI_STATUS);
  },
};

/** siginfo_t of a POSIX timer's signal (its _timer member): si_timerid, si_overrun, then si_value. */
export const SIGINFO_SIZE = 128;
const SI_TIMERID = 16;
const SI_OVERRUN = 20;
const SI_VALUE = 24;

export const timerSiginfo = {
  make(signal: number, timerid: number, overrun: number, value: bigint): Buffer {
    const info = Buffer.alloc(SIGINFO_SIZE);
    info.writeInt32LE(signal, 0);
    info.writeInt32LE(SI_TIMER, SI_CODE);
    info.writeInt32LE(timerid, SI_TIMERID);
    info.writeInt32LE(overrun, SI_OVERRUN);
    info.writeBigUInt64LE(value, SI_VALUE);
    return info;
  },
  timerid: (info: Buffer): number => info.readInt32LE(SI_TIMERID),
  overrun: (info: Buffer): number => info.readInt32LE(SI_OVERRUN),
  setOverrun(info: Buffer, overrun: number): void {
    info.writeInt32LE(overrun, SI_OVERRUN);
  },
};

export const SIGEV_SIGNAL = 0;
export const SIGEV_NONE = 1;
export const SIGEV_THREAD = 2;
export const SIGEV_THREAD_ID = 4;

/** struct sigevent: sigev_value, sigev_signo, sigev_notify, then (SIGEV_THREAD_ID) the thread's id. */
export interface Sigevent {
  value: bigint;
  signo: number;
  notify: number;
  threadId: number;
}

export function readSigevent(memory: TraceeMemory, address: number): Sigevent {
  const data = memory.read(address, 20);
  return { value: data.readBigUInt64LE(0), signo: data.readInt32LE(8), notify: data.readInt32LE(12), threadId: data.readInt32LE(16) };
}

/** waitid's siginfo_t in the tracee: the pid of the child it reports. */
export function readSiginfoPid(memory: TraceeMemory, address: number): number {
  return memory.read(address + SI_PID, 4).readInt32LE(0);
}

export function writeSiginfoPid(memory: TraceeMemory, address: number, pid: number): void {
  const data = Buffer.allocUnsafe(4);
  data.writeInt32LE(pid, 0);
  memory.write(address + SI_PID, data);
}

export const SIGIO = 29;
/** The kernel's first real-time signal: those below are pending once at most, those from it on are queued. */
export const SIGRTMIN = 32;
/** si_code of a descriptor's F_SETSIG signal: why it was sent (asm-generic/siginfo.h). */
export const POLL_IN = 1;
export const POLL_OUT = 2;
export const POLL_ERR = 4;
export const POLL_HUP = 6;

/** The siginfo of a descriptor's F_SETSIG signal (send_sigio_to_task). */
export function pollSiginfo(signal: number, reason: number, band: number, fd: number): Buffer {
  const info = Buffer.alloc(SIGINFO_SIZE);
  info.writeInt32LE(signal, 0);
  info.writeInt32LE(reason, SI_CODE);
  info.writeBigInt64LE(BigInt(band), SI_BAND);
  info.writeInt32LE(fd, SI_FD);
  return info;
}
