import { FifoOpens } from '../../src/mediator/syscalls/fifo-opens.js';
import { Errno } from '../../src/mediator/abi/errno.js';
import { expect } from 'vitest';
import { ManualTransport, VirtualNetwork } from '../../src/net/index.js';
import { AF_INET } from '../../src/mediator/abi/socket.js';
import { signalBit } from '../../src/mediator/abi/signal.js';
import { TraceeFault, type TraceeMemory } from '../../src/mediator/abi/tracee-memory.js';
import { CpuFiles } from '../../src/mediator/host/cpu-files.js';
import { NameFiles } from '../../src/mediator/host/name-files.js';
import { ProcFiles } from '../../src/mediator/host/proc-files.js';
import { RandomStreams } from '../../src/mediator/host/random.js';
import { TimerfdTable } from '../../src/mediator/host/timerfds.js';
import { VirtualTime } from '../../src/mediator/host/virtual-time.js';
import { RUN_OPTIONS } from '../../src/run-options.js';

/** The default epoch, 2000-01-01T00:00:00Z, in seconds: the fake tracee's clocks start there. */
export const DEFAULT_EPOCH = Date.parse(RUN_OPTIONS.epoch.default!) / 1000;
import { Scheduler, type VirtualClock } from '../../src/mediator/loop/scheduler.js';
import type { Resumption } from '../../src/mediator/loop/tracer.js';
import type { Wait } from '../../src/mediator/loop/waits.js';
import { fullMediation } from '../../src/mediator/sockets/full-mediation.js';
import type { Services, SyscallContext } from '../../src/mediator/syscalls/context.js';
import { Dispatcher } from '../../src/mediator/syscalls/dispatcher.js';
import type { Outcome } from '../../src/mediator/syscalls/outcome.js';
import { SYSCALLS, syscallNumber } from '../../src/mediator/syscalls/table.js';
import { CredentialPassing } from '../../src/mediator/tracees/credential-passing.js';
import { KernelEdges } from '../../src/mediator/tracees/kernel-edges.js';
import type { FdInfo, FileSource, KernelFds } from '../../src/mediator/tracees/kernel-fds.js';
import type { KernelIpc, MessageQueue, PosixMessageQueue, SemaphoreSet } from '../../src/mediator/tracees/kernel-ipc.js';
import type { DeliverableSignal } from '../../src/mediator/tracees/pending-signals.js';
import { SignalActions } from '../../src/mediator/tracees/signal-actions.js';
import type { Signals } from '../../src/mediator/tracees/signals.js';
import { TraceeTable, type Process, type Thread } from '../../src/mediator/tracees/tracees.js';

/**
 * Syscall handlers run without any tracee: a fake address space, fake
 * kernel descriptors and signals, and the real scheduler, clocks, network
 * (over a ManualTransport) and dispatcher around them.
 */

/** Where the first mapping starts; mappings are a page apart, so that reading past the end of one faults. */
const FIRST_MAPPING = 0x10000;
const PAGE = 0x1000;

/**
 * A tracee's memory made of the ranges a test maps. Like the real one, an
 * access that leaves the mapped bytes throws a TraceeFault (the dispatcher's
 * EFAULT), and an empty access succeeds anywhere.
 */
export class FakeMemory implements TraceeMemory {
  /** An address nothing is ever mapped at. */
  static readonly UNMAPPED = 0xdead0000;
  private readonly mappings: Array<{ start: number; bytes: Buffer }> = [];
  private next = FIRST_MAPPING;

  /** Maps `content` (or that many zero bytes) at a fresh address, which it returns. */
  map(content: Buffer | number): number {
    const bytes = typeof content === 'number' ? Buffer.alloc(content) : Buffer.from(content);
    const start = this.next;
    this.mappings.push({ start, bytes });
    this.next += Math.ceil((bytes.length + 1) / PAGE) * PAGE + PAGE;
    return start;
  }

  read(address: number, length: number): Buffer {
    return Buffer.from(this.range(address, length));
  }

