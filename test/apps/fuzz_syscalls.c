/* A seeded syscall fuzzer: `fuzz_syscalls SEED COUNT` makes COUNT random
 * calls over the families simterpose mediates (time, poll, epoll, sockets,
 * reads and writes, descriptors, random bytes, identity, processes,
 * signals, timerfd, eventfd, futex, DNS), with hostile arguments, and
 * prints one line per call: its name and its result or errno, nothing that
 * legitimately differs between two runs (times, pids, random bytes,
 * addresses). Run natively and under simterpose, the lines must match.
 *
 * It never blocks: every descriptor is non-blocking, every wait has a zero
 * timeout, and a sleep is either refused or a few microseconds. Data sent
 * to a peer is waited for at once (a poll with a timeout, not printed),
 * so that what a later call finds does not depend on how fast the network
 * is. Raw syscalls throughout: glibc's wrappers would check arguments or
 * fault in user space before the kernel sees them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fuzz_args.h"

/* A descriptor the fuzzer holds, what it is, and where its data goes. */
enum kind { FREE, PIPE_READ, PIPE_WRITE, TCP_LISTENER, TCP, UDP, UNIX, EPOLL, EVENT, TIMER, OTHER };
struct slot {
  int fd;
  enum kind kind;
  int peer; /* the slot that receives what this one sends, or -1 */
};
#define SLOTS 24
static struct slot slots[SLOTS];
static struct sockaddr_in listener_address, udp_address, nameserver;
/* Not in the pool: whether and when the nameserver answers is the network's
 * (the machine's real one natively, simterpose's own under it). */
static int dns_fd = -1;

/* Prints `name = result`, or the errno's name when the call failed. */
static void report(const char *name, long result) {
  if (result < 0) printf("%s = -1 %s\n", name, strerrorname_np(errno));
  else printf("%s = %ld\n", name, result);
  fflush(stdout);
}

/* The same, for calls whose success value legitimately differs (a time, a pid): only that it succeeded. */
static void report_ok(const char *name, long result) {
  if (result < 0) report(name, result);
  else printf("%s = ok\n", name);
  fflush(stdout);
}

/* After a call that may have written at RW what legitimately differs from
 * Linux (a time, an address, a host's identity, random bytes, a nameserver's
 * answer): RW is filled again as at the start, so that a later call taking
 * its arguments from there makes the same call in both runs. */
static void forget_outputs(void) { memset(RW, 'x', PAGE); }

static int add_slot(int fd, enum kind kind, int peer) {
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].kind == FREE) {
      slots[i] = (struct slot){fd, kind, peer};
      return i;
    }
  }
  return -1;
}

/* Forgets a descriptor the program closed (every slot naming it: dups share none). */
static void forget_fd(int fd) {
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].kind != FREE && slots[i].fd == fd) slots[i].kind = FREE;
  }
}

static int random_slot(void) {
  int start = pick(SLOTS);
  for (int i = 0; i < SLOTS; i++) {
    int s = (start + i) % SLOTS;
    if (slots[s].kind != FREE) return s;
  }
  return -1;
}

/* Where a socket call finds its address length: a hostile pointer that lands
 * on RW gets the length chosen at RW + 512 copied there, since RW otherwise
 * holds what earlier calls left (an ephemeral port among it), which differs
 * from run to run. */
static void *length_pointer(void *pointer) {
  if (pointer == RW) *(socklen_t *)RW = *(socklen_t *)(RW + 512);
  return pointer;
}

/* A descriptor of the pool most of the time, else a number that is no open file. */
static int any_fd(void) {
  int s = random_slot();
  if (s < 0 || one_in(6)) return bad_fd();
  return slots[s].fd;
}

static struct slot *slot_of(int fd) {
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].kind != FREE && slots[i].fd == fd) return &slots[i];
  }
  return NULL;
}

/* Waits (not printed) until `fd` shows `events` or half a second passed. */
static void settle(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  poll(&p, 1, 500);
}

/* After data went out of `fd` (or its end was announced): waits until its peer has it. */
static void settle_peer(int fd) {
  struct slot *from = slot_of(fd);
  if (from == NULL || from->peer < 0 || slots[from->peer].kind == FREE) return;
  settle(slots[from->peer].fd, POLLIN);
}

