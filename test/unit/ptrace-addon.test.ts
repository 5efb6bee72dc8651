import { execFileSync, spawn as spawnNode } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as native from '../../native/ptrace-rs/index.js';
import { StopKind } from '../../native/ptrace-rs/index.js';

const SYS_WRITE = 1;
const SYS_LSEEK = 8;
const SYS_GETPID = 39;
const SYS_GETPPID = 110;
const SYS_CLOCK_GETTIME = 228;

/** Tiny C programs, each doing one thing the tests look at from the tracer. */
const PROGRAMS: Record<string, string> = {
  // Prints what getpid returns, twice, so a test can tell stops apart.
  getpid: `
    #include <stdio.h>
    #include <unistd.h>
    #include <sys/syscall.h>
    int main(void) {
      long first = syscall(SYS_getpid);
      long second = syscall(SYS_getpid);
      printf("%ld %ld\\n", first, second);
      return 0;
    }`,
  // A pipe holding 5 bytes, then an lseek on each end as a marker the tracer traps.
  pipe: `
    #include <unistd.h>
    int main(void) {
      int fds[2];
      if (pipe(fds) != 0) return 1;
      if (write(fds[1], "hello", 5) != 5) return 2;
      lseek(fds[0], 0, SEEK_CUR);
      lseek(fds[1], 0, SEEK_CUR);
      return 0;
    }`,
  // A plain fork (glibc's fork is clone with SIGCHLD: a PTRACE_EVENT_FORK).
  fork: `
    #include <sys/wait.h>
    #include <unistd.h>
    int main(void) {
      pid_t child = fork();
      if (child == 0) _exit(7);
      int status;
      waitpid(child, &status, 0);
      return WEXITSTATUS(status) == 7 ? 0 : 1;
    }`,
  // A page-aligned MiB whose byte i is (i * 7 + i / 4096) % 251, shown to the tracer by a write(2) it traps.
  pattern: `
    #include <sys/mman.h>
    #include <unistd.h>
    int main(void) {
      unsigned char *region = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (region == MAP_FAILED) return 1;
      for (long i = 0; i < (1 << 20); i++) region[i] = (i * 7 + i / 4096) % 251;
      return write(-1, region, 1 << 20) == -1 ? 0 : 2;
    }`,
  // Calls every syscall number from argv[1] up to argv[2] with itself as first argument, and prints what each returned.
  numbers: `
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
      for (long number = atol(argv[1]); number < atol(argv[2]); number++) printf("%ld %ld\\n", number, syscall(number, number));
      return 0;
    }`,
  // Calls syscall argv[1] once for each later argument (strtoul's base 0: 0x... is hex), that argument first, and prints what each returned.
  gated: `
    #include <stdio.h>
    #include <stdlib.h>
    #include <unistd.h>
    int main(int argc, char **argv) {
      for (int i = 2; i < argc; i++) printf("%s %ld\\n", argv[i], syscall(atol(argv[1]), strtoul(argv[i], 0, 0)));
      return 0;
    }`,
  // Spins in user space until killed.
  spin: `
    int main(void) { for (volatile unsigned long i = 0;; i++) {} }`,
};

let workDir: string;
const bin: Record<string, string> = {};

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'ptrace-addon-'));
  for (const [name, source] of Object.entries(PROGRAMS)) {
    const sourcePath = join(workDir, `${name}.c`);
    writeFileSync(sourcePath, source);
    bin[name] = join(workDir, name);
    execFileSync('gcc', ['-O1', '-o', bin[name], sourcePath]);
  }
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface Stop {
  kind: number;
  tid: number;
  data: number[];
}

const out = new Float64Array(8);

function nextStop(tid = -1): Stop {
  const kind = native.waitStop(tid, out, false);
  return { kind, tid: out[0], data: Array.from(out.subarray(1)) };
}

/** A file the tracee writes its stdout into, read back once it has exited. */
function outputFile(name: string): { fd: number; read: () => string } {
  const path = join(workDir, `${name}.out`);
  const fd = openSync(path, 'w');
  return {
    fd,
    read: () => {
      closeSync(fd);
      return readFileSync(path, 'utf8');
    },
  };
}

function start(path: string, argv: string[], options: Partial<native.SpawnOptions> = {}): number {
  return native.spawn({ path, argv, env: ['PATH=/usr/bin:/bin'], trapSyscalls: [], trapAll: false, ...options });
}

/**
 * Resumes every stop of the tracee and its descendants until the first
 * process exits, handing seccomp stops to `onSeccomp` (which must resume).
 * Returns every stop seen.
 */
function runToExit(pid: number, onSeccomp?: (stop: Stop) => void): Stop[] {
  const stops: Stop[] = [];
  native.resume(pid, 0, false);
  for (;;) {
    const stop = nextStop();
    stops.push(stop);
    if (stop.tid === pid && (stop.kind === StopKind.Exited || stop.kind === StopKind.Killed)) {
      return stops;
    }
    if (stop.kind === StopKind.Exited || stop.kind === StopKind.Killed) continue;
    if (stop.kind === StopKind.Seccomp && onSeccomp) {
      onSeccomp(stop);
      continue;
    }
    const signal = stop.kind === StopKind.Signal ? stop.data[0] : 0;
    native.resume(stop.tid, signal, false);
  }
}

