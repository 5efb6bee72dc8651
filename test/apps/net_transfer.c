/* net_transfer recv <port> <bytes>
 * net_transfer send <host> <port> <bytes> <write size>
 *
 * One-way bulk TCP transfer, as fast as the sockets allow. The sender
 * connects, writes <bytes> bytes in writes of <write size>, and closes; the
 * receiver accepts one connection and reads until EOF, checking the count.
 *
 * For timing tests each side prints CLOCK_MONOTONIC dates (virtual under
 * simterpose, and shared by every process of a run): the sender when it
 * calls connect() and when connect() returns, the receiver when accept()
 * returns and when the read completing <bytes> returns (the last byte's
 * arrival), and the receiver's duration between the two. The transfer's
 * duration as the network sees it is "last byte at" minus "connect called
 * at". */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

static double now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static int receiver(int port, long expected) {
  int listener = listen_on(port, 0, 1);
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  double accepted = now(), last = accepted;
  static char buffer[1 << 16];
  long total = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    CHECK(got >= 0);
    if (got == 0) break;
    total += got;
    // Only the read that completes the count is dated: a clock call per read
    // would double the syscalls a bulk receiver makes (the benchmark's too).
    if (total >= expected) last = now();
  }
  CHECK(close(fd) == 0);
  CHECK(close(listener) == 0);
  printf("received %ld bytes\n", total);
  printf("accepted at %.9f\n", accepted);
  printf("last byte at %.9f\n", last);
  printf("receiver duration %.9f s\n", last - accepted);
  CHECK(total == expected);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static int sender(const char *host, const char *port, long total, long write_size) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  char *buffer = malloc(write_size);
  CHECK(buffer != NULL);
  memset(buffer, 'd', write_size);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  double started = now();
  CHECK(connect(fd, found->ai_addr, found->ai_addrlen) == 0);
  double connected = now();
  freeaddrinfo(found);
  long sent = 0;
  while (sent < total) {
    long n = total - sent < write_size ? total - sent : write_size;
    ssize_t written = write(fd, buffer, n);
    CHECK(written > 0);
    sent += written;
  }
  CHECK(close(fd) == 0);
  printf("sent %ld bytes\n", sent);
  printf("connect called at %.9f\n", started);
  printf("connect returned at %.9f\n", connected);
  printf("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "recv") == 0) return receiver(atoi(argv[2]), atol(argv[3]));
  if (argc == 6 && strcmp(argv[1], "send") == 0 && atol(argv[5]) > 0) return sender(argv[2], argv[3], atol(argv[4]), atol(argv[5]));
  fprintf(stderr, "usage: net_transfer recv <port> <bytes> | net_transfer send <host> <port> <bytes> <write size>\n");
  return 2;
}