/* Forgets `fd`, just closed (by close, or by a dup2 over it), and waits
 * until its peer sees the end once no copy of this end is left (as far as
 * the pool tells): on Linux a close over loopback reaches the peer at once. */
static void forget_closed_fd(int fd) {
  struct slot *slot = slot_of(fd);
  if (slot == NULL) return;
  struct slot closed = *slot;
  forget_fd(fd);
  for (int i = 0; i < SLOTS; i++) {
    if (slots[i].kind == closed.kind && slots[i].peer == closed.peer) closed.peer = -1;
  }
  if (closed.peer >= 0 && slots[closed.peer].kind != FREE) settle(slots[closed.peer].fd, POLLIN);
}

static struct timespec hostile_timespec_value(void) {
  switch (pick(6)) {
  case 0: return (struct timespec){-1, 0};
  case 1: return (struct timespec){0, 1000000000};
  case 2: return (struct timespec){0, -1};
  default: return (struct timespec){0, pick(20000)};
  }
}

/* A timespec at RW (a short or invalid one), or a hostile pointer. */
static void *timespec_pointer(void) {
  *(struct timespec *)RW = hostile_timespec_value();
  return struct_pointer(sizeof(struct timespec));
}

/* A timeout that never waits: zero, invalid, or a bad pointer. */
static void *zero_timeout_pointer(int as_timeval) {
  if (as_timeval) *(struct timeval *)RW = one_in(4) ? (struct timeval){0, -1} : (struct timeval){0, 0};
  else *(struct timespec *)RW = one_in(4) ? (struct timespec){0, -1} : (struct timespec){0, 0};
  void *p = struct_pointer(16);
  /* Never NULL (no timeout), nor the read-only page: its bytes make a valid timeval of centuries. */
  if (p == RO) return NONE;
  return p == NULL ? RW : p;
}

/* An iovec array at RW + 2048: good buffers, bad bases, huge lengths. Returns its count (sometimes absurd). */
static long iovec_array(void) {
  struct iovec *iov = (struct iovec *)(RW + 2048);
  long count = 1 + pick(4);
  for (long i = 0; i < count; i++) {
    iov[i].iov_base = one_in(4) ? hostile_pointer(64) : RW + 256 * i;
    iov[i].iov_len = one_in(5) ? hostile_length() : (size_t)pick(200);
  }
  switch (pick(10)) {
  case 0: return 1025;
  case 1: return -1;
  case 2: return 0;
  default: return count;
  }
}

static void op_time(void) {
  switch (pick(6)) {
  case 0: report_ok("time", syscall(SYS_time, hostile_pointer(8))); break;
  case 1: report_ok("gettimeofday", syscall(SYS_gettimeofday, hostile_pointer(16), one_in(2) ? NULL : hostile_pointer(8))); break;
  case 2: {
    static const long clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_PROCESS_CPUTIME_ID, -1, 100, 16};
    report_ok("clock_gettime", syscall(SYS_clock_gettime, clocks[pick(7)], hostile_pointer(16)));
    break;
  }
  case 3: report_ok("clock_getres", syscall(SYS_clock_getres, pick(3) - 1, hostile_pointer(16))); break;
  case 4: report("nanosleep", syscall(SYS_nanosleep, timespec_pointer(), one_in(2) ? NULL : hostile_pointer(16))); break;
  default: {
    long flags = one_in(2) ? TIMER_ABSTIME : hostile_flags(TIMER_ABSTIME);
    /* An absolute date is in the past (a few microseconds after the epoch or the boot): no wait. */
    report("clock_nanosleep", syscall(SYS_clock_nanosleep, one_in(3) ? CLOCK_REALTIME : CLOCK_MONOTONIC, flags, timespec_pointer(),
                                      one_in(2) ? NULL : hostile_pointer(16)));
  }
  }
}

