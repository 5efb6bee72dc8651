/* fanout_writes recv <port>
 * fanout_writes send <pairs> <host:port>...
 *
 * A launcher's burst, as hydra's mpiexec sends its proxies their
 * environment: one TCP_NODELAY connection to each peer, then, peer after
 * peer, <pairs> variables each in two small writes (its length, then its
 * text), all at once. Many more small segments than the sender's own
 * interface queue holds: Linux holds the socket back while that queue is
 * full (later writes join the unsent bytes in full segments), and loses
 * nothing there.
 *
 * The receiver accepts one connection, reads until EOF and prints how many
 * bytes came and the CLOCK_MONOTONIC date of the last (shared by every
 * process of a run, virtual under simterpose). The sender retries a refused
 * connect for a while (its peers may not listen yet), prints the date of its
 * first write and what it sent. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

#define MAX_PEERS 16
/** A refused connect is tried again every millisecond, this many times. */
#define CONNECT_TRIES 5000

static double now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int receiver(int port) {
  int listener = listen_on(port, 0, 1);
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  static char buffer[1 << 16];
  long total = 0;
  double last = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    CHECK(got >= 0);
    if (got == 0) break;
    total += got;
    last = now();
  }
  CHECK(close(fd) == 0);
  CHECK(close(listener) == 0);
  printf("received %ld bytes, the last at %.9f\n", total, last);
  return 0;
}

static int connect_to(const char *peer) {
  char host[256];
  const char *colon = strrchr(peer, ':');
  CHECK(colon != NULL && (size_t)(colon - peer) < sizeof host);
  memcpy(host, peer, colon - peer);
  host[colon - peer] = '\0';
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  CHECK(getaddrinfo(host, colon + 1, &hints, &found) == 0);
  for (int tries = 0;; tries++) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    if (connect(fd, found->ai_addr, found->ai_addrlen) == 0) {
      freeaddrinfo(found);
      int one = 1;
      CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0);
      return fd;
    }
    CHECK(errno == ECONNREFUSED && tries < CONNECT_TRIES);
    CHECK(close(fd) == 0);
    CHECK(usleep(1000) == 0);
  }
}

static void write_all(int fd, const void *data, size_t length) {
  CHECK(write(fd, data, length) == (ssize_t)length);
}

static int sender(int pairs, int peers, char **names) {
  CHECK(peers <= MAX_PEERS);
  int fds[MAX_PEERS];
  for (int i = 0; i < peers; i++) fds[i] = connect_to(names[i]);
  printf("first write at %.9f\n", now());
  long sent = 0;
  for (int i = 0; i < peers; i++) {
    for (int pair = 0; pair < pairs; pair++) {
      char text[64];
      int length = snprintf(text, sizeof text, "VARIABLE_%d=value of variable %d", pair, pair);
      write_all(fds[i], &length, sizeof length);
      write_all(fds[i], text, length);
      sent += sizeof length + length;
    }
  }
  for (int i = 0; i < peers; i++) CHECK(close(fds[i]) == 0);
  printf("sent %ld bytes to %d peers\n", sent, peers);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "recv") == 0) return receiver(atoi(argv[2]));
  if (argc >= 4 && strcmp(argv[1], "send") == 0) return sender(atoi(argv[2]), argc - 3, argv + 3);
  fprintf(stderr, "usage: fanout_writes recv PORT | fanout_writes send PAIRS HOST:PORT...\n");
  return 2;
}
