/* Socket calls made with mistakes (bad buffers, calls on the wrong kind of
 * socket, calls after the connection ended), printed so that a native run
 * and a run under simterpose can be compared line for line: each call's
 * result or errno, and afterwards what the peer can read, which shows that
 * a failed call moved no bytes. Raw syscalls: glibc's wrappers would check
 * some arguments before the kernel sees them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

/* A call's result, or its errno's name. */
static void report(const char *what, long result) {
  if (result < 0) printf("%s: -1 %s\n", what, strerrorname_np(errno));
  else printf("%s: %ld\n", what, result);
}

/* A page the program may not touch: an address in user space that faults. */
static char *unmapped;
/* A page it may read and write. */
static char *page;

/* A TCP listener on 127.0.0.1, on a port the kernel picks. */
static int loopback_listener(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  *address = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(fd, (struct sockaddr *)address, sizeof *address) == 0);
  socklen_t length = sizeof *address;
  CHECK(getsockname(fd, (struct sockaddr *)address, &length) == 0);
  CHECK(listen(fd, 4) == 0);
  return fd;
}

/* A connected pair of TCP sockets over the loopback: ends[0] connected, ends[1] accepted. */
static void tcp_pair(int ends[2]) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  ends[0] = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(ends[0] >= 0);
  CHECK(connect(ends[0], (struct sockaddr *)&address, sizeof address) == 0);
  ends[1] = accept(listener, NULL, NULL);
  CHECK(ends[1] >= 0);
  close(listener);
}

/* Waits until `fd` is readable, or a second passed: what was sent has landed. */
static void settle(int fd) {
  struct pollfd entry = {.fd = fd, .events = POLLIN};
  poll(&entry, 1, 1000);
}

/* What a non-blocking read of `fd` finds now. */
static void report_readable(const char *what, int fd) {
  char data[512];
  long n = syscall(SYS_recvfrom, fd, data, sizeof data, MSG_DONTWAIT, NULL, NULL);
  if (n < 0) report(what, n);
  else printf("%s: %ld bytes \"%.*s\"\n", what, n, (int)n, data);
}

/*
 * Sends whose buffer faults move no bytes: the peer finds nothing, and
 * bytes sent right after arrive alone (under address translation the
 * virtual connection once counted bytes the kernel never got, and the
 * receiver waited for them).
 */
static void faulting_sends(void) {
  int ends[2];
  tcp_pair(ends);
  report("send from an unmapped page", syscall(SYS_sendto, ends[0], unmapped, 100, MSG_DONTWAIT, NULL, 0));
  report("sendto of length -1 from an unmapped page", syscall(SYS_sendto, ends[0], unmapped, -1L, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0));
  report("write from an unmapped page", syscall(SYS_write, ends[0], unmapped, 64));
  struct iovec all_bad[2] = {{unmapped, 10}, {unmapped + 10, 20}};
  report("writev of unmapped vectors", syscall(SYS_writev, ends[0], all_bad, 2));
  struct msghdr message = {.msg_iov = all_bad, .msg_iovlen = 2};
  report("sendmsg of unmapped vectors", syscall(SYS_sendmsg, ends[0], &message, MSG_DONTWAIT));
  report_readable("peer reads", ends[1]);
  memcpy(page, "good", 4);
  struct iovec good_then_bad[2] = {{page, 4}, {unmapped, 20}};
  report("writev of a good vector then an unmapped one", syscall(SYS_writev, ends[0], good_then_bad, 2));
  settle(ends[1]);
  report_readable("peer reads", ends[1]);
  report("send", syscall(SYS_sendto, ends[0], "after", 5, 0, NULL, 0));
  settle(ends[1]);
  report_readable("peer reads", ends[1]);
  report_readable("peer reads again", ends[1]);
  close(ends[0]);
  close(ends[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(page != MAP_FAILED && unmapped != MAP_FAILED);
  faulting_sends();
  printf("EXIT-SUCCESS\n");
  return 0;
}