static void op_poll(void) {
  switch (pick(5)) {
  case 0:
  case 1: {
    struct pollfd *fds = (struct pollfd *)RW;
    long n = 1 + pick(4);
    for (long i = 0; i < n; i++) fds[i] = (struct pollfd){any_fd(), (short)hostile_flags(POLLIN | POLLOUT | POLLPRI | POLLRDHUP), 0};
    long nfds = one_in(6) ? (one_in(2) ? 100000 : -1) : n;
    void *p = one_in(5) ? hostile_pointer(8 * n) : fds;
    if (pick(2)) report("poll", syscall(SYS_poll, p, nfds, 0));
    else report("ppoll", syscall(SYS_ppoll, p, nfds, zero_timeout_pointer(0), NULL, 8));
    break;
  }
  default: {
    fd_set *sets = (fd_set *)RW;
    memset(sets, 0, 3 * sizeof(fd_set));
    for (int i = 0; i < 3; i++) {
      int fd = any_fd();
      if (fd >= 0 && fd < FD_SETSIZE) FD_SET(fd, &sets[i]);
    }
    long nfds = one_in(5) ? (one_in(2) ? -1 : 5000) : 64;
    void *r = one_in(4) ? hostile_pointer(128) : &sets[0];
    if (pick(2)) report("select", syscall(SYS_select, nfds, r, &sets[1], &sets[2], zero_timeout_pointer(1)));
    else report("pselect6", syscall(SYS_pselect6, nfds, r, &sets[1], &sets[2], zero_timeout_pointer(0), NULL));
  }
  }
}

static void op_epoll(void) {
  switch (pick(4)) {
  case 0: {
    long fd = syscall(SYS_epoll_create1, one_in(4) ? hostile_flags(EPOLL_CLOEXEC) : 0);
    report("epoll_create1", fd);
    if (fd >= 0 && add_slot(fd, EPOLL, -1) < 0) close(fd);
    break;
  }
  case 1: {
    struct epoll_event *event = (struct epoll_event *)RW;
    event->events = hostile_flags(EPOLLIN | EPOLLOUT | EPOLLET | EPOLLONESHOT | EPOLLRDHUP);
    event->data.u64 = fuzz_next();
    long op = one_in(6) ? pick(10) - 2 : 1 + pick(3);
    report("epoll_ctl", syscall(SYS_epoll_ctl, any_fd(), op, any_fd(), struct_pointer(sizeof *event)));
    break;
  }
  default: {
    long max = one_in(5) ? (one_in(2) ? -1 : INT32_MAX) : 1 + pick(8);
    void *events = one_in(4) ? hostile_pointer(12 * 8) : RW;
    if (pick(2)) report("epoll_wait", syscall(SYS_epoll_wait, any_fd(), events, max, 0));
    else report("epoll_pwait", syscall(SYS_epoll_pwait, any_fd(), events, max, 0, NULL, 8));
  }
  }
}

static void op_socket(void) {
  static const long domains[] = {AF_INET, AF_INET, AF_INET6, AF_UNIX, AF_INET, 999, -1};
  static const long types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET, 99};
  static const long protocols[] = {0, 0, 0, IPPROTO_TCP, IPPROTO_UDP, 99};
  long domain = domains[pick(7)], type = types[pick(4)], protocol = protocols[pick(6)];
  if (pick(3) == 0) {
    int *pair = (int *)RW;
    long r = syscall(SYS_socketpair, domain, type | SOCK_NONBLOCK, protocol, struct_pointer(8));
    report("socketpair", r);
    if (r == 0 && (void *)pair != NULL) {
      int a = add_slot(pair[0], UNIX, -1), b = add_slot(pair[1], UNIX, -1);
      if (a >= 0 && b >= 0) slots[a].peer = b, slots[b].peer = a;
    }
    return;
  }
  long fd = syscall(SYS_socket, domain, type | SOCK_NONBLOCK | (one_in(2) ? SOCK_CLOEXEC : 0), protocol);
  report("socket", fd);
  if (fd >= 0 && add_slot(fd, type == SOCK_STREAM && domain == AF_INET ? TCP : OTHER, -1) < 0) close(fd);
}