/** Reaps traced grandchildren left after the process we waited for exited. */
function drainStops(): void {
  for (;;) {
    let kind: number;
    try {
      kind = native.waitStop(-1, out, false);
    } catch (error) {
      if ((error as { code?: string }).code === 'ECHILD') return;
      throw error;
    }
    if (kind !== StopKind.Exited && kind !== StopKind.Killed) native.resume(out[0], 0, false);
  }
}

/** SIGKILLs a tracee and waits until it is reported killed. */
function killAndReap(pid: number): void {
  native.signalProcess(pid, 9);
  for (;;) {
    const stop = nextStop(pid);
    if (stop.kind === StopKind.Killed) return;
    try {
      native.resume(pid, 0, false);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ESRCH') throw error;
    }
  }
}

function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return null;
  }
}

describe('spawn', () => {
  it('returns a child stopped at its exec, which then runs to exit 0', () => {
    const pid = start('/bin/true', ['true']);
    expect(processState(pid)).toBe('t');
    expect(readlinkSync(`/proc/${pid}/exe`)).toMatch(/\/true$/);
    const stops = runToExit(pid);
    expect(stops.map((stop) => stop.kind)).toEqual([StopKind.ExitEvent, StopKind.Exited]);
    expect(stops[1].data[0]).toBe(0);
  });

  it('passes the exit code through', () => {
    const pid = start('/bin/sh', ['sh', '-c', 'exit 3']);
    const stops = runToExit(pid);
    const exited = stops.at(-1)!;
    expect(exited.kind).toBe(StopKind.Exited);
    expect(exited.data[0]).toBe(3);
    const exitEvent = stops.find((stop) => stop.kind === StopKind.ExitEvent)!;
    expect(exitEvent.data[0]).toBe(3 << 8);
  });

  it('gives the program the descriptors a program of ours gets natively, whatever the descriptors we hold and wherever its stdio comes from', () => {
    const listing = (output: ReturnType<typeof outputFile>): string => {
      runToExit(start('/bin/ls', ['ls', '/proc/self/fd'], { stdout: output.fd }));
      return output.read();
    };
    const natively = execFileSync('/bin/ls', ['/proc/self/fd'], { encoding: 'utf8' });
    // Its stdout below and above hundreds of descriptors of ours, as a mediator with hundreds of tracees holds.
    const below = outputFile('descriptors-below');
    const held = Array.from({ length: 300 }, () => openSync('/dev/null', 'r'));
    try {
      const above = outputFile('descriptors-above');
      expect(above.fd).toBeGreaterThan(300);
      expect(listing(below)).toBe(natively);
      expect(listing(above)).toBe(natively);
    } finally {
      for (const fd of held) closeSync(fd);
    }
  });

  it('throws naming execve and ENOENT for a missing program', () => {
    expect(() => start('/no/such/program', ['x'])).toThrow(/^execve\(\/no\/such\/program\): ENOENT \(No such file or directory\)$/);
    try {
      start('/no/such/program', ['x']);
    } catch (error) {
      expect((error as { code?: string }).code).toBe('ENOENT');
    }
  });

  it('throws naming chdir for a missing working directory', () => {
    expect(() => start('/bin/true', ['true'], { cwd: '/no/such/dir' })).toThrow(/^chdir\(\/no\/such\/dir\): ENOENT/);
  });

  it("throws naming the child's own failed call when it fails before it is seized, not the seize", () => {
    // The child dups its stdio before it waits to be seized: it may be gone before the seize.
    for (let i = 0; i < 50; i++) expect(() => start('/bin/true', ['true'], { stdout: 9999 })).toThrow(/^dup2\(stdout\): EBADF/);
  });

  it('gives the program the requested environment, stdout and cwd', () => {
    const output = outputFile('env');
    const pid = start('/bin/sh', ['sh', '-c', 'echo "$GREETING $(pwd)"'], {
      env: ['GREETING=hi'],
      cwd: workDir,
      stdout: output.fd,
    });
    runToExit(pid);
    drainStops();
    expect(output.read()).toBe(`hi ${workDir}\n`);
  });
});

