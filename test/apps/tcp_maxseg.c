/* tcp_maxseg ADDRESS...
 *
 * getsockopt(TCP_MAXSEG) on TCP sockets: a fresh one, a listener, and both
 * ends of a connection to each ADDRESS (an AF_INET client for an IPv4
 * address, AF_INET6 for the others, ::ffff:a.b.c.d included) accepted by a
 * dual-stack AF_INET6 listener on [::]. On a 1500-byte MTU Linux reads 536
 * before a connection, then the segment's payload: 1448 over IPv4 (an
 * IPv4-mapped peer included), 1428 over IPv6. Runs natively (MTU 1500) and
 * under simterpose: the outputs must match. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static int maxseg(int fd) {
  int value;
  socklen_t length = sizeof value;
  CHECK(getsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &value, &length) == 0);
  return value;
}

int main(int argc, char **argv) {
  int listener = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  int fresh = maxseg(listener);
  struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
  socklen_t length = sizeof any;
  CHECK(bind(listener, (struct sockaddr *)&any, sizeof any) == 0);
  CHECK(listen(listener, 8) == 0);
  CHECK(getsockname(listener, (struct sockaddr *)&any, &length) == 0);
  printf("fresh %d, listening %d\n", fresh, maxseg(listener));
  for (int i = 1; i < argc; i++) {
    struct sockaddr_in ipv4 = {.sin_family = AF_INET, .sin_port = any.sin6_port};
    struct sockaddr_in6 ipv6 = {.sin6_family = AF_INET6, .sin6_port = any.sin6_port};
    int is_ipv4 = inet_pton(AF_INET, argv[i], &ipv4.sin_addr) == 1;
    CHECK(is_ipv4 || inet_pton(AF_INET6, argv[i], &ipv6.sin6_addr) == 1);
    int client = socket(is_ipv4 ? AF_INET : AF_INET6, SOCK_STREAM, 0);
    CHECK(client >= 0);
    if (is_ipv4) CHECK(connect(client, (struct sockaddr *)&ipv4, sizeof ipv4) == 0);
    else CHECK(connect(client, (struct sockaddr *)&ipv6, sizeof ipv6) == 0);
    int accepted = accept(listener, NULL, NULL);
    CHECK(accepted >= 0);
    printf("%s: client %d, accepted %d\n", argv[i], maxseg(client), maxseg(accepted));
    close(client);
    close(accepted);
  }
  close(listener);
  printf("EXIT-SUCCESS\n");
  return 0;
}