static void op_socket_address(void) {
  int fd = any_fd();
  const struct sockaddr_in *peer = one_in(2) ? &listener_address : &udp_address;
  switch (pick(6)) {
  case 0: {
    socklen_t length = hostile_sockaddr(peer);
    ((struct sockaddr_in *)RW)->sin_port = 0;
    report("bind", syscall(SYS_bind, fd, struct_pointer(length), length));
    break;
  }
  case 1: {
    socklen_t length = hostile_sockaddr(peer);
    int disconnect = ((struct sockaddr_in *)RW)->sin_family == AF_UNSPEC;
    long r = syscall(SYS_connect, fd, struct_pointer(length), length);
    report("connect", r);
    if (r == 0 || errno == EINPROGRESS) settle(fd, POLLOUT);
    /* A connection it reset: waits until the peer has the reset, as after a close. */
    if (r == 0 && disconnect) settle_peer(fd);
    break;
  }
  case 2: report("listen", syscall(SYS_listen, fd, pick(3) == 0 ? -1 : pick(8))); break;
  case 3: {
    *(socklen_t *)(RW + 512) = one_in(4) ? (socklen_t)-1 : 16 * pick(3);
    long r = syscall(SYS_accept4, fd, one_in(3) ? NULL : hostile_pointer(16), one_in(3) ? NULL : struct_pointer(4) == RW ? RW + 512 : length_pointer(hostile_pointer(4)),
                     SOCK_NONBLOCK | (one_in(4) ? hostile_flags(SOCK_CLOEXEC) : 0));
    report("accept4", r);
    if (r >= 0 && add_slot(r, TCP, -1) < 0) close(r);
    break;
  }
  default: {
    *(socklen_t *)(RW + 512) = one_in(4) ? (socklen_t)-1 : 4 * pick(5);
    void *length = one_in(4) ? length_pointer(hostile_pointer(4)) : RW + 512;
    if (pick(2)) report("getsockname", syscall(SYS_getsockname, fd, hostile_pointer(16), length));
    else report("getpeername", syscall(SYS_getpeername, fd, hostile_pointer(16), length));
  }
  }
}

static void op_socket_option(void) {
  static const long options[][2] = {
      {SOL_SOCKET, SO_TYPE},      {SOL_SOCKET, SO_ERROR},  {SOL_SOCKET, SO_REUSEADDR}, {SOL_SOCKET, SO_KEEPALIVE}, {SOL_SOCKET, SO_RCVTIMEO},
      {SOL_SOCKET, SO_LINGER},    {IPPROTO_TCP, 1 /* TCP_NODELAY */}, {SOL_SOCKET, 9999}, {9999, 1}, {SOL_SOCKET, SO_ACCEPTCONN},
      {SOL_SOCKET, SO_DOMAIN},    {SOL_SOCKET, SO_PROTOCOL},
  };
  const long *option = options[pick(sizeof options / sizeof options[0])];
  int fd = any_fd();
  if (pick(2)) {
    *(socklen_t *)(RW + 512) = one_in(4) ? (socklen_t)-1 : 4 * pick(5);
    report("getsockopt", syscall(SYS_getsockopt, fd, option[0], option[1], hostile_pointer(16), one_in(4) ? length_pointer(hostile_pointer(4)) : RW + 512));
  } else {
    memset(RW, 0, 16);
    *(int *)RW = pick(3);
    long length = one_in(4) ? -1 : 4 * pick(5);
    /* Receive timeouts only ever zero: a non-blocking socket ignores them, but keep them harmless. */
    report("setsockopt", syscall(SYS_setsockopt, fd, option[0], option[1], option[1] == SO_RCVTIMEO ? hostile_pointer(16) : struct_pointer(16), length));
  }
}

