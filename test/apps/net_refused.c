/* net_refused <host> <port>
 *
 * Connects to a port of <host> where nothing listens, twice:
 * a blocking connect fails with ECONNREFUSED; a non-blocking one returns
 * EINPROGRESS, poll() then reports the socket writable with an error and a
 * hang-up, and SO_ERROR holds ECONNREFUSED (read once, then cleared). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static const char *errno_name(int error) {
  switch (error) {
  case 0: return "no error";
  case ECONNREFUSED: return "ECONNREFUSED";
  case EINPROGRESS: return "EINPROGRESS";
  case ETIMEDOUT: return "ETIMEDOUT";
  case EHOSTUNREACH: return "EHOSTUNREACH";
  case ENETUNREACH: return "ENETUNREACH";
  case EAGAIN: return "EAGAIN";
  default: return strerror(error);
  }
}

static void print_revents(short revents) {
  printf("poll revents:%s%s%s%s\n", (revents & POLLIN) ? " POLLIN" : "", (revents & POLLOUT) ? " POLLOUT" : "",
         (revents & POLLERR) ? " POLLERR" : "", (revents & POLLHUP) ? " POLLHUP" : "");
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: net_refused <host> <port>\n");
    return 2;
  }
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(argv[1], argv[2], &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", argv[1], gai_strerror(status));
    return 1;
  }

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int result = connect(fd, found->ai_addr, found->ai_addrlen);
  printf("blocking connect: %s\n", result == 0 ? "connected" : errno_name(errno));
  CHECK(close(fd) == 0);

  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(fd >= 0);
  result = connect(fd, found->ai_addr, found->ai_addrlen);
  printf("non-blocking connect: %s\n", result == 0 ? "connected" : errno_name(errno));
  struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
  CHECK(poll(&p, 1, 5000) == 1);
  print_revents(p.revents);
  int error = -1;
  socklen_t length = sizeof error;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("SO_ERROR: %s\n", errno_name(error));
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("SO_ERROR again: %s\n", errno_name(error));
  CHECK(close(fd) == 0);
  freeaddrinfo(found);
  printf("EXIT-SUCCESS\n");
  return 0;
}
