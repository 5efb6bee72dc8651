/* socket_option_names: which option names setsockopt and getsockopt know,
 * for each family (AF_INET, AF_INET6), type (stream, datagram) and level,
 * over names 0 to 110 and a few past them; then the order in which a bad
 * pointer, a bad length and an unknown name are refused, and the options
 * that need a connection (IPV6_ADDRFORM, IP_MTU, IPV6_MTU). Each call gets a
 * fresh socket, so that no option set changes what the next call sees.
 *
 * The sweep prints whether Linux refuses the name (ENOPROTOOPT) or knows
 * it ("known"): a known name's own checks of its value, its privileges and
 * the socket's state, and what it reads back, are each option's own
 * behaviour, tested where simterpose emulates that option. Names that
 * netfilter claims (iptables, arptables, conntrack, ipset) are left out:
 * what the kernel answers for them depends on the modules loaded, and a
 * simulated host has no firewall. */
#define _GNU_SOURCE
#include <limits.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "net_address.h"
#include "semantics.h"

/* IPPROTO_TCP's TCP_CONGESTION and TCP_ULP name a module: set as root with
 * a name the kernel lacks, they would have it try to load one. */
#define TCP_CONGESTION 13
#define TCP_ULP 31
#define IPV6_ADDRFORM 1
#define IPV6_MTU 24

/* iptables' and ip6tables' names (IPT_BASE_CTL to +5), SO_ORIGINAL_DST,
 * ipset's SO_IP_SET, arptables' (ARPT_BASE_CTL to +3). */
static int netfilter_name(int level, int name) {
  if (level != IPPROTO_IP && level != IPPROTO_IPV6) return 0;
  return (name >= 64 && name <= 69 && !(level == IPPROTO_IPV6 && (name == 66 || name == 67))) || name == 80 ||
         (level == IPPROTO_IP && (name == 83 || (name >= 96 && name <= 99)));
}

static const int EXTRA_NAMES[] = {199, 200, 201, 210, 255, 1000, 9998, INT_MAX, -1};
#define LAST_SWEPT 110

static const char *family_name(int family) { return family == AF_INET6 ? "AF_INET6" : "AF_INET"; }
static const char *type_name(int type) { return type == SOCK_STREAM ? "stream" : "dgram"; }

static const char *level_name(int level) {
  switch (level) {
    case SOL_SOCKET:
      return "SOL_SOCKET";
    case IPPROTO_IP:
      return "IPPROTO_IP";
    case IPPROTO_TCP:
      return "IPPROTO_TCP";
    case IPPROTO_UDP:
      return "IPPROTO_UDP";
    default:
      return "IPPROTO_IPV6";
  }
}

static int fresh_socket(int family, int type) {
  int fd = socket(family, type, 0);
  CHECK(fd >= 0);
  return fd;
}

/* Whether a call failed for its name, or got past it. */
static const char *name_outcome(long result) { return result < 0 && errno == ENOPROTOOPT ? "ENOPROTOOPT" : "known"; }

static void sweep_name(int family, int type, int level, int name) {
  if (netfilter_name(level, name)) return;
  int fd = fresh_socket(family, type);
  int value = 1;
  int module_name = level == IPPROTO_TCP && (name == TCP_CONGESTION || name == TCP_ULP);
  /* Those two refuse an empty value as too short (EINVAL) once they know the name, before any module is looked for. */
  long set = syscall(SYS_setsockopt, fd, level, name, &value, module_name ? 0 : sizeof value);
  const char *set_outcome = name_outcome(set);
  CHECK(close(fd) == 0);
  fd = fresh_socket(family, type);
  int answer[64];
  socklen_t length = sizeof answer;
  long get = syscall(SYS_getsockopt, fd, level, name, answer, &length);
  printf("%s %s %s %d: set %s, get %s\n", family_name(family), type_name(type), level_name(level), name, set_outcome, name_outcome(get));
  CHECK(close(fd) == 0);
}

