import { describe, expect, test } from 'vitest';
import { appPath, runNative, runSimterpose, shellStatus, type RunResult } from '../helpers/apps.js';

// Linux semantics that real programs rely on: each C program runs natively
// and under simterpose, and prints what it saw step by step; the two outputs
// must be the same, line for line. Programs on sockets run under both data
// paths.

const NETWORK_MODES = ['full', 'translate'] as const;

interface Case {
  behaviour: string;
  argv: string[];
  /** Whether the program uses virtual sockets, and so runs under each data path. */
  network: boolean;
  /** The data paths it runs under when not all (see README's limitations for why). */
  networkModes?: ReadonlyArray<(typeof NETWORK_MODES)[number]>;
  /** Whether its calls are mediated at notifications and at ptrace stops differently, and so runs with each. */
  bothStops?: boolean;
}

const cases: Case[] = [
  {
    behaviour:
      'edge-triggered epoll reports each arrival, even with data unread or while the thread was away; EPOLL_CTL_MOD re-arms; one-shot disarms; EPOLLOUT rises when room frees',
    argv: [appPath('epoll_edges'), 'sequence'],
    network: true,
  },
  {
    behaviour:
      'edge-triggered epoll on pipes, socket pairs and eventfds reports a write even with data unread, and one after the reader emptied the descriptor; a filled pipe raises EPOLLOUT when room frees',
    argv: [appPath('epoll_edges'), 'kernel'],
    network: false,
  },
  {
    behaviour: 'an edge-triggered server that reads until EAGAIN answers every request its client sent in two writes',
    argv: [appPath('epoll_edges'), 'split'],
    network: true,
  },
  {
    behaviour:
      'an epoll interest belongs to the socket registered: one closed while registered leaves the list, and a new socket given its number is added afresh, even while a dup keeps the old one open',
    argv: [appPath('epoll_edges'), 'closed'],
    network: true,
  },
  {
    behaviour:
      "a fresh TCP socket's SO_SNDBUF and SO_RCVBUF are tcp_wmem's and tcp_rmem's defaults (16384, 131072), a size set reads doubled; getsockopt(IP_OPTIONS) gives nothing, bind takes AF_UNSPEC with INADDR_ANY, connect after a non-blocking one reports its outcome once, then EISCONN; recvmmsg takes datagrams into several entries, MSG_TRUNC and sources included, or waits for one, refuses a bad timeout, cuts vlen to UIO_MAXIOV and stops at an entry that faults; recv(MSG_OOB) with no urgent byte is EINVAL on a TCP socket in any state but listening (ENOTCONN), its bytes left for the next recv, and UDP ignores the flag; recv(MSG_TRUNC) on TCP takes bytes without copying them, so no buffer is no fault; after connect(AF_UNSPEC) a socket listens again only if it never took part in a handshake (EINVAL once it connected, was accepted or refused, even bound anew), a refused connection gives back its port; SO_RCVTIMEO and SO_SNDTIMEO refuse microseconds outside a second with EDOM",
    argv: [appPath('socket_calls')],
    network: true,
  },
  {
    behaviour:
      "a UDP send is refused in Linux's order: over AF_INET the length past 0xFFFF, MSG_OOB, the address, then a destination at all; over AF_INET6 the address first, then IPv4's checks for an IPv4 or IPv4-mapped destination, else the port, MSG_OOB being no error; a payload too large for IP last; each of them leaves the socket bound to a port, as a fault copying the payload does, but not a buffer outside user space nor an address too long to copy",
    argv: [appPath('udp_send_checks')],
    network: true,
  },
  {
    behaviour:
      "getsockopt(TCP_INFO) follows a connection's life in both families (CLOSE, LISTEN with its queue and backlog, SYN_SENT while the queue is full, ESTABLISHED, FIN_WAIT2, CLOSE_WAIT, CLOSE after both FINs or a reset), counts the bytes sent, acknowledged (the SYN and FIN included) and received, and fills as much of the struct as the buffer holds; UDP refuses it",
    argv: [appPath('tcp_info')],
    network: true,
  },
  {
    behaviour:
      "setsockopt and getsockopt know Linux's option names at each level, family and type of socket (names 0 to 110 and beyond), refuse a bad pointer, a bad length and an unknown name in Linux's order per level; getsockopt(IPV6_ADDRFORM), IP_MTU and IPV6_MTU answer only on an established socket (ENOTCONN otherwise)",
    argv: [appPath('socket_option_names')],
    network: true,
  },
  {
    behaviour:
      "a fresh TCP or UDP socket of either family reads Linux's defaults for options never set (IP_TTL 64, TCP_KEEPIDLE 7200, SO_RCVLOWAT 1, hop limits...), structs at their sizes, SO_MEMINFO's buffer sizes, a cookie and a congestion control name",
    argv: [appPath('socket_option_defaults')],
    network: true,
  },
  {
    behaviour:
      "the host's socket tables, /proc/net/tcp, tcp6, udp and udp6 and a NETLINK_SOCK_DIAG dump of each, list its listeners (their accept queue and backlog), the connection waiting in one, a connection's states and unread bytes (its FIN counted), bound and connected UDP sockets, with their shutdown bits and tcp_info",
    argv: [appPath('socket_tables')],
    network: true,
  },
  {
    behaviour:
      "SIOCINQ, SIOCOUTQ and SIOCOUTQNSD: EINVAL on a listener, a connection's unread bytes without its FIN, a UDP socket's next datagram, and ENOTTY for UDP's SIOCOUTQNSD",
    argv: [appPath('socket_queues')],
    network: true,
  },
  {
    behaviour: '/proc/net/if_inet6 lists every IPv6 address getifaddrs gives, on its interface, index and prefix; /proc/net/route every IPv4 subnet on a link',
    argv: [appPath('interface_files')],
    network: false,
  },
  {
    behaviour:
      'a blocking recvmmsg fills every entry however late its datagrams come, MSG_WAITFORONE, MSG_DONTWAIT and O_NONBLOCK take what is there; its timeout is looked at only after each datagram (zero takes one), the time left written back; a signal returns the datagrams taken',
    argv: [appPath('recvmmsg_waits')],
    network: true,
  },
  {
    behaviour:
      'a UDP socket with O_ASYNC (F_SETFL or FIOASYNC) and its process or thread as owner (F_SETOWN, F_SETOWN_EX) sends SIGIO with SI_KERNEL, one pending for two datagrams, or its F_SETSIG signal once per datagram, POLL_IN with its band and descriptor, read from a signalfd too',
    argv: [appPath('socket_sigio'), 'datagrams'],
    network: true,
    bothStops: true,
  },
  {
    behaviour:
      "TCP sockets with O_ASYNC send their F_SETSIG signal for a connection reaching a listener, bytes arriving, the peer's close (twice POLL_IN; POLL_HUP then POLL_IN once shut for writing), and room to send again after EAGAIN (POLL_OUT)",
    argv: [appPath('socket_sigio'), 'connection'],
    network: true,
    bothStops: true,
    // Under --network translate the kernel signals a listener at accept, when the kernel connection is made, and no room to send again.
    networkModes: ['full'],
  },
  {
    behaviour:
      'AF_INET6 sockets over ::1 and 127.0.0.1: bind, connect, accept, getsockname, getpeername, sendto, recvfrom and recvmsg show sockaddr_in6; a dual-stack listener takes IPv4 clients as ::ffff:127.0.0.1 and holds the port for AF_INET too, IPV6_V6ONLY leaves IPv4 alone; addresses of the wrong family or length get Linux errnos',
    argv: [appPath('ipv6_sockets')],
    network: true,
  },
  {
    behaviour:
      "a signalfd: a blocking read ends when another process's signal arrives, a non-blocking one with nothing pending is EAGAIN, poll and epoll report it readable only for a signal of its mask",
    argv: [appPath('signalfd_wait')],
    network: false,
  },
  {
    behaviour:
      "signals taken without a delivery name their sender by the pid fork gave: a child's kill and kill(0) read from a signalfd (read, a read that waits, readv), a child's exit as SIGCHLD (CLD_EXITED, its status), a child's kill taken by sigwaitinfo and sigtimedwait",
    argv: [appPath('signal_senders')],
    network: false,
  },
  {
    behaviour:
      "signals from other sources, read from a signalfd or taken by sigwaitinfo, carry Linux's fields: sigqueue SI_QUEUE with the sender's pid and value, a POSIX timer SI_TIMER with its id, overrun and value, a message queue's notification SI_MESGQ with the sender's pid and value, a pipe's SIGIO SI_KERNEL, its F_SETSIG signal POLL_IN with the descriptor and band",
    argv: [appPath('signal_sources')],
    network: false,
    bothStops: true,
  },
  {
    behaviour:
      'futexes: words in shared memory wake across processes and across two mappings of one file, FUTEX_PRIVATE_FLAG keeps them apart; process-shared semaphores, mutexes and condition variables work; FUTEX_REQUEUE and FUTEX_CMP_REQUEUE count woken and moved waiters; PI mutexes hand over in order, time out, work across processes; the PI operations and FUTEX_WAIT_REQUEUE_PI/FUTEX_CMP_REQUEUE_PI give Linux answers',
    argv: [appPath('futexes')],
    network: false,
  },
  {
    behaviour:
      'job control: SIGSTOP stops a child (no progress, state T), SIGCONT resumes it; wait4 WUNTRACED/WCONTINUED and waitid WSTOPPED/WCONTINUED/WNOWAIT report each change once; SIGCHLD says CLD_STOPPED and CLD_CONTINUED unless SA_NOCLDSTOP; a handled SIGTSTP stops nothing; SIGKILL ends a stopped child',
    argv: [appPath('job_control')],
    network: false,
  },
  {
    behaviour:
      'POSIX timers give ids 0, 1, 2..., signal SI_TIMER with their id and value in date order, count overruns while blocked, report the time left, fail bad calls with EINVAL; sigtimedwait takes their signals; SIGEV_THREAD calls its function',
    argv: [appPath('posix_timers')],
    network: false,
  },
  {
    behaviour:
      "fcntl gives back the owner it was given (F_SETOWN, F_SETOWN_EX for a thread, a process and a group) and names a record lock's holder by its pid (F_GETLK, F_OFD_GETLK)",
    argv: [appPath('pid_views')],
    network: false,
  },
  {
    behaviour:
      "SO_PEERCRED names the process at the other end of an AF_UNIX socket, none on TCP or UDP; SCM_CREDENTIALS sent with one's own pid are accepted and arrive, as those the kernel adds, naming the sender by the pid fork gave, over a connection and a datagram pair (a recvmsg that waits, one with MSG_DONTWAIT), and to recvmmsg (entries filled at once, one waited for)",
    argv: [appPath('peer_credentials')],
    network: true,
    bothStops: true,
  },
  {
    behaviour:
      "sendfile into a TCP socket carries a file's bytes from an explicit offset (the file's own untouched) or from the file offset (moved), stops at the end of the file, blocks until a whole file went while a thread reads, takes what fits without blocking, and gives Linux's errno to each mistake",
    argv: [appPath('sendfile_socket')],
    network: true,
  },
  {
    behaviour:
      "splice moves a file's bytes through a pipe into a TCP socket (a blocking 1 MiB one returning once all went) and back through a pipe into a file, no more than asked, than the pipe holds or has room for, leaving the rest; an empty pipe, an empty socket and a full pipe are waited for, or EAGAIN when non-blocking; EOF, EPIPE, and Linux's errno for each mistake, tee and sendfile with a socket included",
    argv: [appPath('splice_socket')],
    network: true,
  },
  {
    behaviour:
      'splice and sendfile move a pipe or a file into a UDP socket as one datagram per call (EDESTADDRREQ, EMSGSIZE and ECONNREFUSED leave the pipe as it was; SPLICE_F_MORE corks) and one datagram per call into a pipe, cut to what was asked and the pipe has room for, over IPv4 and IPv6',
    argv: [appPath('splice_datagram')],
    network: true,
  },
  {
    behaviour:
      'UDP datagrams are bounded by their IP version: 65507 bytes of payload over IPv4 (also from an AF_INET6 socket to an IPv4-mapped address), 65527 over IPv6 on ::1 (its payload length leaves out its own header), EMSGSIZE past them, and the largest arrive whole',
    argv: [appPath('udp_sizes')],
    network: true,
  },
  {
    behaviour: "another process's descriptor reopens through /proc/PID/fd/N, for a file unlinked since and for a memfd, and both processes see the same bytes",
    argv: [appPath('proc_fd_reopen')],
    network: false,
  },
  {
    behaviour: 'select, pselect6 and ppoll leave the time left in their timeout when a descriptor becomes ready, and 0 when it runs out',
    argv: [appPath('select_time_left')],
    network: false,
  },
  {
    behaviour:
      "System V IPC objects name their users by virtual pid: shared memory's creator and last attacher, a queue's last sender and receiver, a semaphore's last operator",
    argv: [appPath('ipc_pids')],
    network: false,
  },
  {
    behaviour:
      "a terminal's foreground process group and session are named by virtual ids: tcgetpgrp, tcgetsid, tcsetpgrp to a child's group and back, ESRCH for a group that does not exist",
    argv: [appPath('terminal_groups')],
    network: false,
  },
  {
    behaviour: 'socket calls made with mistakes get the errno Linux gives, and a send whose buffer faults moves no bytes',
    argv: [appPath('socket_mistakes')],
    network: true,
  },
  {
    behaviour:
      'connect(AF_UNSPEC) resets an established connection (ECONNRESET on both ends, no peer) and stops a listener, both free to connect or listen again, and gives back a port the kernel picked (bind works again) but not one the program chose, as a received reset does; a close with unread data or SO_LINGER at 0 s resets; after a reset getpeername has no peer and the error comes once, before a bad buffer is looked at; a connect closed before its handshake ended leaves the listener nothing reset to accept',
    argv: [appPath('tcp_resets')],
    network: true,
  },
  {
    behaviour:
      'poll reports POLLRDNORM and POLLWRNORM with POLLIN and POLLOUT for pipes, sockets, devices and files, POLLWRBAND for UDP and AF_UNIX sockets but not TCP, none for eventfds and timerfds; a band asked alone is reported',
    argv: [appPath('poll_bands')],
    network: true,
  },
  {
    behaviour:
      'timerfd_settime reads the new value first (EFAULT), then checks flags and value (EINVAL), then the descriptor (EBADF, EINVAL), and writes the old value last, the timer set even when that faults; a date already past expires at once, and a read right after takes its count',
    argv: [appPath('timerfd_mistakes')],
    network: false,
  },
  {
    behaviour:
      "System V message queues and semaphores, POSIX message queues: a blocking msgrcv, msgsnd, semop or mq_timedreceive/mq_timedsend ends when another process acts, typed receives take their type, IPC_NOWAIT and O_NONBLOCK answer at once, semtimedop's timeout is EAGAIN and mq_timed*'s ETIMEDOUT after their time, IPC_RMID is EIDRM, a SA_RESTART handler ends a semop with EINTR; poll sees a POSIX queue readable only while it holds a message",
    argv: [appPath('ipc_queues')],
    network: false,
  },
  {
    behaviour:
      'a blocking open of a named FIFO waits until another process opens the other end, reader first or writer first, also reopened through /proc/PID/fd; O_NONBLOCK opens answer at once (a writer without a reader ENXIO), O_RDWR never waits, and bytes go through',
    argv: [appPath('fifo_opens')],
    network: false,
    bothStops: true,
  },
];