  readInto(address: number, target: Buffer): void {
    this.range(address, target.length).copy(target);
  }

  write(address: number, data: Buffer): void {
    data.copy(this.range(address, data.length));
  }

  cString(address: number, max = 4096): string {
    const { start, bytes } = this.mappingAt(address);
    const from = address - start;
    const end = bytes.indexOf(0, from);
    if (end >= 0 && end - from <= max) return bytes.toString('utf8', from, end);
    if (bytes.length - from >= max) return bytes.toString('utf8', from, from + max);
    throw new TraceeFault(start + bytes.length);
  }

  private range(address: number, length: number): Buffer {
    if (length === 0) return Buffer.alloc(0);
    const { start, bytes } = this.mappingAt(address);
    if (address + length > start + bytes.length) throw new TraceeFault(address);
    return bytes.subarray(address - start, address - start + length);
  }

  private mappingAt(address: number): { start: number; bytes: Buffer } {
    const mapping = this.mappings.find(({ start, bytes }) => address >= start && address < start + bytes.length);
    if (mapping === undefined) throw new TraceeFault(address);
    return mapping;
  }
}

/** A virtual clock that only moves when the scheduler asks it to reach a deadline: no activities ever run. */
class DeadlineClock implements VirtualClock {
  date = 0;

  now(): number {
    return this.date;
  }

  pending(): number {
    return 0;
  }

  advanceInto(deadline: number): number {
    if (Number.isFinite(deadline)) this.date = Math.max(this.date, deadline);
    return 0;
  }
}

/** A kernel descriptor as the addon would describe it. */
export function kernelFd(kind: FdInfo['kind'], state: { readable?: boolean; writable?: boolean; hangup?: boolean } = {}): FdInfo {
  return {
    kind,
    ino: 0,
    dev: 0,
    readable: state.readable ?? false,
    writable: state.writable ?? false,
    hangup: state.hangup ?? false,
    nonblocking: false,
    available: 0,
    capacity: 0,
  };
}

/** The kernel's IPC objects as a test sets them: System V ids, and POSIX queues by process and descriptor. */
export class FakeKernelIpc implements KernelIpc {
  readonly queues = new Map<number, MessageQueue>();
  readonly semaphores = new Map<number, SemaphoreSet>();
  readonly posixQueues = new Map<string, PosixMessageQueue>();

  messageQueue(msqid: number): MessageQueue | null {
    return this.queues.get(msqid) ?? null;
  }
  semaphoreSet(semid: number): SemaphoreSet | null {
    return this.semaphores.get(semid) ?? null;
  }
  posixMessageQueue(process: Process, fd: number): PosixMessageQueue | null {
    return this.posixQueues.get(`${process.pid}:${fd}`) ?? null;
  }
}

/** The descriptors the kernel would have, as a test sets them: fd → FdInfo, per process. */
interface FakeFile {
  bytes: Buffer;
  position: number;
  readable: boolean;
}

export class FakeKernelFds implements KernelFds {
  private readonly fds = new Map<string, FdInfo>();
  private readonly files = new Map<string, FakeFile>();

  set(process: Process, fd: number, info: FdInfo): void {
    this.fds.set(`${process.pid}:${fd}`, info);
  }

  inspect(process: Process, fd: number): FdInfo | null {
    return this.fds.get(`${process.pid}:${fd}`) ?? null;
  }

  setNonblocking(process: Process, fd: number, nonblocking: boolean): boolean {
    const info = this.fds.get(`${process.pid}:${fd}`);
    if (info === undefined) throw new Error(`no kernel fd ${fd} in ${process.pid}`);
    const previous = info.nonblocking;
    info.nonblocking = nonblocking;
    return previous;
  }

  /** A regular file behind `fd`, as sendfile reads it: its bytes and its offset. */
  setFile(process: Process, fd: number, bytes: Buffer, position = 0, readable = true): void {
    this.files.set(`${process.pid}:${fd}`, { bytes, position, readable });
  }