static const int FAMILIES[] = {AF_INET, AF_INET6};
static const int TYPES[] = {SOCK_STREAM, SOCK_DGRAM};
static const int LEVELS[] = {SOL_SOCKET, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6};
#define COUNT(array) (sizeof array / sizeof array[0])

static void sweep(void) {
  for (size_t f = 0; f < COUNT(FAMILIES); f++)
    for (size_t t = 0; t < COUNT(TYPES); t++)
      for (size_t l = 0; l < COUNT(LEVELS); l++) {
        for (int name = 0; name <= LAST_SWEPT; name++) sweep_name(FAMILIES[f], TYPES[t], LEVELS[l], name);
        for (size_t i = 0; i < COUNT(EXTRA_NAMES); i++) sweep_name(FAMILIES[f], TYPES[t], LEVELS[l], EXTRA_NAMES[i]);
      }
}

/* A page the program may not touch. */
static void *unmapped;

/* A name each level knows, read and written as an int. */
static int known_name(int level) {
  switch (level) {
    case SOL_SOCKET:
      return SO_KEEPALIVE;
    case IPPROTO_IP:
      return IP_TTL;
    case IPPROTO_TCP:
      return 1; /* TCP_NODELAY */
    case IPPROTO_UDP:
      return 1; /* UDP_CORK */
    default:
      return IPV6_UNICAST_HOPS;
  }
}

static void report(int family, int type, int level, const char *what, long result) {
  printf("%s %s %s, %s: %s\n", family_name(family), type_name(type), level_name(level), what, outcome(result));
}

/* One call of each kind with one thing wrong, on a fresh socket. */
static void mistakes_at(int family, int type, int level) {
  static const int UNKNOWN = 9998;
  int known = known_name(level);
  int value = 1;
  int fd = fresh_socket(family, type);
  report(family, type, level, "set unknown name, value unreadable", syscall(SYS_setsockopt, fd, level, UNKNOWN, unmapped, sizeof value));
  report(family, type, level, "set known name, value unreadable", syscall(SYS_setsockopt, fd, level, known, unmapped, sizeof value));
  report(family, type, level, "set unknown name, no value", syscall(SYS_setsockopt, fd, level, UNKNOWN, NULL, sizeof value));
  report(family, type, level, "set known name, no value", syscall(SYS_setsockopt, fd, level, known, NULL, sizeof value));
  report(family, type, level, "set unknown name, length 0", syscall(SYS_setsockopt, fd, level, UNKNOWN, &value, 0));
  report(family, type, level, "set unknown name, length 2", syscall(SYS_setsockopt, fd, level, UNKNOWN, &value, 2));
  report(family, type, level, "set unknown name, length -1", syscall(SYS_setsockopt, fd, level, UNKNOWN, &value, -1));
  report(family, type, level, "set known name, length 2", syscall(SYS_setsockopt, fd, level, known, &value, 2));
  socklen_t length = sizeof value;
  report(family, type, level, "get unknown name, length unreadable", syscall(SYS_getsockopt, fd, level, UNKNOWN, &value, unmapped));
  report(family, type, level, "get unknown name, value unwritable", syscall(SYS_getsockopt, fd, level, UNKNOWN, unmapped, &length));
  length = -1;
  report(family, type, level, "get unknown name, length -1", syscall(SYS_getsockopt, fd, level, UNKNOWN, &value, &length));
  length = -1;
  long got = syscall(SYS_getsockopt, fd, level, known, &value, &length);
  report(family, type, level, "get known name, length -1", got);
  if (got == 0) printf("  length written back: %d\n", (int)length);
  CHECK(close(fd) == 0);
}

static void mistakes(void) {
  for (size_t f = 0; f < COUNT(FAMILIES); f++)
    for (size_t t = 0; t < COUNT(TYPES); t++)
      for (size_t l = 0; l < COUNT(LEVELS); l++) {
        int level = LEVELS[l];
        int transport = TYPES[t] == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
        if (level == SOL_SOCKET || level == IPPROTO_IP || level == transport || (level == IPPROTO_IPV6 && FAMILIES[f] == AF_INET6))
          mistakes_at(FAMILIES[f], TYPES[t], level);
      }
}