function lastLine(output: string): string | undefined {
  return output.trimEnd().split('\n').at(-1);
}

const nativeRuns = new Map<Case, Promise<RunResult>>();
function nativeRun(program: Case): Promise<RunResult> {
  let run = nativeRuns.get(program);
  if (run === undefined) {
    run = runNative(program.argv);
    nativeRuns.set(program, run);
  }
  return run;
}

describe('semantics programs run natively', () => {
  for (const program of cases) {
    test(`natively, ${program.behaviour}`, async () => {
      const native = await nativeRun(program);
      expect(native.stderr).toBe('');
      expect(shellStatus(native)).toBe(0);
      expect(lastLine(native.stdout)).toBe('EXIT-SUCCESS');
    });
  }
});

describe('semantics programs under simterpose see what they see on Linux', () => {
  for (const program of cases) {
    for (const mode of program.network ? (program.networkModes ?? NETWORK_MODES) : [undefined]) {
      for (const stops of program.bothStops === true ? [[], ['--no-notify-syscalls']] : [[]]) {
        const how = ['under simterpose', ...(mode === undefined ? [] : [`--network ${mode}`]), ...stops].join(' ');
        test(`${how}, ${program.behaviour}`, async () => {
          const native = await nativeRun(program);
          const runOptions = ['--cpu-model', 'none', ...(mode === undefined ? [] : ['--network', mode]), ...stops];
          const simulated = await runSimterpose(program.argv, { runOptions });
          expect(simulated.stdout).toBe(native.stdout);
          expect(simulated.stderr).toBe('');
          expect(shellStatus(simulated)).toBe(0);
        });
      }
    }
  }
});

