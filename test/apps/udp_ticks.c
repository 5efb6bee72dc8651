/* udp_ticks receive <port> <count> | udp_ticks send <host> <port> <count>
 *
 * A datagram every 100 ms: the sender sends <count> of them, numbered from
 * 1; the receiver prints the numbers that arrive, until the last one or
 * until none came for two seconds, then how many were lost. What a path
 * that goes down meanwhile loses shows as numbers missing. */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_resolve.h"

static int receive(int port, int count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  struct timeval quiet = {.tv_sec = 2};
  CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet) == 0);
  int received = 0, number = 0;
  while (number < count) {
    ssize_t got = recv(fd, &number, sizeof number, 0);
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    CHECK(got == sizeof number);
    printf("got %d\n", number);
    received++;
  }
  printf("lost %d\n", count - received);
  return 0;
}

static int send_ticks(const char *host, const char *port, int count) {
  struct sockaddr_in to = resolve(host, port);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  const struct timespec tick = {.tv_nsec = 100 * 1000 * 1000};
  for (int number = 1; number <= count; number++) {
    CHECK(nanosleep(&tick, NULL) == 0);
    CHECK(sendto(fd, &number, sizeof number, 0, (struct sockaddr *)&to, sizeof to) == sizeof number);
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 4 && strcmp(argv[1], "receive") == 0) return receive(atoi(argv[2]), atoi(argv[3]));
  if (argc == 5 && strcmp(argv[1], "send") == 0) return send_ticks(argv[2], argv[3], atoi(argv[4]));
  fprintf(stderr, "usage: udp_ticks receive <port> <count> | udp_ticks send <host> <port> <count>\n");
  return 2;
}
