/* What poll reports for each kind of descriptor when asked for every event:
 * Linux adds POLLRDNORM to POLLIN and POLLWRNORM to POLLOUT for pipes,
 * sockets, devices and files, and POLLWRBAND for UDP and AF_UNIX sockets
 * (datagram_poll, unix_poll), not for TCP; eventfds and timerfds have no
 * bands. A program asking for a band alone sees it. Printed so that a
 * native run and a run under simterpose compare line for line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/epoll.h>
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
static void show(const char *what, int fd) {
  struct pollfd p = {fd, POLLIN | POLLOUT | POLLRDNORM | POLLRDBAND | POLLWRNORM | POLLWRBAND | POLLPRI | POLLRDHUP, 0};
  int r = poll(&p, 1, 0);
  printf("%s: %d revents %#x\n", what, r, p.revents);
}
int main(void) {
  int pp[2];
  CHECK(pipe(pp) == 0);
  show("empty pipe read end", pp[0]);
  show("pipe write end", pp[1]);
  CHECK(write(pp[1], "x", 1) == 1);
  show("pipe with data", pp[0]);
  struct pollfd band = {pp[1], POLLWRNORM, 0};
  int ready = poll(&band, 1, 0);
  printf("pipe write end, POLLWRNORM alone: %d revents %#x\n", ready, band.revents);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  show("fresh UDP", u);
  struct pollfd write_band = {u, POLLWRBAND, 0};
  ready = poll(&write_band, 1, 0);
  printf("fresh UDP, POLLWRBAND alone: %d revents %#x\n", ready, write_band.revents);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}; socklen_t len = sizeof a;
  bind(u, (void *)&a, len); getsockname(u, (void *)&a, &len); sendto(u, "y", 1, 0, (void *)&a, len);
  struct pollfd w = {u, POLLIN, 0}; poll(&w, 1, 1000); show("UDP with a datagram", u);
  int l = socket(AF_INET, SOCK_STREAM, 0); show("fresh TCP", l);
  struct sockaddr_in b = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}; len = sizeof b;
  bind(l, (void *)&b, len); listen(l, 4); getsockname(l, (void *)&b, &len); show("listening", l);
  int c = socket(AF_INET, SOCK_STREAM, 0); connect(c, (void *)&b, len); int s = accept(l, 0, 0);
  show("connected", c); send(s, "z", 1, 0); w.fd = c; poll(&w, 1, 1000); show("connected with data", c);
  shutdown(s, SHUT_WR); w.events = POLLRDHUP; poll(&w, 1, 1000); show("after the peer's FIN", c);
  int sp[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sp); show("unix socket", sp[0]);
  int n = open("/dev/null", O_RDWR); show("/dev/null", n);
  int f = open("/etc/hostname", O_RDONLY); show("a file", f);
  int e = eventfd(0, 0); show("eventfd", e);
  int t = timerfd_create(CLOCK_MONOTONIC, 0); show("timerfd", t);
  puts("EXIT-SUCCESS");
}
