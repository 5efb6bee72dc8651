/* net_tcp_server <mode> <port> <clients>
 *
 * A TCP echo server: every byte a client sends comes back to it, until the
 * client shuts its writing side down; the server then closes that
 * connection. It serves <clients> connections, then exits.
 *
 *   blocking      one client after another, blocking accept/read/write
 *   poll          all clients at once: non-blocking sockets and poll()
 *   select        all clients at once with select()
 *   epoll-level   all clients at once with level-triggered epoll
 *   epoll-edge    all clients at once with edge-triggered epoll (EPOLLET):
 *                 every event is drained until EAGAIN
 *
 * Prints only lines that do not depend on the order in which concurrent
 * clients are served: give every client the same byte count and the output
 * is the same natively and under simterpose. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

#define MAX_CLIENTS 64
#define BUFFER_SIZE 65536

enum mode { BLOCKING, POLL, SELECT, EPOLL_LEVEL, EPOLL_EDGE };

/* One client's connection: bytes read and not yet echoed wait in `buffer`. */
struct connection {
  int fd;
  char buffer[BUFFER_SIZE];
  size_t start, end;
  int read_eof;
  long echoed;
};

static struct connection connections[MAX_CLIENTS];
static int served;

static void closed(struct connection *c) {
  printf("connection closed after echoing %ld bytes\n", c->echoed);
  CHECK(close(c->fd) == 0);
  c->fd = -1;
  served++;
}

static void serve_blocking(int listener, int clients) {
  static char buffer[BUFFER_SIZE];
  for (int i = 0; i < clients; i++) {
    int fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    printf("client %d accepted\n", i + 1);
    long echoed = 0;
    for (;;) {
      ssize_t got = read(fd, buffer, sizeof buffer);
      CHECK(got >= 0);
      if (got == 0) break;
      for (ssize_t sent = 0; sent < got;) {
        ssize_t n = write(fd, buffer + sent, got - sent);
        CHECK(n > 0);
        sent += n;
      }
      echoed += got;
    }
    printf("client %d: echoed %ld bytes\n", i + 1, echoed);
    CHECK(close(fd) == 0);
    served++;
  }
}

static int wants_read(const struct connection *c) { return !c->read_eof && c->end < sizeof c->buffer; }
static int wants_write(const struct connection *c) { return c->end > c->start; }

/* One write of what is buffered; its result, -1 when the socket is full. */
static ssize_t write_some(struct connection *c) {
  ssize_t n = write(c->fd, c->buffer + c->start, c->end - c->start);
  if (n < 0) CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
  if (n > 0) {
    c->start += n;
    c->echoed += n;
    if (c->start == c->end) c->start = c->end = 0;
  }
  return n;
}

/* One read into the buffer's free room; its result, -1 when nothing is there yet. */
static ssize_t read_some(struct connection *c) {
  ssize_t n = read(c->fd, c->buffer + c->end, sizeof c->buffer - c->end);
  if (n < 0) CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
  if (n == 0) c->read_eof = 1;
  if (n > 0) c->end += n;
  return n;
}

/* Moves bytes as far as the socket allows without blocking. Returns 1 once
 * the connection is finished (client's EOF seen and everything echoed). */
static int progress(struct connection *c) {
  for (;;) {
    int moved = 0;
    if (wants_write(c) && write_some(c) > 0) moved = 1;
    if (wants_read(c) && read_some(c) >= 0) moved = 1;
    if (c->read_eof && c->end == c->start) return 1;
    if (!moved) return 0;
  }
}

/* One step for level-triggered loops: one read or one write, as the
 * readiness reported allows, so that readiness is asked again each time. */
static int step(struct connection *c, int readable, int writable) {
  if (writable && wants_write(c)) write_some(c);
  if (readable && wants_read(c)) read_some(c);
  return c->read_eof && c->end == c->start;
}

static struct connection *accept_one(int listener) {
  int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
  if (fd < 0) {
    CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
    return NULL;
  }
  for (int i = 0; i < MAX_CLIENTS; i++) {
    if (connections[i].fd < 0) {
      memset(&connections[i], 0, sizeof connections[i]);
      connections[i].fd = fd;
      return &connections[i];
    }
  }
  CHECK(!"more connections than MAX_CLIENTS");
  return NULL;
}

static void serve_poll(int listener, int clients) {
  int accepted = 0;
  while (served < clients) {
    struct pollfd fds[MAX_CLIENTS + 1];
    struct connection *owners[MAX_CLIENTS + 1];
    int n = 0;
    if (accepted < clients) fds[n++] = (struct pollfd){.fd = listener, .events = POLLIN};
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct connection *c = &connections[i];
      if (c->fd < 0) continue;
      owners[n] = c;
      fds[n++] = (struct pollfd){.fd = c->fd, .events = (wants_read(c) ? POLLIN : 0) | (wants_write(c) ? POLLOUT : 0)};
    }
    int ready = poll(fds, n, -1);
    CHECK(ready > 0);
    for (int i = 0; i < n; i++) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == listener) {
        if (accept_one(listener) != NULL) accepted++;
        continue;
      }
      CHECK((fds[i].revents & (POLLERR | POLLNVAL)) == 0);
      int readable = (fds[i].revents & (POLLIN | POLLHUP)) != 0;
      if (step(owners[i], readable, (fds[i].revents & POLLOUT) != 0)) closed(owners[i]);
    }
  }
}