  fileOffset(process: Process, fd: number): number | undefined {
    return this.files.get(`${process.pid}:${fd}`)?.position;
  }

  fileSource(process: Process, fd: number): FileSource | null {
    const file = this.files.get(`${process.pid}:${fd}`);
    if (file === undefined) return null;
    return { readable: file.readable, writable: true, regular: true, size: file.bytes.length, position: file.position };
  }

  readFileAt(process: Process, fd: number, position: number, target: Buffer): number {
    return this.fileAt(process, fd).bytes.copy(target, 0, position, position + target.length);
  }

  setFileOffset(process: Process, fd: number, position: number): void {
    this.fileAt(process, fd).position = position;
  }

  /** No descriptor here is a pipe: splice's bytes between a pipe and a socket are tested on real tracees. */
  readPipe(): number {
    throw new Error('no pipes in the fake tracee');
  }

  writePipe(): number {
    throw new Error('no pipes in the fake tracee');
  }

  private fileAt(process: Process, fd: number): FakeFile {
    const file = this.files.get(`${process.pid}:${fd}`);
    if (file === undefined) throw new Error(`no file fd ${fd} in ${process.pid}`);
    return file;
  }

  readDirectory(): Buffer | { errno: number } {
    return { errno: Errno.ENOTDIR };
  }

  /** No descriptor here is a directory of /proc: getdents64 is the kernel's. */
  linkOf(): string | undefined {
    return undefined;
  }

  private readonly passingCredentials = new Set<string>();

  /** The socket behind `fd` has SO_PASSCRED set. */
  passCredentials(process: Process, fd: number): void {
    this.passingCredentials.add(`${process.pid}:${fd}`);
  }

  /** How many times the mediator asked whether a socket passes credentials. */
  credentialQuestions = 0;

  passesCredentials(process: Process, fd: number): boolean {
    this.credentialQuestions++;
    return this.passingCredentials.has(`${process.pid}:${fd}`);
  }

  setTimerTicks(): void {}
  timerfdTag(): number | undefined {
    return undefined;
  }
  tableSize(): number {
    return 64;
  }
  openFilesLimit(): number {
    return 1024;
  }
}

/** A signal simterpose sent: to a thread (`tid`) or a process (`pid`), at a virtual date. */
export interface SentSignal {
  signal: number;
  tid?: number;
  pid?: number;
  date: number;
  /** The siginfo of a queued signal (a POSIX timer's). */
  info?: Buffer;
}

/**
 * Signals as the kernel would hold them: what a test raised on a thread
 * stays pending, and `deliverable` answers as the kernel would under the
 * thread's own mask or a call's; what simterpose sends is recorded.
 */
export class FakeSignals implements Signals {
  readonly sent: SentSignal[] = [];
  /** Each thread's own signal mask (nothing blocked when absent). */
  readonly masks = new Map<Thread, bigint>();
  private readonly pending = new Map<Thread, number[]>();

  constructor(private readonly now: () => number) {}

  raise(thread: Thread, signal: number): void {
    this.pending.set(thread, [...(this.pending.get(thread) ?? []), signal]);
  }

  deliverable(thread: Thread, mask?: bigint): DeliverableSignal | undefined {
    const own = this.masks.get(thread) ?? 0n;
    const blocking = mask ?? own;
    const signal = this.pending.get(thread)?.find((s) => (blocking & signalBit(s)) === 0n);
    return signal === undefined ? undefined : { signal, blockedNow: (own & signalBit(signal)) !== 0n };
  }

  mask(thread: Thread): bigint {
    return this.masks.get(thread) ?? 0n;
  }

  toThread(thread: Thread, signal: number): void {
    this.sent.push({ signal, tid: thread.tid, date: this.now() });
  }

  toProcess(process: Process, signal: number): void {
    this.sent.push({ signal, pid: process.pid, date: this.now() });
  }

  queue(process: Process, thread: Thread | undefined, signal: number, info: Buffer): void {
    this.sent.push({ signal, ...(thread === undefined ? { pid: process.pid } : { tid: thread.tid }), date: this.now(), info });
  }

