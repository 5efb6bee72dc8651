/* udp_send_checks: what a UDP send is refused with before any byte of it is
 * read, for each family, length, destination and MSG_OOB: udp_sendmsg
 * checks the length first (past 0xFFFF), then urgent data, the address and
 * a destination at all; udpv6_sendmsg the address first, and then IPv4's
 * checks for an IPv4 or IPv4-mapped destination, or else its overflow bound
 * and the port, urgent data being no error there. A payload too large for
 * IP is refused last. Any send that reaches the protocol binds an unbound
 * socket first (inet_send_prepare), refused or not; one refused before
 * (a buffer outside user space, an address too long to copy) does not. The
 * buffer lies low, so that even the largest lengths stay in user space
 * wherever the program runs. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net_address.h"
#include "semantics.h"

#define BUFFER_AT ((void *)0x10000000)
#define BUFFER_BYTES (1 << 20)

static const size_t LENGTHS[] = {100, 65507, 65508, 65527, 65528, 65535, 65536, 0x7ffff000};

struct destination {
  int family;
  const char *what;
  const void *address;
  socklen_t length;
};

/* Whether the send left socket `s` bound: the port is at the same offset in both families' addresses. */
static const char *binding(int s) {
  struct sockaddr_in6 local;
  socklen_t length = sizeof local;
  CHECK(getsockname(s, (struct sockaddr *)&local, &length) == 0);
  return local.sin6_port == 0 ? "unbound" : "bound";
}

/* A send of `length` bytes from `buffer` (described by `from`) to `to` (none: write, or sendto without an address for MSG_OOB) on a fresh socket. */
static void send_from(const void *buffer, const char *from, const struct destination *to, size_t length, int flags) {
  int s = socket(to->family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  CHECK(s >= 0);
  long result = to->address == NULL && flags == 0 ? write(s, buffer, length) : sendto(s, buffer, length, flags, to->address, to->length);
  const char *outcome_text = outcome(result);
  printf("%s %zu %s%s%s: %s, %s\n", to->family == AF_INET6 ? "AF_INET6" : "AF_INET", length, to->what, flags & MSG_OOB ? " MSG_OOB" : "", from, outcome_text,
         binding(s));
  CHECK(close(s) == 0);
}

static void send_to(const struct destination *to, size_t length, int flags) { send_from(BUFFER_AT, "", to, length, flags); }

int main(void) {
  CHECK(mmap(BUFFER_AT, BUFFER_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == BUFFER_AT);
  struct sockaddr_in6 short_address = {.sin6_family = AF_INET6};
  struct sockaddr_in v4 = in4("127.0.0.1", 9), v4_port_0 = in4("127.0.0.1", 0);
  struct sockaddr_in6 v6 = in6("::1", 9), mapped = in6("::ffff:127.0.0.1", 9), v6_port_0 = in6("::1", 0);
  struct sockaddr_in6 unspecified = v6, unix_family = v6;
  unspecified.sin6_family = AF_UNSPEC;
  unix_family.sin6_family = AF_UNIX;
  const struct destination destinations[] = {
      {AF_INET, "no destination", NULL, 0},
      {AF_INET, "address of 3 bytes", &short_address, 3},
      {AF_INET, "port 0", &v4_port_0, sizeof v4_port_0},
      {AF_INET, "to 127.0.0.1", &v4, sizeof v4},
      {AF_INET, "AF_UNSPEC", &unspecified, sizeof unspecified},
      {AF_INET, "AF_UNIX", &unix_family, sizeof unix_family},
      {AF_INET6, "no destination", NULL, 0},
      {AF_INET6, "address of 3 bytes", &short_address, 3},
      {AF_INET6, "port 0", &v6_port_0, sizeof v6_port_0},
      {AF_INET6, "to ::1", &v6, sizeof v6},
      {AF_INET6, "to ::ffff:127.0.0.1", &mapped, sizeof mapped},
      {AF_INET6, "to AF_INET 127.0.0.1", &v4, sizeof v4},
      {AF_INET6, "AF_UNSPEC", &unspecified, sizeof unspecified},
      {AF_INET6, "AF_UNIX", &unix_family, sizeof unix_family},
  };
  for (size_t i = 0; i < sizeof LENGTHS / sizeof LENGTHS[0]; i++)
    for (int flags = 0; flags <= MSG_OOB; flags += MSG_OOB)
      for (size_t d = 0; d < sizeof destinations / sizeof destinations[0]; d++) send_to(&destinations[d], LENGTHS[i], flags);
  /* Refused before the protocol: a buffer past user space, an address longer than any; a fault copying the payload comes after. */
  for (int family = 0; family < 2; family++) {
    const struct destination *to = &destinations[family == 0 ? 3 : 9];
    send_from((void *)-4096L, " from a kernel address", to, 100, 0);
    send_from((void *)1, " from an unmapped address", to, 100, 0);
    send_from((void *)1, " from an unmapped address", &destinations[family == 0 ? 0 : 6], 100, 0);
    struct destination too_long = *to;
    too_long.what = "address of 129 bytes";
    too_long.length = 129;
    send_to(&too_long, 100, 0);
  }
  puts("EXIT-SUCCESS");
  return 0;
}
