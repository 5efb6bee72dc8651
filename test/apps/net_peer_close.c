/* net_peer_close server <port> fin|rst
 * net_peer_close client <host> <port> fin|rst
 *
 * What a client observes when its server goes away mid-stream.
 *
 *   fin  The server sends 100 bytes and closes with nothing left unread:
 *        a FIN. The client reads the 100 bytes, then EOF. Its first write
 *        after that still succeeds (the peer answers it with a reset); once
 *        the reset is in, a write fails with EPIPE and raises SIGPIPE, and
 *        send(MSG_NOSIGNAL) fails with EPIPE without it.
 *   rst  The client sends 10 bytes the server never reads; the server
 *        closes with them unread: a reset. The client's read fails with
 *        ECONNRESET, the next read sees EOF, and a write fails with EPIPE.
 *
 * Before its second write the fin client waits for the reset with a poll()
 * that asks for no event (so only an error or a hang-up ends it), so the
 * reset is in whatever the route's latency. Each observation is printed;
 * the program fails only on errors the scenario does not explain. */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int signal) {
  (void)signal;
  sigpipes++;
}

static const char *errno_name(int error) {
  switch (error) {
  case EPIPE: return "EPIPE";
  case ECONNRESET: return "ECONNRESET";
  case EAGAIN: return "EAGAIN";
  case ENOTCONN: return "ENOTCONN";
  default: return strerror(error);
  }
}

/* Blocks until the socket has an error or is hung up: POLLERR and POLLHUP
 * are reported even when not asked for. */
static void wait_for_reset(int fd) {
  struct pollfd p = {.fd = fd, .events = 0};
  int ready = poll(&p, 1, 10000);
  printf("waiting for the reset: %s\n", ready == 1 ? "it came" : "TIMED OUT");
}

static void print_result(const char *what, ssize_t result) {
  if (result >= 0)
    printf("%s: %zd bytes, SIGPIPE seen %d times\n", what, result, (int)sigpipes);
  else
    printf("%s: %s, SIGPIPE seen %d times\n", what, errno_name(errno), (int)sigpipes);
}

static void print_revents(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  CHECK(poll(&p, 1, 0) >= 0);
  printf("poll revents:%s%s%s%s%s\n", (p.revents & POLLIN) ? " POLLIN" : "", (p.revents & POLLOUT) ? " POLLOUT" : "",
         (p.revents & POLLRDHUP) ? " POLLRDHUP" : "", (p.revents & POLLERR) ? " POLLERR" : "",
         (p.revents & POLLHUP) ? " POLLHUP" : "");
}

static int server(int port, int reset) {
  int listener = listen_on(port, 0, 1);
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  if (reset) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK(poll(&p, 1, -1) == 1);
    printf("closing with unread bytes\n");
  } else {
    char data[100];
    memset(data, 's', sizeof data);
    CHECK(write(fd, data, sizeof data) == sizeof data);
    printf("sent 100 bytes, closing\n");
  }
  CHECK(close(fd) == 0);
  CHECK(close(listener) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static int client(const char *host, const char *port, int reset) {
  struct sigaction action = {.sa_handler = on_sigpipe};
  CHECK(sigaction(SIGPIPE, &action, NULL) == 0);
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, found->ai_addr, found->ai_addrlen) == 0);
  freeaddrinfo(found);
  printf("connected\n");
  char buffer[200];
  if (reset) {
    memset(buffer, 'c', 10);
    print_result("write 10 bytes", write(fd, buffer, 10));
    print_result("read", read(fd, buffer, sizeof buffer));
    print_revents(fd);
    print_result("read again", read(fd, buffer, sizeof buffer));
    print_result("write", write(fd, buffer, 10));
  } else {
    ssize_t total = 0, got;
    while (total < 100 && (got = read(fd, buffer, sizeof buffer)) > 0) total += got;
    printf("read %zd bytes\n", total);
    print_result("read at end of stream", read(fd, buffer, sizeof buffer));
    print_revents(fd);
    print_result("first write after EOF", write(fd, buffer, 10));
    wait_for_reset(fd);
    print_revents(fd);
    print_result("second write", write(fd, buffer, 10));
    print_result("send with MSG_NOSIGNAL", send(fd, buffer, 10, MSG_NOSIGNAL));
    print_result("read after reset", read(fd, buffer, sizeof buffer));
  }
  CHECK(close(fd) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  const char *scenario = argv[argc - 1];
  int known = argc >= 2 && (strcmp(scenario, "fin") == 0 || strcmp(scenario, "rst") == 0);
  if (known && argc == 4 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]), strcmp(scenario, "rst") == 0);
  if (known && argc == 5 && strcmp(argv[1], "client") == 0) return client(argv[2], argv[3], strcmp(scenario, "rst") == 0);
  fprintf(stderr, "usage: net_peer_close server <port> fin|rst | net_peer_close client <host> <port> fin|rst\n");
  return 2;
}
