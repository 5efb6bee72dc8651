/* udp_send_checks: what a UDP send is refused with before any byte of it is
 * read, for each family, length, destination and MSG_OOB: udp_sendmsg
 * checks the length first (past 0xFFFF), then urgent data, the address and
 * a destination at all; udpv6_sendmsg the address first, and then IPv4's
 * checks for an IPv4 or IPv4-mapped destination, or else its overflow bound
 * and the port, urgent data being no error there. A payload too large for
 * IP is refused last. The buffer lies low, so that even the largest lengths
 * stay in user space wherever the program runs. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "semantics.h"

#define BUFFER_AT ((void *)0x10000000)
#define BUFFER_BYTES (1 << 20)

static const size_t LENGTHS[] = {100, 65507, 65508, 65527, 65528, 65535, 65536, 0x7ffff000};

static struct sockaddr_in6 six(const char *address, int port) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  CHECK(inet_pton(AF_INET6, address, &a.sin6_addr) == 1);
  return a;
}

static struct sockaddr_in four(const char *address, int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  CHECK(inet_pton(AF_INET, address, &a.sin_addr) == 1);
  return a;
}

static void send_to(int family, const char *what, size_t length, int flags, const void *to, socklen_t to_length) {
  int s = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  CHECK(s >= 0);
  printf("%s %zu %s%s: %s\n", family == AF_INET6 ? "AF_INET6" : "AF_INET", length, what, flags & MSG_OOB ? " MSG_OOB" : "",
         outcome(to == NULL && flags == 0 ? write(s, BUFFER_AT, length) : sendto(s, BUFFER_AT, length, flags, to, to_length)));
  CHECK(close(s) == 0);
}

int main(void) {
  CHECK(mmap(BUFFER_AT, BUFFER_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == BUFFER_AT);
  struct sockaddr_in6 short_address = {.sin6_family = AF_INET6};
  struct sockaddr_in v4 = four("127.0.0.1", 9), v4_port_0 = four("127.0.0.1", 0);
  struct sockaddr_in6 v6 = six("::1", 9), mapped = six("::ffff:127.0.0.1", 9), v6_port_0 = six("::1", 0);
  struct sockaddr_in6 unspecified = v6, unix_family = v6;
  unspecified.sin6_family = AF_UNSPEC;
  unix_family.sin6_family = AF_UNIX;
  for (size_t i = 0; i < sizeof LENGTHS / sizeof LENGTHS[0]; i++) {
    size_t length = LENGTHS[i];
    for (int oob = 0; oob <= MSG_OOB; oob += MSG_OOB) {
      send_to(AF_INET, "no destination", length, oob, NULL, 0);
      send_to(AF_INET, "address of 3 bytes", length, oob, &short_address, 3);
      send_to(AF_INET, "port 0", length, oob, &v4_port_0, sizeof v4_port_0);
      send_to(AF_INET, "to 127.0.0.1", length, oob, &v4, sizeof v4);
      send_to(AF_INET, "AF_UNSPEC", length, oob, &unspecified, sizeof unspecified);
      send_to(AF_INET, "AF_UNIX", length, oob, &unix_family, sizeof unix_family);
      send_to(AF_INET6, "no destination", length, oob, NULL, 0);
      send_to(AF_INET6, "address of 3 bytes", length, oob, &short_address, 3);
      send_to(AF_INET6, "port 0", length, oob, &v6_port_0, sizeof v6_port_0);
      send_to(AF_INET6, "to ::1", length, oob, &v6, sizeof v6);
      send_to(AF_INET6, "to ::ffff:127.0.0.1", length, oob, &mapped, sizeof mapped);
      send_to(AF_INET6, "to AF_INET 127.0.0.1", length, oob, &v4, sizeof v4);
      send_to(AF_INET6, "AF_UNSPEC", length, oob, &unspecified, sizeof unspecified);
      send_to(AF_INET6, "AF_UNIX", length, oob, &unix_family, sizeof unix_family);
    }
  }
  puts("EXIT-SUCCESS");
  return 0;
}