  mayBePending(): void {}
}

export interface WorldOptions {
  /** Default socket buffers, in payload bytes (the network's own default otherwise). */
  sendBufferSize?: number;
  receiveBufferSize?: number;
}

/** The platform's hosts: alice is 10.0.0.1, bob 10.0.0.2. */
const HOSTS = ['alice', 'bob'];

/** Fake tracees on the hosts alice and bob, sharing the mediator's services. */
export class FakeWorld {
  readonly clock = new DeadlineClock();
  readonly scheduler = new Scheduler(this.clock);
  readonly tracees = new TraceeTable();
  readonly transport = new ManualTransport();
  readonly network: VirtualNetwork;
  readonly kernelFds = new FakeKernelFds();
  readonly kernelIpc = new FakeKernelIpc();
  readonly signals = new FakeSignals(() => this.scheduler.now);
  readonly services: Services;
  readonly dispatcher: Dispatcher;
  private nextPid = 1000;
  private readonly stackTops = new Map<Thread, number>();

  constructor(options: WorldOptions = {}) {
    this.network = new VirtualNetwork(
      HOSTS.map((name) => ({ name, properties: {} })),
      this.transport,
      { now: () => this.scheduler.now, sendBufferSize: options.sendBufferSize, receiveBufferSize: options.receiveBufferSize },
    );
    this.services = {
      scheduler: this.scheduler,
      tracees: this.tracees,
      time: new VirtualTime(this.scheduler, DEFAULT_EPOCH, this.tracees),
      timerfds: new TimerfdTable(),
      network: this.network,
      sockets: fullMediation,
      random: new RandomStreams(1, HOSTS),
      cpuFiles: new CpuFiles(DEFAULT_EPOCH),
      nameFiles: new NameFiles(this.network.addresses.entries, this.network.hostsFile()),
      procFiles: new ProcFiles(),
      kernelFds: this.kernelFds,
      credentialPassing: new CredentialPassing(this.kernelFds),
      kernelEdges: new KernelEdges(),
      fifoOpens: new FifoOpens(),
      kernelIpc: this.kernelIpc,
      signals: this.signals,
      coresOf: () => 1,
      outputs: new Map(),
    };
    this.dispatcher = new Dispatcher(this.services, (thread) => this.stackTops.get(thread)!, undefined);
  }

  /** A process with one thread on `host`, its memory a FakeMemory. */
  spawn(host: string, command = 'app'): FakeTracee {
    const pid = this.nextPid++;
    const process = this.tracees.addProcess(pid, undefined, command, host, new SignalActions(), this.scheduler.now);
    const memory = new FakeMemory();
    // The real process reads its memory through the addon; the dispatcher reaches it as `process.memory`.
    (process as { memory: TraceeMemory }).memory = memory;
    const thread = this.tracees.addThread(pid, process);
    this.stackTops.set(thread, memory.map(16 * PAGE) + 16 * PAGE);
    return new FakeTracee(this, process, thread, memory);
  }

  /** Moves virtual time to the next timer and fires what is due then. */
  nextEvent(): void {
    expect(this.scheduler.advance()).toBe(true);
  }

  /** Fires every timer due by `date`, each at its own date, and leaves the clock at `date`. */
  advanceTo(date: number): void {
    for (let deadline = this.scheduler.nextDeadline(); deadline !== undefined && deadline <= date; deadline = this.scheduler.nextDeadline()) {
      this.scheduler.advance();
    }
    this.clock.date = Math.max(this.clock.date, date);
  }
}

/** The wait of a blocked outcome; fails the test for any other outcome. */
export function waitOf(outcome: Outcome): Wait {
  if (outcome.kind !== 'blocked') throw new Error(`expected the call to block, got ${JSON.stringify(outcome)}`);
  return outcome.wait;
}

