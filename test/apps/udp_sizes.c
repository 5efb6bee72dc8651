/* The largest UDP datagrams, sent around the limits of each IP version to
 * a socket of this process: over IPv4 (65507 bytes of payload: 65535 less
 * the 20-byte IPv4 and 8-byte UDP headers), over IPv6 on ::1 (65527: the
 * IPv6 payload length field covers the UDP header, not IPv6's own 40
 * bytes) and from an AF_INET6 socket to an IPv4-mapped address (IPv4's
 * limit). Each send prints its result or errno, and each datagram that
 * went is received whole. Printed so that a native run and a run under
 * simterpose can be compared line for line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static char payload[70000];
static char received[70000];

/* A datagram socket of `family` bound to `address` with a receive buffer for the largest datagram. */
static int bound(int family, const struct sockaddr *address, socklen_t length) {
  int fd = socket(family, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  int size = 1 << 20;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size) == 0);
  CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
  CHECK(bind(fd, address, length) == 0);
  return fd;
}

static void send_sizes(const char *what, int sender, int receiver, const struct sockaddr *to, socklen_t length) {
  static const size_t sizes[] = {65507, 65508, 65527, 65528, 65535};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    errno = 0;
    ssize_t sent = sendto(sender, payload, sizes[i], 0, to, length);
    if (sent < 0) {
      printf("%s, %zu bytes: errno %s\n", what, sizes[i], strerrorname_np(errno));
      continue;
    }
    ssize_t got = recv(receiver, received, sizeof received, 0);
    printf("%s, %zu bytes: sent %zd, received %zd%s\n", what, sizes[i], sent, got, got > 0 && memcmp(payload, received, (size_t)got) == 0 ? "" : " (other bytes)");
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (size_t i = 0; i < sizeof payload; i++) payload[i] = (char)(i * 7);

  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int receiver4 = bound(AF_INET, (struct sockaddr *)&v4, sizeof v4);
  socklen_t length = sizeof v4;
  CHECK(getsockname(receiver4, (struct sockaddr *)&v4, &length) == 0);
  struct sockaddr_in any4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int sender4 = bound(AF_INET, (struct sockaddr *)&any4, sizeof any4);
  send_sizes("IPv4", sender4, receiver4, (struct sockaddr *)&v4, sizeof v4);

  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  int receiver6 = bound(AF_INET6, (struct sockaddr *)&v6, sizeof v6);
  length = sizeof v6;
  CHECK(getsockname(receiver6, (struct sockaddr *)&v6, &length) == 0);
  struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  int sender6 = bound(AF_INET6, (struct sockaddr *)&any6, sizeof any6);
  send_sizes("IPv6", sender6, receiver6, (struct sockaddr *)&v6, sizeof v6);

  /* An AF_INET6 socket sending to the IPv4 receiver through its IPv4-mapped address. */
  struct sockaddr_in6 mapped = {.sin6_family = AF_INET6, .sin6_port = v4.sin_port};
  CHECK(inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr) == 1);
  struct sockaddr_in6 wildcard = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
  int dual = bound(AF_INET6, (struct sockaddr *)&wildcard, sizeof wildcard);
  send_sizes("IPv4-mapped", dual, receiver4, (struct sockaddr *)&mapped, sizeof mapped);

  /* A connected IPv6 socket: the same limit for send. */
  CHECK(connect(sender6, (struct sockaddr *)&v6, sizeof v6) == 0);
  errno = 0;
  printf("connected IPv6 send of 65527 bytes: %zd\n", send(sender6, payload, 65527, 0));
  CHECK(recv(receiver6, received, sizeof received, 0) == 65527);
  errno = 0;
  ssize_t result = send(sender6, payload, 65528, 0);
  printf("connected IPv6 send of 65528 bytes: %zd errno %s\n", result, strerrorname_np(errno));
  printf("EXIT-SUCCESS\n");
  return 0;
}
