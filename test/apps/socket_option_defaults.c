/* What getsockopt reads of options a program never set, on fresh TCP and
 * UDP sockets of both families: the defaults that are not zero (TTLs, hop
 * limits, keepalive times, low-water marks, timeouts...), the sizes of the
 * options answered as structs, the buffers SO_MEMINFO reports, and a
 * cookie and a congestion control name (whose values are the machine's:
 * only their shape is printed). */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

struct option {
  int level, name;
};

/* Every option whose fresh value is not 4 zero bytes on some socket (Linux 6.18). */
static const struct option OPTIONS[] = {
    {SOL_SOCKET, 18}, {SOL_SOCKET, 19}, {SOL_SOCKET, 25}, {SOL_SOCKET, 26}, {SOL_SOCKET, 37}, {SOL_SOCKET, 42}, {SOL_SOCKET, 47},
    {SOL_SOCKET, 48}, {SOL_SOCKET, 49}, {SOL_SOCKET, 61}, {SOL_SOCKET, 65}, {SOL_SOCKET, 66}, {SOL_SOCKET, 67}, {IPPROTO_IP, 2},
    {IPPROTO_IP, 9},  {IPPROTO_IP, 10}, {IPPROTO_IP, 33}, {IPPROTO_IP, 34}, {IPPROTO_IP, 49}, {IPPROTO_TCP, 4}, {IPPROTO_TCP, 5},
    {IPPROTO_TCP, 6}, {IPPROTO_TCP, 7}, {IPPROTO_TCP, 8}, {IPPROTO_TCP, 12}, {IPPROTO_TCP, 26}, {IPPROTO_TCP, 28}, {IPPROTO_TCP, 31},
    {IPPROTO_TCP, 33}, {IPPROTO_TCP, 44}, {IPPROTO_TCP, 45}, {IPPROTO_TCP, 46}, {IPPROTO_IPV6, 6}, {IPPROTO_IPV6, 16},
    {IPPROTO_IPV6, 18}, {IPPROTO_IPV6, 19}, {IPPROTO_IPV6, 23}, {IPPROTO_IPV6, 29}, {IPPROTO_IPV6, 54}, {IPPROTO_IPV6, 55},
    {IPPROTO_IPV6, 57}, {IPPROTO_IPV6, 59}, {IPPROTO_IPV6, 70}, {IPPROTO_IPV6, 72},
};

static void sweep(int family, int type) {
  const char *kind = type == SOCK_STREAM ? "tcp" : "udp";
  const char *version = family == AF_INET ? "v4" : "v6";
  for (unsigned i = 0; i < sizeof OPTIONS / sizeof OPTIONS[0]; i++) {
    const struct option option = OPTIONS[i];
    if (option.level == IPPROTO_TCP && type != SOCK_STREAM) continue;
    if (option.level == IPPROTO_IPV6 && family != AF_INET6) continue;
    int fd = socket(family, type, 0);
    CHECK(fd >= 0);
    unsigned char value[64];
    memset(value, 0xAA, sizeof value);
    socklen_t length = sizeof value;
    printf("%s %s %d:%d:", version, kind, option.level, option.name);
    if (getsockopt(fd, option.level, option.name, value, &length) < 0) {
      printf(" %s\n", strerrorname_np(errno));
    } else {
      printf(" length %u", length);
      for (unsigned j = 0; j < length; j++) printf(" %02x", value[j]);
      printf("\n");
    }
    close(fd);
  }
  int fd = socket(family, type, 0);
  unsigned meminfo[9];
  socklen_t length = sizeof meminfo;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &length) == 0);
  printf("%s %s SO_MEMINFO: length %u receive buffer %u send buffer %u\n", version, kind, length, meminfo[1], meminfo[3]);
  unsigned long long cookie = 0;
  length = sizeof cookie;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &length) == 0);
  printf("%s %s SO_COOKIE: length %u, %s\n", version, kind, length, cookie != 0 ? "not 0" : "0");
  if (type == SOCK_STREAM) {
    char name[32];
    memset(name, 0, sizeof name);
    length = sizeof name;
    CHECK(getsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, name, &length) == 0);
    printf("%s %s TCP_CONGESTION: length %u, %s\n", version, kind, length, name[0] != 0 ? "a name" : "none");
  }
  close(fd);
}

int main(void) {
  sweep(AF_INET, SOCK_STREAM);
  sweep(AF_INET, SOCK_DGRAM);
  sweep(AF_INET6, SOCK_STREAM);
  sweep(AF_INET6, SOCK_DGRAM);
  printf("EXIT-SUCCESS\n");
  return 0;
}