describe('seccomp stops', () => {
  it('stop at a trapped getpid, and skipSyscallAndResume makes the program see the result', () => {
    const output = outputFile('skip');
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_GETPID], stdout: output.fd });
    const seen: number[] = [];
    runToExit(pid, (stop) => {
      seen.push(stop.data[0]);
      native.skipSyscallAndResume(stop.tid, 4242);
    });
    expect(seen).toEqual([SYS_GETPID, SYS_GETPID]);
    expect(output.read()).toBe('4242 4242\n');
  });

  it('do not happen for syscalls that are not trapped', () => {
    const output = outputFile('untrapped');
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_GETPPID], stdout: output.fd });
    const stops = runToExit(pid);
    expect(stops.filter((stop) => stop.kind === StopKind.Seccomp)).toEqual([]);
    expect(output.read()).toBe(`${pid} ${pid}\n`);
  });

  it('happen for every syscall with trapAll', () => {
    const pid = start('/bin/true', ['true'], { trapAll: true });
    const stops = runToExit(pid);
    expect(stops.filter((stop) => stop.kind === StopKind.Seccomp).length).toBeGreaterThan(5);
  });

  it('still trap the right numbers with a filter of hundreds of entries', () => {
    const output = outputFile('many');
    const manyUnused = Array.from({ length: 450 }, (_, i) => 600 + i);
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [...manyUnused, SYS_GETPID, SYS_GETPID], stdout: output.fd });
    const seen: number[] = [];
    runToExit(pid, (stop) => {
      seen.push(stop.data[0]);
      native.skipSyscallAndResume(stop.tid, 7);
    });
    expect(seen).toEqual([SYS_GETPID, SYS_GETPID]);
    expect(output.read()).toBe('7 7\n');
  });

  it('with a gate, stop only for its values: one of a list (low 32 bits), or any but 0 (all 64 bits)', () => {
    // Numbers no kernel has (ENOSYS natively: -1); a stop answers 1.
    const listed = 700;
    const pointer = 701;
    const run = (syscall: number, args: string[]): string => {
      const output = outputFile(`gated-${syscall}`);
      const pid = start(bin.gated, ['gated', String(syscall), ...args], {
        trapSyscalls: [listed, pointer],
        stopOnlyWhen: [
          { syscall: listed, argument: 0, oneOf: [5, 9, 0x8000_0001] },
          { syscall: pointer, argument: 0 },
        ],
        stdout: output.fd,
      });
      runToExit(pid, (stop) => native.skipSyscallAndResume(stop.tid, 1));
      return output.read();
    };
    expect(run(listed, ['5', '6', '9', '0x80000001', '0x100000005', '0'])).toBe('5 1\n6 -1\n9 1\n0x80000001 1\n0x100000005 1\n0 -1\n');
    expect(run(pointer, ['0', '1', '0x100000000', '0xffffffff'])).toBe('0 -1\n1 1\n0x100000000 1\n0xffffffff 1\n');
  });

  it('setSyscall runs another syscall in its place', () => {
    const output = outputFile('setsyscall');
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_GETPID], stdout: output.fd });
    runToExit(pid, (stop) => {
      native.setSyscall(stop.tid, SYS_GETPPID, []);
      native.resume(stop.tid, 0, false);
    });
    expect(output.read()).toBe(`${process.pid} ${process.pid}\n`);
  });

  it('resume to the syscall exit, where setReturnValue rewrites the result', () => {
    const output = outputFile('exit');
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_GETPID], stdout: output.fd });
    const exits: number[][] = [];
    native.resume(pid, 0, false);
    for (;;) {
      const stop = nextStop(pid);
      if (stop.kind === StopKind.Exited) break;
      if (stop.kind === StopKind.Seccomp) {
        native.resume(pid, 0, true);
        continue;
      }
      if (stop.kind === StopKind.SyscallExit) {
        exits.push(stop.data.slice(0, 2));
        native.setReturnValue(pid, -1);
      }
      native.resume(pid, 0, false);
    }
    expect(exits).toEqual([
      [pid, SYS_GETPID],
      [pid, SYS_GETPID],
    ]);
    expect(output.read()).toBe('-1 -1\n');
  });

  it('restartSyscall makes the same syscall stop again', () => {
    const output = outputFile('restart');
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_GETPID], stdout: output.fd });
    let stopCount = 0;
    runToExit(pid, (stop) => {
      stopCount += 1;
      if (stopCount === 1) {
        native.restartSyscall(stop.tid);
        native.resume(stop.tid, 0, false);
      } else {
        native.skipSyscallAndResume(stop.tid, 1000 + stopCount);
      }
    });
    expect(stopCount).toBe(3);
    expect(output.read()).toBe('1002 1003\n');
  });
});

const SYS_EXECVE = 59;
/** The kernel's "run the call again once the pending signal is handled". */
const ERESTARTNOINTR = 513;