describe('POSIX timers run on virtual time', () => {
  test('coreutils timeout 2 sleep 10 ends at 2 s virtual with status 124', async () => {
    const script = 'date +%s.%N; timeout 2 sleep 10; echo "status $?"; date +%s.%N';
    const simulated = await runSimterpose(['/bin/sh', '-c', script], { runOptions: ['--cpu-model', 'none'] });
    const [start, status, end] = simulated.stdout.trimEnd().split('\n');
    expect(status).toBe('status 124');
    const elapsed = Number(end) - Number(start);
    expect(elapsed).toBeGreaterThanOrEqual(2);
    expect(elapsed).toBeLessThan(2.01);
  });
});

describe('namespace calls are answered as for an unprivileged process', () => {
  // Natively the program runs as nobody when the suite runs as root, so that Linux shows what an unprivileged process gets.
  const unprivileged = process.getuid?.() === 0 ? 65534 : undefined;
  // Whether an unprivileged process may make a user namespace is the distribution's choice; simterpose refuses it (syscalls/handlers/namespaces.ts).
  const userNamespace = (line: string): boolean => line.includes('CLONE_NEWUSER');
  const lines = (output: string): string[] => output.trimEnd().split('\n');

  test('unshare, clone and setns fail with EPERM as for an unprivileged process; kcmp compares processes named by virtual pids', async () => {
    const argv = [appPath('namespaces')];
    const [native, simulated] = await Promise.all([runNative(argv, { uid: unprivileged }), runSimterpose(argv, { runOptions: ['--cpu-model', 'none'] })]);
    expect(native.stderr).toBe('');
    expect(simulated.stderr).toBe('');
    expect(shellStatus(simulated)).toBe(0);
    expect(lines(simulated.stdout).filter((line) => !userNamespace(line))).toEqual(lines(native.stdout).filter((line) => !userNamespace(line)));
    expect(lines(simulated.stdout).filter(userNamespace)).toEqual([
      'unshare CLONE_NEWUSER: Operation not permitted',
      'clone CLONE_NEWUSER: Operation not permitted',
    ]);
    expect(lines(simulated.stdout).at(-1)).toBe('EXIT-SUCCESS');
  });
});