/** One process with one thread, whose syscalls go to the handlers by name. */
export class FakeTracee {
  constructor(
    readonly world: FakeWorld,
    readonly process: Process,
    readonly thread: Thread,
    readonly memory: FakeMemory,
  ) {}

  /** The handler's outcome, called straight through the table: a TraceeFault is thrown, as no dispatcher catches it. */
  call(name: string, ...args: number[]): Outcome {
    const entry = this.enter(name, args);
    if (entry.handler === undefined) throw new Error(`${name} has no handler`);
    return entry.handler(this.context());
  }

  /** The outcome the real dispatcher decides for the call, where a fault is the call's EFAULT. */
  dispatch(name: string, ...args: number[]): Outcome {
    this.enter(name, args);
    return this.world.dispatcher.dispatch(this.thread);
  }

  /** The call the thread is at, dispatched again, as a woken thread's is. */
  retry(): Outcome {
    return this.world.dispatcher.dispatch(this.thread);
  }

  /** The dispatcher ends the call with `outcome`, forgetting its state. */
  finish(outcome: Outcome): Resumption {
    return this.world.dispatcher.complete(this.thread, outcome);
  }

  /** The kernel ran the call `outcome` let through (or substituted), which returned `result`: what the thread gets after the exit hook. */
  kernelReturns(outcome: Outcome, result: number): number {
    const resumption = this.finish(outcome);
    expect(resumption.kind).toBe('run');
    return this.world.dispatcher.returned(this.thread, result);
  }

  /** Puts the thread to sleep in the scheduler on a blocked outcome's wait, as the tracer loop does; returns the wait. */
  block(outcome: Outcome): Wait {
    const wait = waitOf(outcome);
    this.world.scheduler.block(this.thread, wait);
    return wait;
  }

  /** What the woken thread's call returns, decided as the tracer loop does (undefined if it was not woken with an outcome). */
  concluded(): Outcome | undefined {
    const next = this.thread.next;
    return next.kind === 'conclude' ? this.world.dispatcher.decide(next.decide) : undefined;
  }

  /** What a signal with a handler makes of the wait `outcome` blocked on, decided as the loop does (undefined: the default, EINTR or a restart). */
  interrupted(outcome: Outcome): Outcome | undefined {
    const { onInterrupt } = waitOf(outcome);
    return onInterrupt === undefined ? undefined : this.world.dispatcher.decide(onInterrupt);
  }

  /** Maps `content` (or that many zero bytes) in this tracee's memory. */
  map(content: Buffer | number): number {
    return this.memory.map(content);
  }

  private enter(name: string, args: number[]) {
    const sysno = syscallNumber(name);
    if (sysno === undefined) throw new Error(`no syscall named ${name}`);
    this.thread.syscall = { sysno, args: [...args, 0, 0, 0, 0, 0, 0].slice(0, 6) };
    return SYSCALLS.get(sysno)!;
  }

  /** The context the dispatcher would build for the thread's call. */
  private context(): SyscallContext {
    const { thread, process } = this;
    return {
      thread,
      process,
      sysno: thread.syscall.sysno,
      args: thread.syscall.args,
      memory: this.memory,
      services: this.world.services,
      state: thread.syscallState,
      scratchBelowStack: () => {
        throw new Error('no handler under test writes below the stack');
      },
    };
  }
}

/** socket(AF_INET, type) through the handler and the kernel's placeholder at `fd`; returns `fd`. */
export function openSocket(tracee: FakeTracee, type: number, fd: number): number {
  const outcome = tracee.call('socket', AF_INET, type, 0);
  expect(outcome.kind).toBe('instead');
  expect(tracee.kernelReturns(outcome, fd)).toBe(fd);
  return fd;
}

/** A struct sockaddr_in as a program fills it. */
export function sockaddrIn(address: string, port: number): Buffer {
  const bytes = Buffer.alloc(16);
  bytes.writeUInt16LE(AF_INET, 0);
  bytes.writeUInt16BE(port, 2);
  for (const [i, octet] of address.split('.').entries()) bytes[4 + i] = Number(octet);
  return bytes;
}