// Waiting for notifications next to ptrace stops takes io_uring's WAITID (Linux 6.7), not disabled.
describe.skipIf(!native.notificationsAvailable())('seccomp user notifications (waited for through io_uring WAITID: skipped before Linux 6.7)', () => {
  /** Spawns `getpid` with getpid (and `also`) notified; execve is trapped, as taking the listener needs. */
  function startNotified(name: string, also: number[] = []): { pid: number; listener: number; output: ReturnType<typeof outputFile> } {
    const output = outputFile(name);
    const pid = start(bin.getpid, ['getpid'], { trapSyscalls: [SYS_EXECVE], notifySyscalls: [SYS_GETPID, ...also], stdout: output.fd });
    const listener = native.takeListener(pid);
    expect(listener).not.toBeNull();
    return { pid, listener: listener!, output };
  }

  function nextEvent(pid: number, listener: number): Stop {
    const kind = native.waitStop(pid, out, false, listener);
    return { kind, tid: out[0], data: Array.from(out.subarray(1)) };
  }

  /** Starts the tracee and resumes its stops until its first notification. */
  function firstNotification(pid: number, listener: number): Stop {
    native.resume(pid, 0, false);
    let event = nextEvent(pid, listener);
    while (event.kind !== StopKind.Notified) {
      native.resume(pid, 0, false);
      event = nextEvent(pid, listener);
    }
    return event;
  }

  /** Lets the tracee run to its exit, resuming its other stops; returns the kinds seen. */
  function finish(pid: number, listener: number): number[] {
    const kinds: number[] = [];
    for (;;) {
      const event = nextEvent(pid, listener);
      kinds.push(event.kind);
      if (event.kind === StopKind.Exited || event.kind === StopKind.Killed) return kinds;
      if (event.kind === StopKind.Notified) native.continueNotification(pid);
      else native.resume(pid, 0, false);
    }
  }

  it('come through the same wait as ptrace stops, with the call and its arguments; an answer is its result, a continue runs it', () => {
    const { pid, listener, output } = startNotified('notified', [SYS_WRITE]);
    native.resume(pid, 0, false);
    const calls: number[][] = [];
    for (;;) {
      const event = nextEvent(pid, listener);
      if (event.kind === StopKind.Exited) break;
      if (event.kind !== StopKind.Notified) {
        native.resume(pid, 0, false);
        continue;
      }
      expect(event.tid).toBe(pid);
      calls.push(event.data.slice(0, 4));
      if (event.data[0] === SYS_GETPID) native.answerNotification(pid, 4242);
      else native.continueNotification(pid);
    }
    native.closeListener(listener);
    expect(output.read()).toBe('4242 4242\n');
    expect(calls.map((call) => call[0])).toEqual([SYS_GETPID, SYS_GETPID, SYS_WRITE]);
    // write(1, buffer, 10): the descriptor and the length of "4242 4242\n".
    expect([calls[2]![1], calls[2]![3]]).toEqual([1, 10]);
  });

  it('come to a listener that took the number of one closed while still polled', () => {
    const first = startNotified('notified-closed');
    expect(firstNotification(first.pid, first.listener).data[0]).toBe(SYS_GETPID);
    // Killed while its call waits: its death is collected and its listener closed, its poll still armed.
    process.kill(first.pid, 'SIGKILL');
    expect(finish(first.pid, first.listener).at(-1)).toBe(StopKind.Killed);
    native.closeListener(first.listener);
    // With the same descriptors open as for the first, the second spawn gives its listener the same number.
    native.forgetProcess(first.pid);
    first.output.read();
    const second = startNotified('notified-reused');
    expect(second.listener).toBe(first.listener);
    // Were the new listener never polled, the wait would block for good: the child is killed after a while instead, and the wait sees that.
    const watchdog = spawnNode('sh', ['-c', `sleep 20; kill -9 ${second.pid}`], { detached: true, stdio: 'ignore' });
    try {
      expect(firstNotification(second.pid, second.listener).data[0]).toBe(SYS_GETPID);
    } finally {
      process.kill(-watchdog.pid!, 'SIGKILL');
    }
    native.continueNotification(second.pid);
    expect(finish(second.pid, second.listener)).toContain(StopKind.Exited);
    native.closeListener(second.listener);
    expect(second.output.read()).toBe(`${second.pid} ${second.pid}\n`);
  });

  it('a call let through to its return stops there, before the program goes on, with its result, which can be replaced', () => {
    const { pid, listener, output } = startNotified('notified-return');
    native.resume(pid, 0, false);
    const results: number[] = [];
    for (;;) {
      const event = nextEvent(pid, listener);
      if (event.kind === StopKind.Exited) break;
      if (event.kind === StopKind.Notified) native.continueNotificationToReturn(pid);
      else if (event.kind === StopKind.NotifiedReturn) {
        results.push(event.data[0]!);
        native.setReturnValue(pid, 4343);
        native.resume(pid, 0, false);
      } else native.resume(pid, 0, false);
    }
    native.closeListener(listener);
    expect(results).toEqual([pid, pid]);
    // Resumed without the SIGSTOP that stopped it: the program never stopped, and printed what was put in place.
    expect(output.read()).toBe('4343 4343\n');
  });

  it('a filter of hundreds of numbers gives each its verdict: stop, notification (or a stop for some argument bits), or the kernel', () => {
    // Numbers no kernel has (ENOSYS when they run): every third one stops, every fifth notifies, even where it is also a third.
    const numbers = Array.from({ length: 500 }, (_, i) => 600 + i);
    const trapped = numbers.filter((n) => n % 3 === 0);
    const notified = numbers.filter((n) => n % 5 === 0);
    // Their first argument is their number: 700 has bit 0x4 set, so it stops; 705 has no bit 0x2, so it notifies.
    const stopNotifiedWhen = [
      { syscall: 700, argument: 0, bits: 0x4 },
      { syscall: 705, argument: 0, bits: 0x2 },
    ];
    const output = outputFile('numbers');
    const pid = start(bin.numbers, ['numbers', '600', '1100'], {
      trapSyscalls: [SYS_EXECVE, ...trapped],
      notifySyscalls: notified,
      stopNotifiedWhen,
      stdout: output.fd,
    });
    const listener = native.takeListener(pid)!;
    native.resume(pid, 0, false);
    for (;;) {
      const event = nextEvent(pid, listener);
      if (event.kind === StopKind.Exited) break;
      if (event.kind === StopKind.Seccomp) native.skipSyscallAndResume(pid, 1);
      else if (event.kind === StopKind.Notified) native.answerNotification(pid, 2);
      else native.resume(pid, 0, false);
    }
    native.closeListener(listener);
    const verdict = (n: number): number => (n === 700 ? 1 : n % 5 === 0 ? 2 : n % 3 === 0 ? 1 : -1);
    expect(output.read()).toBe(numbers.map((n) => `${n} ${verdict(n)}\n`).join(''));
  });

  it('a negative answer is an errno: getpid returns -1', () => {
    const { pid, listener, output } = startNotified('notified-errno');
    native.resume(pid, 0, false);
    for (let answered = 0; answered < 2; ) {
      const event = nextEvent(pid, listener);
      if (event.kind === StopKind.Notified) {
        native.answerNotification(pid, -1);
        answered++;
      } else native.resume(pid, 0, false);
    }
    expect(finish(pid, listener)).toContain(StopKind.Exited);
    native.closeListener(listener);
    expect(output.read()).toBe('-1 -1\n');
  });

  it('a signal sent while a call waits for its answer stays pending until the answer, which the call keeps', () => {
    const { pid, listener, output } = startNotified('notified-signal');
    let event = firstNotification(pid, listener);
    native.signalThread(pid, pid, 10);
    expect(native.waitStop(pid, out, true)).toBe(0);
    expect(native.answerNotification(pid, 77)).toBe(true);
    event = nextEvent(pid, listener);
    expect([event.kind, event.data[0]]).toEqual([StopKind.Signal, 10]);
    // Not delivered: the program goes on with the answer it got.
    native.resume(pid, 0, false);
    event = nextEvent(pid, listener);
    expect(event.kind).toBe(StopKind.Notified);
    native.answerNotification(pid, 78);
    finish(pid, listener);
    native.closeListener(listener);
    expect(output.read()).toBe('77 78\n');
  });

  it('ERESTARTNOINTR as the answer makes the call come again once the pending signal is handled', () => {
    const { pid, listener, output } = startNotified('notified-restart');
    let event = firstNotification(pid, listener);
    native.signalThread(pid, pid, 10);
    native.answerNotification(pid, -ERESTARTNOINTR);
    event = nextEvent(pid, listener);
    expect(event.kind).toBe(StopKind.Signal);
    native.resume(pid, 0, false);
    const answers = [501, 502];
    for (const answer of answers) {
      event = nextEvent(pid, listener);
      expect([event.kind, event.data[0]]).toEqual([StopKind.Notified, SYS_GETPID]);
      native.answerNotification(pid, answer);
    }
    finish(pid, listener);
    native.closeListener(listener);
    expect(output.read()).toBe('501 502\n');
  });

  it('spawn refuses to notify when execve is not trapped: the listener would be lost at the exec', () => {
    expect(() => start(bin.getpid, ['getpid'], { trapSyscalls: [], notifySyscalls: [SYS_GETPID] })).toThrow(/listener was not taken before execve/);
  });
});

