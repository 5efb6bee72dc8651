/* net_tcp_client <mode> <host> <port> <bytes> <chunk> [timed]
 *
 * The client of net_tcp_server: connects to <host>:<port> (resolved with
 * getaddrinfo), sends <bytes> bytes of a known pattern in writes of at most
 * <chunk> bytes, checks that exactly the same bytes come back, shuts its
 * writing side down and waits for the server's EOF.
 *
 *   blocking      blocking connect; each chunk is written, then read back
 *   poll          non-blocking connect (EINPROGRESS, then SO_ERROR), then
 *                 writes and reads interleaved as poll() reports readiness
 *   select        the same with select()
 *   epoll-level   the same with level-triggered epoll
 *   epoll-edge    the same with edge-triggered epoll, draining until EAGAIN
 *
 * With `timed`, also prints the virtual seconds (CLOCK_MONOTONIC) from just
 * before connect() to connect's success and to the arrival of the last
 * echoed byte. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_resolve.h"

enum mode { BLOCKING, POLL, SELECT, EPOLL_LEVEL, EPOLL_EDGE };

static long total, sent, received;
static long chunk;
static int mismatches;
static double last_byte_at;

static unsigned char pattern(long i) { return (unsigned char)(i * 7 + i / 251); }

static double now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Writes what the socket takes of the next chunk, not past byte `upto`;
 * 0 when it would block. */
static int send_upto(int fd, long upto) {
  static unsigned char buffer[1 << 20];
  long n = upto - sent < chunk ? upto - sent : chunk;
  if (n > (long)sizeof buffer) n = sizeof buffer;
  for (long i = 0; i < n; i++) buffer[i] = pattern(sent + i);
  ssize_t written = write(fd, buffer, n);
  if (written < 0) {
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    return 0;
  }
  CHECK(written > 0);
  sent += written;
  return 1;
}

static int send_some(int fd) { return send_upto(fd, total); }

/* Reads what is there and checks it; 0 when it would block, -1 at EOF. */
static int receive_some(int fd, long at_most) {
  static unsigned char buffer[1 << 16];
  if (at_most > (long)sizeof buffer) at_most = sizeof buffer;
  ssize_t got = read(fd, buffer, at_most);
  if (got < 0) {
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    return 0;
  }
  if (got == 0) return -1;
  for (ssize_t i = 0; i < got; i++)
    if (buffer[i] != pattern(received + i)) mismatches++;
  received += got;
  if (received == total) last_byte_at = now();
  return 1;
}

static void run_blocking(int fd) {
  while (sent < total) {
    long goal = sent + (total - sent < chunk ? total - sent : chunk);
    while (sent < goal) send_upto(fd, goal);
    while (received < goal) CHECK(receive_some(fd, goal - received) == 1);
  }
  CHECK(shutdown(fd, SHUT_WR) == 0);
  CHECK(receive_some(fd, 1 << 16) == -1);
}

static int shut_if_all_sent(int fd, int *shut) {
  if (!*shut && sent == total) {
    CHECK(shutdown(fd, SHUT_WR) == 0);
    *shut = 1;
  }
  return *shut;
}

static void run_poll(int fd) {
  int shut = 0, eof = 0;
  shut_if_all_sent(fd, &shut);
  while (!eof) {
    struct pollfd p = {.fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT)};
    CHECK(poll(&p, 1, -1) == 1);
    CHECK((p.revents & (POLLERR | POLLNVAL)) == 0);
    if (p.revents & POLLOUT) send_some(fd);
    shut_if_all_sent(fd, &shut);
    if (p.revents & (POLLIN | POLLHUP)) eof = receive_some(fd, 1 << 16) == -1;
  }
}

static void run_select(int fd) {
  int shut = 0, eof = 0;
  shut_if_all_sent(fd, &shut);
  while (!eof) {
    fd_set readers, writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    FD_SET(fd, &readers);
    if (!shut) FD_SET(fd, &writers);
    CHECK(select(fd + 1, &readers, &writers, NULL, NULL) > 0);
    if (FD_ISSET(fd, &writers)) send_some(fd);
    shut_if_all_sent(fd, &shut);
    if (FD_ISSET(fd, &readers)) eof = receive_some(fd, 1 << 16) == -1;
  }
}