/* A path MTU's outcome: its value is the route's (65536 over the loopback, the links' on a simulated platform). */
static void path_mtu(const char *option, int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  long result = syscall(SYS_getsockopt, fd, level, name, &value, &length);
  printf(" %s %s;", option, result == 0 && value > 0 ? "an MTU" : outcome(result));
}

/*
 * What a socket answers only once established: IPV6_ADDRFORM its family
 * (AF_INET6), which setsockopt refuses; IP_MTU and IPV6_MTU its route's
 * MTU. ENOTCONN before.
 */
static void connection_options(const char *what, int family, int fd) {
  printf("%s %s:", family_name(family), what);
  path_mtu("IP_MTU", fd, IPPROTO_IP, IP_MTU);
  if (family == AF_INET6) {
    path_mtu("IPV6_MTU", fd, IPPROTO_IPV6, IPV6_MTU);
    int value = -1;
    socklen_t length = sizeof value;
    long result = syscall(SYS_getsockopt, fd, IPPROTO_IPV6, IPV6_ADDRFORM, &value, &length);
    printf(" IPV6_ADDRFORM %s", outcome(result));
    if (result == 0) printf(" (value %d, length %d)", value, (int)length);
    value = AF_INET;
    printf("; set to AF_INET %s", outcome(syscall(SYS_setsockopt, fd, IPPROTO_IPV6, IPV6_ADDRFORM, &value, sizeof value)));
  }
  printf("\n");
}

static void connection_options_of(int family) {
  int fresh_stream = fresh_socket(family, SOCK_STREAM), fresh_datagram = fresh_socket(family, SOCK_DGRAM);
  connection_options("fresh stream socket", family, fresh_stream);
  connection_options("fresh datagram socket", family, fresh_datagram);
  int listener = fresh_socket(family, SOCK_STREAM);
  struct sockaddr_in v4 = in4("127.0.0.1", 0);
  struct sockaddr_in6 v6 = in6("::1", 0);
  struct sockaddr *address = family == AF_INET6 ? (struct sockaddr *)&v6 : (struct sockaddr *)&v4;
  socklen_t length = family == AF_INET6 ? sizeof v6 : sizeof v4;
  CHECK(bind(listener, address, length) == 0);
  CHECK(listen(listener, 1) == 0);
  CHECK(getsockname(listener, address, &length) == 0);
  connection_options("listener", family, listener);
  int client = fresh_socket(family, SOCK_STREAM);
  CHECK(connect(client, address, length) == 0);
  int accepted = accept(listener, NULL, NULL);
  CHECK(accepted >= 0);
  connection_options("connected stream socket", family, client);
  connection_options("accepted stream socket", family, accepted);
  int datagram = fresh_socket(family, SOCK_DGRAM);
  CHECK(connect(datagram, address, length) == 0);
  connection_options("connected datagram socket", family, datagram);
  if (family == AF_INET6) {
    int value = -1;
    socklen_t room = 2;
    long result = syscall(SYS_getsockopt, datagram, IPPROTO_IPV6, IPV6_ADDRFORM, &value, &room);
    printf("IPV6_ADDRFORM in 2 bytes: %s, value %#x, length %d\n", outcome(result), value, (int)room);
  }
  CHECK(close(fresh_stream) == 0 && close(fresh_datagram) == 0 && close(listener) == 0);
  CHECK(close(client) == 0 && close(accepted) == 0 && close(datagram) == 0);
}

int main(void) {
  unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(unmapped != MAP_FAILED);
  sweep();
  mistakes();
  connection_options_of(AF_INET);
  connection_options_of(AF_INET6);
  puts("EXIT-SUCCESS");
  return 0;
}