/** `length` bytes of the tracee's memory at `address`, in a Buffer the test allocates. */
function readMemory(pid: number, address: number, length: number): Buffer {
  const data = Buffer.alloc(length);
  native.readMemoryInto(pid, address, data);
  return data;
}

describe('tracee memory', () => {
  it('readMemoryInto at a write(2) buffer gives the text written', () => {
    const output = outputFile('write');
    const pid = start('/bin/sh', ['sh', '-c', 'echo hello-memory'], { trapSyscalls: [SYS_WRITE], stdout: output.fd });
    const written: string[] = [];
    runToExit(pid, (stop) => {
      const [, , buffer, length] = stop.data;
      written.push(readMemory(stop.tid, buffer, length).toString());
      native.resume(stop.tid, 0, false);
    });
    expect(written).toEqual(['hello-memory\n']);
    expect(output.read()).toBe('hello-memory\n');
  });

  /** The C string at `address`, read with readCStringInto into a buffer of `room` bytes. */
  const readCString = (pid: number, address: number, room: number): string => {
    const target = Buffer.alloc(room, 0xff);
    return target.toString('utf8', 0, native.readCStringInto(pid, address, target));
  };

  it('readCStringInto reads the argv strings from the stack at the exec stop, up to the room it is given', () => {
    const argv = ['true', 'first argument', 'x'.repeat(300)];
    const pid = start('/bin/true', argv);
    const sp = native.stackPointer(pid);
    const argc = readMemory(pid, sp, 8).readBigUInt64LE();
    expect(Number(argc)).toBe(argv.length);
    const pointers = readMemory(pid, sp + 8, 8 * argv.length);
    const strings = argv.map((_, i) => readCString(pid, Number(pointers.readBigUInt64LE(8 * i)), 4096));
    expect(strings).toEqual(argv);
    expect(readCString(pid, Number(pointers.readBigUInt64LE(8)), 5)).toBe('first');
    runToExit(pid);
  });

  it('writeMemory changes what the tracee reads, and refuses a read-only code page with EFAULT, as the kernel would a syscall writing there', () => {
    const pid = start('/bin/true', ['true', 'abc']);
    const sp = native.stackPointer(pid);
    const argvOne = Number(readMemory(pid, sp + 16, 8).readBigUInt64LE());
    native.writeMemory(pid, argvOne, Buffer.from('xyz'));
    expect(readCString(pid, argvOne, 16)).toBe('xyz');

    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
    const code = maps.find((line) => line.split(' ')[1] === 'r-xp')!;
    const codeStart = parseInt(code.split('-')[0], 16);
    const original = readMemory(pid, codeStart, 4);
    expect(() => native.writeMemory(pid, codeStart, Buffer.from('\xcc\xcc\xcc\xcc', 'latin1'))).toThrow(new RegExp(`0x${codeStart.toString(16)}\\): EFAULT`));
    expect(readMemory(pid, codeStart, 4)).toEqual(original);
    runToExit(pid);
  });

  it('readCStringInto reads a string that ends on the last byte before an unmapped page, however much room it has', () => {
    const pid = start('/bin/true', ['true']);
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
    const stackEnd = parseInt(
      maps
        .find((line) => line.endsWith('[stack]'))!
        .split(' ')[0]!
        .split('-')[1]!,
      16,
    );
    // The stack's last 8 bytes are a NULL word the program never reads again.
    native.writeMemory(pid, stackEnd - 4, Buffer.from('end\0'));
    expect(() => readMemory(pid, stackEnd - 4, 8)).toThrow(/EFAULT/);
    expect(readCString(pid, stackEnd - 4, 4096)).toBe('end');
    runToExit(pid);
  });

  /** What the pattern program's region holds from byte `from` on. */
  const patternBytes = (from: number, length: number): Buffer =>
    Buffer.from(Array.from({ length }, (_, k) => ((from + k) * 7 + Math.floor((from + k) / 4096)) % 251));

  it('copies whole at every distance between the two sides in a page, including those the kernel copies slowly and that go through a bounce buffer', () => {
    const pid = start(bin.pattern!, ['pattern'], { trapSyscalls: [SYS_WRITE] });
    runToExit(pid, (stop) => {
      const region = stop.data[2]!;
      // Each remote offset from 0 to 95 past a page, and the last 32 before one: whatever our buffer's
      // offset, some of these put the destination 1 to 31 bytes past the source, either way round.
      const offsets = [...Array.from({ length: 96 }, (_, k) => k), ...Array.from({ length: 32 }, (_, k) => 4064 + k)];
      // Sizes: one 64 KiB write, and one larger than a bounce piece (256 KiB) that ends off a page.
      for (const length of [65536, 300_001]) {
        for (const offset of offsets) {
          const from = 4096 + offset;
          expect(readMemory(pid, region + from, length).equals(patternBytes(from, length))).toBe(true);
        }
      }
      const written = patternBytes(12345, 300_001).reverse();
      for (const offset of offsets) {
        native.writeMemory(pid, region + 8192 + offset, written);
        expect(readMemory(pid, region + 8192 + offset, written.length).equals(written)).toBe(true);
      }
      native.skipSyscallAndResume(stop.tid, 0);
    });
  });

  it('throws EFAULT naming the address for an unmapped range', () => {
    const pid = start('/bin/true', ['true']);
    expect(() => readMemory(pid, 0x1000, 16)).toThrow(/: EFAULT \(Bad address\)/);
    expect(() => readMemory(pid, 0x1000, 16)).toThrow(/0x1000/);
    runToExit(pid);
  });
});