static void serve_select(int listener, int clients) {
  int accepted = 0;
  while (served < clients) {
    fd_set readers, writers;
    FD_ZERO(&readers);
    FD_ZERO(&writers);
    int highest = -1;
    if (accepted < clients) {
      FD_SET(listener, &readers);
      highest = listener;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct connection *c = &connections[i];
      if (c->fd < 0) continue;
      CHECK(c->fd < FD_SETSIZE);
      if (wants_read(c)) FD_SET(c->fd, &readers);
      if (wants_write(c)) FD_SET(c->fd, &writers);
      if (c->fd > highest) highest = c->fd;
    }
    int ready = select(highest + 1, &readers, &writers, NULL, NULL);
    CHECK(ready > 0);
    if (accepted < clients && FD_ISSET(listener, &readers)) {
      if (accept_one(listener) != NULL) accepted++;
    }
    for (int i = 0; i < MAX_CLIENTS; i++) {
      struct connection *c = &connections[i];
      if (c->fd < 0) continue;
      int readable = FD_ISSET(c->fd, &readers), writable = FD_ISSET(c->fd, &writers);
      if ((readable || writable) && step(c, readable, writable)) closed(c);
    }
  }
}

static void serve_epoll(int listener, int clients, int edge) {
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epoll >= 0);
  struct epoll_event event = {.events = EPOLLIN | (edge ? EPOLLET : 0), .data.ptr = NULL};
  CHECK(epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event) == 0);
  int accepted = 0;
  while (served < clients) {
    struct epoll_event events[16];
    int ready = epoll_wait(epoll, events, 16, -1);
    CHECK(ready > 0);
    for (int i = 0; i < ready; i++) {
      struct connection *c = events[i].data.ptr;
      if (c == NULL) {
        /* Edge-triggered: accept until EAGAIN, or a queued client is never announced again. */
        struct connection *fresh;
        while (accepted < clients && (fresh = accept_one(listener)) != NULL) {
          accepted++;
          struct epoll_event add = {.events = edge ? (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET) : EPOLLIN, .data.ptr = fresh};
          CHECK(epoll_ctl(epoll, EPOLL_CTL_ADD, fresh->fd, &add) == 0);
          if (!edge) break;
        }
        continue;
      }
      CHECK((events[i].events & EPOLLERR) == 0);
      int done;
      if (edge) {
        done = progress(c);
      } else {
        done = step(c, (events[i].events & (EPOLLIN | EPOLLHUP)) != 0, (events[i].events & EPOLLOUT) != 0);
      }
      if (done) {
        CHECK(epoll_ctl(epoll, EPOLL_CTL_DEL, c->fd, NULL) == 0);
        closed(c);
      } else if (!edge) {
        struct epoll_event mod = {.events = (wants_read(c) ? EPOLLIN : 0) | (wants_write(c) ? EPOLLOUT : 0), .data.ptr = c};
        CHECK(epoll_ctl(epoll, EPOLL_CTL_MOD, c->fd, &mod) == 0);
      }
    }
  }
  CHECK(close(epoll) == 0);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: net_tcp_server blocking|poll|select|epoll-level|epoll-edge <port> <clients>\n");
    return 2;
  }
  const char *names[] = {"blocking", "poll", "select", "epoll-level", "epoll-edge"};
  int mode = -1;
  for (int i = 0; i < 5; i++)
    if (strcmp(argv[1], names[i]) == 0) mode = i;
  int port = atoi(argv[2]), clients = atoi(argv[3]);
  CHECK(mode >= 0 && port > 0 && clients > 0 && clients <= MAX_CLIENTS);
  signal(SIGPIPE, SIG_IGN);
  for (int i = 0; i < MAX_CLIENTS; i++) connections[i].fd = -1;

  int listener = listen_on(port, mode != BLOCKING ? SOCK_NONBLOCK : 0, MAX_CLIENTS);
  switch (mode) {
  case BLOCKING: serve_blocking(listener, clients); break;
  case POLL: serve_poll(listener, clients); break;
  case SELECT: serve_select(listener, clients); break;
  case EPOLL_LEVEL: serve_epoll(listener, clients, 0); break;
  case EPOLL_EDGE: serve_epoll(listener, clients, 1); break;
  }
  CHECK(close(listener) == 0);
  printf("served %d clients\n", served);
  printf("EXIT-SUCCESS\n");
  return 0;
}