/* send, sendto, sendmsg, write, writev, pwrite64 on a descriptor of the pool. */
static void op_write(void) {
  int fd = any_fd();
  long r;
  const char *name;
  switch (pick(6)) {
  case 0: name = "write", r = syscall(SYS_write, fd, hostile_pointer(PAGE), hostile_length()); break;
  case 1: name = "writev", r = syscall(SYS_writev, fd, one_in(6) ? hostile_pointer(16) : RW + 2048, iovec_array()); break;
  case 2: name = "pwrite64", r = syscall(SYS_pwrite64, fd, RW, pick(64), one_in(3) ? -1 : 0); break;
  case 3: {
    socklen_t length = one_in(2) ? 0 : hostile_sockaddr(&udp_address);
    memmove(RW + 1024, RW, 128);
    name = "sendto";
    r = syscall(SYS_sendto, fd, hostile_pointer(PAGE), one_in(3) ? hostile_length() : (size_t)pick(300), MSG_DONTWAIT | MSG_NOSIGNAL | (one_in(5) ? hostile_flags(MSG_OOB | MSG_MORE) : 0),
                length == 0 ? NULL : (void *)(RW + 1024), length);
    break;
  }
  default: {
    long count = iovec_array();
    struct msghdr *message = (struct msghdr *)(RW + 1536);
    *message = (struct msghdr){.msg_iov = (struct iovec *)(RW + 2048), .msg_iovlen = count};
    if (one_in(5)) message->msg_iov = hostile_pointer(16);
    if (one_in(6)) message->msg_control = hostile_pointer(16), message->msg_controllen = hostile_length();
    name = "sendmsg";
    r = syscall(SYS_sendmsg, fd, struct_pointer(sizeof *message) == RW ? (void *)message : hostile_pointer(56), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  }
  report(name, r);
  /* A datagram of no bytes is still a datagram (a TCP send of none sends nothing). */
  struct slot *from = slot_of(fd);
  if (r > 0 || (r == 0 && from != NULL && from->kind == UDP)) settle_peer(fd);
}

/* read, readv, pread64, recvfrom, recvmsg on a descriptor of the pool. */
static void op_read(void) {
  int fd = any_fd();
  long r;
  const char *name;
  switch (pick(5)) {
  case 0: name = "read", r = syscall(SYS_read, fd, hostile_pointer(PAGE), hostile_length()); break;
  case 1: name = "readv", r = syscall(SYS_readv, fd, one_in(6) ? hostile_pointer(16) : RW + 2048, iovec_array()); break;
  case 2: name = "pread64", r = syscall(SYS_pread64, fd, RW, pick(64), one_in(3) ? -1 : 0); break;
  case 3: {
    *(socklen_t *)(RW + 512) = one_in(4) ? (socklen_t)-1 : 4 * pick(5);
    name = "recvfrom";
    r = syscall(SYS_recvfrom, fd, hostile_pointer(PAGE), one_in(3) ? hostile_length() : (size_t)pick(300), MSG_DONTWAIT | (one_in(5) ? hostile_flags(MSG_PEEK | MSG_TRUNC | MSG_WAITALL) : 0),
                one_in(2) ? NULL : hostile_pointer(16), one_in(4) ? length_pointer(hostile_pointer(4)) : RW + 512);
    break;
  }
  default: {
    long count = iovec_array();
    struct msghdr *message = (struct msghdr *)(RW + 1536);
    *message = (struct msghdr){.msg_iov = (struct iovec *)(RW + 2048), .msg_iovlen = count};
    if (one_in(5)) message->msg_name = hostile_pointer(16), message->msg_namelen = 16;
    if (one_in(6)) message->msg_control = hostile_pointer(16), message->msg_controllen = 64;
    name = "recvmsg";
    r = syscall(SYS_recvmsg, fd, struct_pointer(sizeof *message) == RW ? (void *)message : hostile_pointer(56), MSG_DONTWAIT | (one_in(5) ? MSG_PEEK : 0));
  }
  }
  report(name, r);
}

static void op_descriptor(void) {
  int fd = any_fd();
  switch (pick(7)) {
  case 0: {
    long r = syscall(SYS_dup, fd);
    report("dup", r);
    struct slot *from = slot_of(fd);
    if (r >= 0 && (from == NULL || add_slot(r, from->kind, from->peer) < 0)) close(r);
    break;
  }
  case 1:
  case 2: {
    /* Over another descriptor of the pool (a virtual socket's placeholder, often), or a free number; never 0-2. */
    int target = one_in(3) ? (one_in(2) ? bad_fd() : 3 + pick(60)) : any_fd();
    if (target >= 0 && target <= 2) target = 3 + pick(60);
    long flags = one_in(3) ? hostile_flags(O_CLOEXEC) : 0;
    struct slot *from = slot_of(fd);
    struct slot copy = from == NULL ? (struct slot){0, OTHER, -1} : *from;
    int three = pick(2);
    long r = three ? syscall(SYS_dup3, fd, target, flags) : syscall(SYS_dup2, fd, target);
    report(three ? "dup3" : "dup2", r);
    if (r >= 0 && r != fd) {
      /* The descriptor dup2 replaced was closed: its peer may see the end, as after close. */
      forget_closed_fd(r);
      if (add_slot(r, copy.kind, copy.peer) < 0) close(r);
    }
    break;
  }
  case 3: {
    long r = syscall(SYS_close, fd);
    report("close", r);
    if (r == 0) forget_closed_fd(fd);
    break;
  }
  default: {
    static const long commands[] = {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD, F_DUPFD_CLOEXEC, 9999, F_GETOWN, F_SETOWN};
    long command = commands[pick(9)];
    long arg = pick(4) == 0 ? -1 : pick(64);
    /* O_NONBLOCK stays set: a read must never wait. */
    if (command == F_SETFL) arg = hostile_flags(O_APPEND | O_ASYNC | O_DIRECT | O_NOATIME) | O_NONBLOCK;
    if (command == F_SETOWN) arg = one_in(2) ? 0 : getpid();
    long r = syscall(SYS_fcntl, fd, command, arg);
    if (command == F_GETOWN || command == F_SETOWN) report_ok("fcntl", r);
    else report("fcntl", r);
    struct slot *from = slot_of(fd);
    if (r >= 0 && (command == F_DUPFD || command == F_DUPFD_CLOEXEC) && (from == NULL || add_slot(r, from->kind, from->peer) < 0)) close(r);
  }
  }
}

static void op_make(void) {
  switch (pick(5)) {
  case 0: {
    int *pair = (int *)RW;
    long r = syscall(SYS_pipe2, struct_pointer(8), O_NONBLOCK | (one_in(3) ? hostile_flags(O_CLOEXEC | O_DIRECT) : 0));
    report("pipe2", r);
    if (r == 0) {
      int a = add_slot(pair[0], PIPE_READ, -1);
      int b = add_slot(pair[1], PIPE_WRITE, a);
      if (a < 0) close(pair[0]);
      if (b < 0) close(pair[1]);
    }
    break;
  }
  case 1: {
    long r = syscall(SYS_eventfd2, pick(3), EFD_NONBLOCK | (one_in(3) ? hostile_flags(EFD_CLOEXEC | EFD_SEMAPHORE) : 0));
    report("eventfd2", r);
    if (r >= 0 && add_slot(r, EVENT, -1) < 0) close(r);
    break;
  }
  case 2: {
    long r = syscall(SYS_timerfd_create, one_in(4) ? 99 : CLOCK_MONOTONIC, TFD_NONBLOCK | (one_in(3) ? hostile_flags(TFD_CLOEXEC) : 0));
    report("timerfd_create", r);
    if (r >= 0 && add_slot(r, TIMER, -1) < 0) close(r);
    break;
  }
  default: {
    /* Expiring at once (absolute, in the past), never (an hour), or disarmed: the count read never depends on speed,
     * nor on how long the machine has been up (an absolute hour of CLOCK_MONOTONIC is past on one, to come on another). */
    struct itimerspec *value = (struct itimerspec *)RW;
    long flags = pick(2) ? TFD_TIMER_ABSTIME : 0;
    if (one_in(5)) flags = hostile_flags(3);
    value->it_interval = (struct timespec){0, 0};
    value->it_value = flags & TFD_TIMER_ABSTIME ? (struct timespec){0, 1} : (struct timespec){one_in(2) ? 3600 : 0, 0};
    if (one_in(5)) value->it_value = hostile_timespec_value();
    if (pick(2)) report("timerfd_settime", syscall(SYS_timerfd_settime, any_fd(), flags, struct_pointer(32), one_in(2) ? NULL : hostile_pointer(32)));
    else report("timerfd_gettime", syscall(SYS_timerfd_gettime, any_fd(), hostile_pointer(32)));
  }
  }
}

static void op_identity(void) {
  switch (pick(4)) {
  case 0: report("uname", syscall(SYS_uname, hostile_pointer(390))); break;
  case 1: report("sysinfo", syscall(SYS_sysinfo, hostile_pointer(112))); break;
  default: {
    static const long flags[] = {0, GRND_NONBLOCK, GRND_RANDOM | GRND_NONBLOCK, GRND_INSECURE, 0xff, -1};
    size_t length = one_in(3) ? hostile_length() : (size_t)pick(300);
    report("getrandom", syscall(SYS_getrandom, hostile_pointer(length), length, flags[pick(6)]));
  }
  }
}

/* A clone's outcome: a child leaves at once (the parent reaps it), a refusal is printed as it is. */
static void cloned(const char *name, long pid) {
  if (pid == 0) syscall(SYS_exit_group, 0);
  report_ok(name, pid);
  if (pid > 0) {
    int status;
    report("wait4", waitpid(pid, &status, 0) == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  }
}

/* clone3 and clone with arguments the kernel refuses, or a child whose id is to be written where nothing can be. */
static void op_clone(void) {
  struct clone_args *args = (struct clone_args *)RW;
  memset(args, 0, sizeof *args);
  args->exit_signal = SIGCHLD;
  switch (pick(6)) {
  case 0: cloned("clone3", syscall(SYS_clone3, hostile_pointer(88), sizeof *args)); break;
  case 1: cloned("clone3", syscall(SYS_clone3, args, one_in(2) ? 8 : (size_t)PAGE * 2)); break;
  case 2: args->flags = 1ULL << (33 + pick(30)); cloned("clone3", syscall(SYS_clone3, args, sizeof *args)); break;
  case 3: args->exit_signal = 65 + pick(1000); cloned("clone3", syscall(SYS_clone3, args, sizeof *args)); break;
  default: {
    /* Linux ignores a fault writing the child's id: the child is made all the same. */
    args->flags = CLONE_PARENT_SETTID;
    args->parent_tid = (uint64_t)(uintptr_t)(one_in(2) ? RO : hostile_pointer(4));
    if (pick(2)) cloned("clone3", syscall(SYS_clone3, args, sizeof *args));
    else cloned("clone", syscall(SYS_clone, CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | SIGCHLD, NULL, (void *)args->parent_tid, (void *)args->parent_tid, 0));
  }
  }
}

static void op_signal(void) {
  static const long signals[] = {0, 0, SIGUSR1, 65, -1, SIGURG};
  long signal = signals[pick(6)];
  long pid = one_in(3) ? (one_in(2) ? 999999 : -999999) : getpid();
  if (pick(2)) report("kill", syscall(SYS_kill, pid, signal));
  else report("tgkill", syscall(SYS_tgkill, pid, one_in(3) ? 999999 : gettid(), signal));
}

static void op_futex(void) {
  static const long ops[] = {FUTEX_WAIT, FUTEX_WAIT_PRIVATE, FUTEX_WAKE, FUTEX_WAKE_PRIVATE, 99, FUTEX_WAIT_BITSET};
  long op = ops[pick(6)];
  uint32_t *word = (uint32_t *)(RW + 1024);
  *word = 7;
  void *address = one_in(3) ? hostile_pointer(4) : word;
  /* A wait is for a value the word does not hold, or gives up at once (a zero or broken timeout). */
  long expected = one_in(2) ? 7 : 8;
  *(struct timespec *)RW = one_in(4) ? (struct timespec){0, -1} : (struct timespec){0, 0};
  if (op == FUTEX_WAIT_BITSET) *(struct timespec *)RW = (struct timespec){0, 1};
  void *timeout = one_in(4) ? hostile_pointer(16) : RW;
  if (timeout == NULL) timeout = RW;
  report("futex", syscall(SYS_futex, address, op, expected, timeout, NULL, op == FUTEX_WAIT_BITSET ? FUTEX_BITSET_MATCH_ANY : 0));
}

/* Numbers that are no syscall: programs probe with them and expect ENOSYS. */
static void op_no_syscall(void) {
  static const long numbers[] = {-1, 0x40000000 | 39, 0x40000000 | 512, 1 << 20, 600, 1000, -100, 0x7fffffff};
  report("syscall", syscall(numbers[pick(8)], 1, 2, 3));
}

/* Garbage, or a query cut short, to the nameserver: only whether it was sent (the answer is the network's). */
static void op_dns(void) {
  for (int i = 0; i < 64; i++) RW[i] = (char)fuzz_next();
  if (pick(2)) memcpy(RW + 2, "\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03www", 15);
  long length = pick(64);
  long r = syscall(SYS_sendto, dns_fd, RW, length, MSG_DONTWAIT, &nameserver, sizeof nameserver);
  printf("dns sendto = %s\n", r == length ? "sent" : "failed");
  syscall(SYS_recvfrom, dns_fd, RW, PAGE, MSG_DONTWAIT, NULL, NULL);
}

/* Descriptors the calls work on from the start: a pipe, a TCP connection and its listener, two UDP sockets sending to each other, an epoll, an eventfd, a timerfd; and the socket for the nameserver. */
static int set_up(void) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_NONBLOCK) != 0) return -1;
  struct stat pipe_status;
  if (fstat(pipe_fds[0], &pipe_status) != 0) return -1;
  unix_tag = pipe_status.st_ino;
  int r = add_slot(pipe_fds[0], PIPE_READ, -1);
  add_slot(pipe_fds[1], PIPE_WRITE, r);

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  listener_address = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof listener_address;
  if (bind(listener, (struct sockaddr *)&listener_address, length) != 0 || listen(listener, 8) != 0) return -1;
  getsockname(listener, (struct sockaddr *)&listener_address, &length);
  add_slot(listener, TCP_LISTENER, -1);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (connect(client, (struct sockaddr *)&listener_address, length) != 0 && errno != EINPROGRESS) return -1;
  settle(client, POLLOUT);
  settle(listener, POLLIN);
  int server = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
  if (server < 0) return -1;
  int c = add_slot(client, TCP, -1), s = add_slot(server, TCP, c);
  slots[c].peer = s;

  int udp_a = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), udp_b = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a_address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  udp_address = a_address;
  if (bind(udp_a, (struct sockaddr *)&a_address, length) != 0 || bind(udp_b, (struct sockaddr *)&udp_address, length) != 0) return -1;
  getsockname(udp_a, (struct sockaddr *)&a_address, &length);
  getsockname(udp_b, (struct sockaddr *)&udp_address, &length);
  if (connect(udp_a, (struct sockaddr *)&udp_address, length) != 0 || connect(udp_b, (struct sockaddr *)&a_address, length) != 0) return -1;
  int ua = add_slot(udp_a, UDP, -1), ub = add_slot(udp_b, UDP, ua);
  slots[ua].peer = ub;

  add_slot(epoll_create1(0), EPOLL, -1);
  add_slot(eventfd(0, EFD_NONBLOCK), EVENT, -1);
  add_slot(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), TIMER, -1);

  nameserver = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  FILE *resolv = fopen("/etc/resolv.conf", "r");
  char line[256], address[64];
  while (resolv != NULL && fgets(line, sizeof line, resolv) != NULL) {
    if (sscanf(line, "nameserver %63s", address) == 1 && inet_pton(AF_INET, address, &nameserver.sin_addr) == 1) break;
  }
  if (resolv != NULL) fclose(resolv);
  dns_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SEED COUNT\n", argv[0]);
    return 2;
  }
  fuzz_seed(strtoull(argv[1], NULL, 10));
  long count = strtol(argv[2], NULL, 10);
  /* Signals the calls may send to this process: none of them may end it. */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGUSR1, SIG_IGN);
  if (map_region() != 0 || set_up() != 0) {
    perror("fuzz_syscalls: setting up");
    return 1;
  }
  static void (*const ops[])(void) = {
      op_time, op_poll, op_epoll, op_socket, op_socket_address, op_socket_option, op_write, op_write, op_read, op_read, op_read,
      op_descriptor, op_make, op_identity, op_clone, op_signal, op_futex, op_no_syscall, op_dns,
  };
  for (long i = 0; i < count; i++) {
    void (*op)(void) = ops[pick(sizeof ops / sizeof ops[0])];
    op();
    if (op == op_time || op == op_identity || op == op_dns || op == op_socket_address || op == op_read || op == op_make) forget_outputs();
  }
  puts("EXIT-SUCCESS");
  return 0;
}
