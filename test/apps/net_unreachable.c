/* net_unreachable <address on the subnet> <address off it>
 *
 * Reaches for an address of its own subnet that no machine has, then for
 * one no route leads to, over TCP and UDP, printing what each call answered
 * (its errno's name, or "ok") and, for the TCP connects, how many whole
 * seconds they took. Linux connects a UDP socket anywhere its routes lead
 * and loses what it sends to a machine that does not answer ARP; a TCP
 * connect there fails with EHOSTUNREACH once the neighbour lookup gives up
 * (3 s); off every route, both fail at once with ENETUNREACH. */
#define _GNU_SOURCE /* strerrorname_np */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *outcome(int result) { return result >= 0 ? "ok" : strerrorname_np(errno); }

static double seconds(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void reach(const char *what, const char *address) {
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(7000)};
  CHECK(inet_pton(AF_INET, address, &to.sin_addr) == 1);

  int tcp = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(tcp >= 0);
  double start = seconds();
  const char *connected = outcome(connect(tcp, (struct sockaddr *)&to, sizeof to));
  printf("%s: tcp connect %s after %d s\n", what, connected, (int)(seconds() - start));
  close(tcp);

  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(udp >= 0);
  const char *sent = outcome(sendto(udp, "x", 1, 0, (struct sockaddr *)&to, sizeof to));
  printf("%s: udp sendto %s\n", what, sent);
  printf("%s: udp connect %s\n", what, outcome(connect(udp, (struct sockaddr *)&to, sizeof to)));
  close(udp);
}

int main(int argc, char **argv) {
  CHECK(argc == 3);
  reach("on the subnet", argv[1]);
  reach("off it", argv[2]);
  printf("EXIT-SUCCESS\n");
  return 0;
}