describe('process events', () => {
  it('a fork gives a FORK stop and the new child starts with an EVENT_STOP', () => {
    const pid = start(bin.fork, ['fork']);
    const stops = runToExit(pid);
    expect(stops.at(-1)).toMatchObject({ kind: StopKind.Exited, data: [0, 0, 0, 0, 0, 0, 0] });
    const fork = stops.find((stop) => stop.kind === StopKind.Fork);
    expect(fork).toMatchObject({ tid: pid });
    const child = fork!.data[0];
    const childStops = stops.filter((stop) => stop.tid === child).map((stop) => [stop.kind, stop.data[0]]);
    expect(childStops).toEqual([
      [StopKind.EventStop, 5],
      [StopKind.ExitEvent, 7 << 8],
      [StopKind.Exited, 7],
    ]);
  });

  it('a vfork (as dash runs commands) gives a VFORK stop', () => {
    const pid = start('/bin/sh', ['sh', '-c', '/bin/true; /bin/true']);
    const stops = runToExit(pid);
    const vforks = stops.filter((stop) => stop.kind === StopKind.Vfork);
    expect(vforks.length).toBeGreaterThanOrEqual(1);
    const child = vforks[0].data[0];
    const childExec = stops.find((stop) => stop.tid === child && stop.kind === StopKind.Exec);
    expect(childExec?.data[0]).toBe(child);
  });

  it('interrupt stops a running tracee with an EVENT_STOP', () => {
    const pid = start(bin.spin, ['spin']);
    native.resume(pid, 0, false);
    native.interrupt(pid);
    const stop = nextStop(pid);
    expect(stop.kind).toBe(StopKind.EventStop);
    killAndReap(pid);
  });

  it('a signal sent with signalThread shows as a signal-delivery stop', () => {
    const pid = start(bin.spin, ['spin']);
    native.signalThread(pid, pid, 15);
    native.resume(pid, 0, false);
    const stop = nextStop(pid);
    expect(stop.kind).toBe(StopKind.Signal);
    expect(stop.data[0]).toBe(15);
    native.resume(pid, 15, false);
    const stops = [nextStop(pid)];
    if (stops[0].kind === StopKind.ExitEvent) {
      native.resume(pid, 0, false);
      stops.push(nextStop(pid));
    }
    expect(stops.at(-1)!.kind).toBe(StopKind.Killed);
    expect(stops.at(-1)!.data[0]).toBe(15);
  });

  it('waitStop with nohang returns 0 when no tracee has stopped', () => {
    const pid = start(bin.spin, ['spin']);
    native.resume(pid, 0, false);
    expect(native.waitStop(pid, out, true)).toBe(0);
    killAndReap(pid);
  });

  it('a failed ptrace call throws with the request and errno', () => {
    expect(() => native.resume(0x3fffffff, 0, false)).toThrow('ptrace(PTRACE_CONT, 1073741823): ESRCH (No such process)');
  });

  it('tracees die with their tracer (EXITKILL)', async () => {
    const addon = new URL('../../native/ptrace-rs/index.js', import.meta.url).href;
    const script = `
      import { spawn } from ${JSON.stringify(addon)};
      const pid = spawn({ path: '/bin/sleep', argv: ['sleep', '100'], env: [], trapSyscalls: [], trapAll: false });
      console.log(pid);
      setInterval(() => {}, 1000);`;
    const tracer = spawnNode(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const tracee = await new Promise<number>((resolve, reject) => {
      tracer.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      tracer.once('exit', (code) => reject(new Error(`tracer exited with ${code}`)));
    });
    expect(processState(tracee)).toBe('t');
    const tracerGone = new Promise((resolve) => tracer.once('exit', resolve));
    tracer.kill('SIGKILL');
    await tracerGone;
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && !['Z', 'X', null].includes(processState(tracee))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(['Z', 'X', null]).toContain(processState(tracee));
  });
});

describe('descriptors', () => {
  it('inspectFd reports a tracee pipe, the bytes in it and its capacity', () => {
    const pid = start(bin.pipe, ['pipe'], { trapSyscalls: [SYS_LSEEK] });
    const seen: native.FdInfo[] = [];
    runToExit(pid, (stop) => {
      const info = native.inspectFd(pid, stop.data[1]);
      expect(info).not.toBeNull();
      seen.push(info!);
      native.resume(stop.tid, 0, false);
    });
    native.forgetProcess(pid);
    expect(seen).toHaveLength(2);
    const [readEnd, writeEnd] = seen;
    expect(readEnd).toMatchObject({ kind: 'pipe', readable: true, available: 5, capacity: 65536, hangup: false, nonblocking: false });
    expect(writeEnd).toMatchObject({ kind: 'pipe', writable: true, ino: readEnd.ino });
  });

  it('inspectFd returns null for a descriptor the tracee does not have', () => {
    const pid = start('/bin/true', ['true']);
    expect(native.inspectFd(pid, 999)).toBeNull();
    expect(native.inspectFd(pid, 0)).not.toBeNull();
    runToExit(pid);
    native.forgetProcess(pid);
  });

  it('waitForTraceeInput reports which tracee descriptors are readable', () => {
    const pid = start(bin.pipe, ['pipe'], { trapSyscalls: [SYS_LSEEK] });
    const ready: number[][] = [];
    runToExit(pid, (stop) => {
      if (ready.length === 0) {
        const [readEnd, writeEnd] = [stop.data[1], stop.data[1] + 1];
        ready.push(native.waitForTraceeInput([{ pid, fd: writeEnd }], 30));
        ready.push(
          native.waitForTraceeInput(
            [
              { pid, fd: writeEnd },
              { pid, fd: readEnd },
            ],
            -1,
          ),
        );
      }
      native.resume(stop.tid, 0, false);
    });
    native.forgetProcess(pid);
    expect(ready).toEqual([[], [1]]);
  });
});

describe('counters and CPUs', () => {
  it('threadCpuTimeNs grows while a thread computes', () => {
    const before = native.threadCpuTimeNs(process.pid);
    let sum = 0;
    for (let i = 0; i < 5e6; i++) sum += i;
    expect(sum).toBeGreaterThan(0);
    expect(native.threadCpuTimeNs(process.pid)).toBeGreaterThan(before);
  });

  it("a thread's CPU time file is let go when its exit is reported, or when forgetThread is called", () => {
    const openFor = (tid: number) =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(`/proc/${tid}/schedstat`);
        } catch {
          return false; // the descriptor readdir itself used, closed since
        }
      }).length;
    const pid = start('/bin/true', ['true']);
    native.threadCpuTimeNs(pid);
    expect(openFor(pid)).toBe(1);
    native.forgetThread(pid);
    expect(openFor(pid)).toBe(0);
    native.threadCpuTimeNs(pid);
    runToExit(pid);
    expect(openFor(pid)).toBe(0);
    expect(() => native.threadCpuTimeNs(pid)).toThrow(/schedstat\): E/);
  });

  it('instruction counters count a tracee, or say why they cannot', () => {
    const pid = start('/bin/true', ['true']);
    if (native.instructionCounterAvailable()) {
      const fd = native.openInstructionCounter(pid);
      runToExit(pid);
      expect(native.readCounter(fd)).toBeGreaterThan(1000);
      native.closeCounter(fd);
    } else {
      expect(() => native.openInstructionCounter(pid)).toThrow(/^perf_event_open\(instructions, \d+\): E[A-Z]+ /);
      runToExit(pid);
    }
  });

  it('pins the calling thread and the tracee to one CPU, and moves the other threads to the other CPUs', () => {
    const allowedList = () => readFileSync('/proc/self/status', 'utf8').match(/Cpus_allowed_list:\s+(\S+)/)![1]!;
    const original = allowedList();
    const allowed = native.allowedCpus();
    expect(allowed).toEqual(cpuList(original));
    const cpu = allowed[allowed.length - 1]!;
    const pid = start('/bin/true', ['true'], { cpu });
    expect(cpuList(readFileSync(`/proc/${pid}/status`, 'utf8').match(/Cpus_allowed_list:\s+(\S+)/)![1]!)).toEqual([cpu]);
    runToExit(pid);
    try {
      native.pinThisThread(cpu);
      expect(cpuList(allowedList())).toEqual([cpu]);
      const helpers = readdirSync('/proc/self/task').filter((tid) => Number(tid) !== process.pid);
      // Node runs V8's compiler and garbage-collector workers beside the main thread.
      expect(helpers.length).toBeGreaterThan(0);
      const others = allowed.length > 1 ? allowed.filter((c) => c !== cpu) : [cpu];
      for (const tid of helpers) {
        const placed = readFileSync(`/proc/self/task/${tid}/status`, 'utf8').match(/Cpus_allowed_list:\s+(\S+)/)![1]!;
        expect(cpuList(placed)).toEqual(others);
      }
    } finally {
      execFileSync('taskset', ['-a', '-p', '-c', original, String(process.pid)]);
    }
  });

  it('measureStopCost gives the CPU time a tracee that only stops spends on each batch of stops: µs a stop', () => {
    const costs = native.measureStopCost({ trapSyscalls: [SYS_GETPPID], trapAll: false, syscall: SYS_CLOCK_GETTIME, batches: 5, stopsPerBatch: 200 });
    expect(costs).toHaveLength(5);
    for (const cost of costs) {
      // A stop is kernel work for the tracee (filter, stop, two context switches, a result written): well over 0.1 µs, well under 1 ms.
      expect(cost / 200).toBeGreaterThan(100);
      expect(cost / 200).toBeLessThan(1e6);
    }
  });

  it.skipIf(!native.notificationsAvailable())(
    'measureStopCost measures a user notification answered instead of a stop, when told (skipped before Linux 6.7: no io_uring WAITID)',
    () => {
      const costs = native.measureStopCost({
        trapSyscalls: [SYS_EXECVE, SYS_GETPPID],
        trapAll: false,
        syscall: SYS_CLOCK_GETTIME,
        notified: true,
        batches: 5,
        stopsPerBatch: 200,
      });
      expect(costs).toHaveLength(5);
      for (const cost of costs) {
        // The filter, the wait for the answer, two context switches, a result written: over 0.1 µs, under 1 ms.
        expect(cost / 200).toBeGreaterThan(100);
        expect(cost / 200).toBeLessThan(1e6);
      }
      // The calls are notified indeed: without execve trapped, no listener can be handed over.
      expect(() =>
        native.measureStopCost({ trapSyscalls: [SYS_GETPPID], trapAll: false, syscall: SYS_CLOCK_GETTIME, notified: true, batches: 1, stopsPerBatch: 1 }),
      ).toThrow(/execve/);
    },
  );

  it('measureStopCost refuses to measure no stop', () => {
    expect(() => native.measureStopCost({ trapSyscalls: [], trapAll: false, syscall: SYS_CLOCK_GETTIME, batches: 0, stopsPerBatch: 200 })).toThrow(
      /^measureStopCost: EINVAL /,
    );
  });
});

/** The CPUs of a list as /proc prints them, "0-3,6". */
function cpuList(list: string): number[] {
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number) as [number, number?];
    return Array.from({ length: last! - first + 1 }, (_, i) => first + i);
  });
}
