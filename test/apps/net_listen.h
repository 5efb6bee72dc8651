/* Shared by the network test programs: a TCP listener on every address of
 * the host, announced on stdout so that the tests (and the programs' peers,
 * started later) know it is up; and one on the loopback for a program that
 * connects to itself. */
#ifndef SIMTERPOSE_TEST_NET_LISTEN_H
#define SIMTERPOSE_TEST_NET_LISTEN_H

#include <netinet/in.h>
#include <sys/socket.h>

#include "check.h"

/* `type_flags` is or-ed into SOCK_STREAM (SOCK_NONBLOCK, SOCK_CLOEXEC).
 * A `receive_buffer` above 0 is set as SO_RCVBUF before listen(), where it
 * must be for accepted sockets to inherit it from the start (the window
 * offered in the handshake follows it). */
static inline int listen_on_with_buffer(int port, int type_flags, int backlog, int receive_buffer) {
  int fd = socket(AF_INET, SOCK_STREAM | type_flags, 0);
  CHECK(fd >= 0);
  int one = 1;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  if (receive_buffer > 0) CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer) == 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(fd, backlog) == 0);
  printf("listening on port %d\n", port);
  fflush(stdout);
  return fd;
}

static inline int listen_on(int port, int type_flags, int backlog) { return listen_on_with_buffer(port, type_flags, backlog, 0); }

/* A TCP listener on 127.0.0.1, on a port the kernel picks, written to `address`. */
static inline int loopback_listener(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  *address = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(fd, (struct sockaddr *)address, sizeof *address) == 0);
  socklen_t length = sizeof *address;
  CHECK(getsockname(fd, (struct sockaddr *)address, &length) == 0);
  CHECK(listen(fd, 4) == 0);
  return fd;
}

#endif