static void run_epoll(int fd, int edge) {
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epoll >= 0);
  int shut = 0, eof = 0;
  shut_if_all_sent(fd, &shut);
  struct epoll_event event = {.events = EPOLLIN | (shut ? 0 : EPOLLOUT) | (edge ? EPOLLET : 0)};
  CHECK(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0);
  while (!eof) {
    struct epoll_event ready;
    CHECK(epoll_wait(epoll, &ready, 1, -1) == 1);
    CHECK((ready.events & EPOLLERR) == 0);
    if (edge) {
      /* Drain both directions until EAGAIN: no further edge comes otherwise. */
      for (int moved = 1; moved && !eof;) {
        moved = 0;
        if (!shut && send_some(fd)) moved = 1;
        shut_if_all_sent(fd, &shut);
        int got = receive_some(fd, 1 << 16);
        if (got != 0) moved = 1;
        if (got == -1) eof = 1;
      }
    } else {
      int was_shut = shut;
      if (ready.events & EPOLLOUT) send_some(fd);
      if (shut_if_all_sent(fd, &shut) && !was_shut) {
        struct epoll_event mod = {.events = EPOLLIN};
        CHECK(epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &mod) == 0);
      }
      if (ready.events & (EPOLLIN | EPOLLHUP)) eof = receive_some(fd, 1 << 16) == -1;
    }
  }
  CHECK(close(epoll) == 0);
}

int main(int argc, char **argv) {
  if (argc != 6 && !(argc == 7 && strcmp(argv[6], "timed") == 0)) {
    fprintf(stderr, "usage: net_tcp_client blocking|poll|select|epoll-level|epoll-edge <host> <port> <bytes> <chunk> [timed]\n");
    return 2;
  }
  const char *names[] = {"blocking", "poll", "select", "epoll-level", "epoll-edge"};
  int mode = -1;
  for (int i = 0; i < 5; i++)
    if (strcmp(argv[1], names[i]) == 0) mode = i;
  total = atol(argv[4]);
  chunk = atol(argv[5]);
  int timed = argc == 7;
  CHECK(mode >= 0 && total >= 0 && chunk > 0);
  signal(SIGPIPE, SIG_IGN);

  struct sockaddr_in server = resolve(argv[2], argv[3]);
  int fd = socket(AF_INET, SOCK_STREAM | (mode == BLOCKING ? 0 : SOCK_NONBLOCK), 0);
  CHECK(fd >= 0);
  double started = now();
  if (mode == BLOCKING) {
    CHECK(connect(fd, (struct sockaddr *)&server, sizeof server) == 0);
  } else {
    int status = connect(fd, (struct sockaddr *)&server, sizeof server);
    CHECK(status == 0 || errno == EINPROGRESS);
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    CHECK(poll(&p, 1, -1) == 1);
    int error = -1;
    socklen_t length = sizeof error;
    CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
    CHECK(error == 0);
  }
  double connected = now();
  printf("connected\n");

  switch (mode) {
  case BLOCKING: run_blocking(fd); break;
  case POLL: run_poll(fd); break;
  case SELECT: run_select(fd); break;
  case EPOLL_LEVEL: run_epoll(fd, 0); break;
  case EPOLL_EDGE: run_epoll(fd, 1); break;
  }
  CHECK(close(fd) == 0);
  if (total == 0) last_byte_at = connected;

  printf("sent %ld bytes, received %ld bytes back\n", sent, received);
  printf("%s\n", mismatches == 0 && received == total ? "echo matches" : "ECHO DIFFERS");
  printf("server closed the connection\n");
  if (timed) {
    printf("connect took %.9f s\n", connected - started);
    printf("last echoed byte after %.9f s\n", last_byte_at - started);
  }
  CHECK(mismatches == 0 && received == total);
  printf("EXIT-SUCCESS\n");
  return 0;
}
