/* Calls that return at once on Linux and must not wait under simterpose:
 * reads and writes of an epoll descriptor (EINVAL), the socket calls on it
 * (ENOTSOCK), reads of nothing from an empty pipe or socket (0, before any
 * data is asked for), a recv of nothing with MSG_DONTWAIT (EAGAIN). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"

static void report(const char *call, long result) {
  printf("%s = %ld %s\n", call, result, result < 0 ? strerrorname_np(errno) : "");
  fflush(stdout);
}
#define TRY(call) report(#call, (long)(call))

int main(void) {
  char buf[16];
  struct iovec iov = {buf, sizeof buf};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  int ep = epoll_create1(0);
  TRY(read(ep, buf, sizeof buf));
  TRY(write(ep, buf, sizeof buf));
  TRY(writev(ep, &iov, 1));
  TRY(accept(ep, NULL, NULL));
  TRY(recvmsg(ep, &msg, 0));
  int p[2];
  CHECK(pipe(p) == 0);
  TRY(read(p[0], NULL, 0));
  TRY(read(p[0], buf, 0));
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  TRY(bind(listener, (struct sockaddr *)&address, sizeof address));
  TRY(listen(listener, 1));
  getsockname(listener, (struct sockaddr *)&address, &length);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  TRY(connect(client, (struct sockaddr *)&address, sizeof address));
  TRY(read(client, NULL, 0));
  TRY(recv(client, buf, 0, MSG_DONTWAIT));
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  TRY(read(server, buf, 0));
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  TRY(read(udp, buf, 0));
  puts("EXIT-SUCCESS");
  return 0;
}
