/* The host's socket tables as ss and netstat read them: /proc/net/tcp,
 * tcp6, udp and udp6, and a NETLINK_SOCK_DIAG dump of each. The program
 * makes TCP listeners (one with a connection waiting to be accepted), a
 * connection with bytes unread, bound and connected UDP sockets, then
 * prints the entries on its own ports, sorted, ports by name (the kernel
 * picks the clients' ports), leaving out what depends on the machine (the
 * order of the kernel's hash tables, inodes, pointers, UDP's queues in
 * memory rather than bytes, timers). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net_address.h"

#define LISTENER 47101
#define LISTENER6 47102
#define BUSY 47103
#define UDP 47104
#define UDP6 47105
#define UNREAD 1000
#define SETTLE_US 50000

static int client_port, waiting_port, udp_client_port;

/* `udp`: the port is a UDP socket's; TCP's and UDP's ports are apart (the kernel may give a client of each the same number). */
static const char *port_name(int port, int udp) {
  if (udp) return port == udp_client_port ? "udp-client" : port == UDP ? "udp" : port == UDP6 ? "udp6" : port == 0 ? "*" : NULL;
  switch (port) {
    case LISTENER: return "listener";
    case LISTENER6: return "listener6";
    case BUSY: return "busy";
    case 0: return "*";
  }
  if (port == client_port) return "client";
  if (port == waiting_port) return "waiting";
  return NULL;
}

static char lines[256][200];
static int line_count;

static int by_text(const void *a, const void *b) { return strcmp(a, b); }

static void flush_sorted(void) {
  qsort(lines, line_count, sizeof lines[0], by_text);
  for (int i = 0; i < line_count; i++) printf("%s\n", lines[i]);
  line_count = 0;
}

/* The entries of one /proc/net table on our ports: state, queues (TCP), whether bytes wait (UDP). */
static void proc_table(const char *table, int tcp) {
  char path[64];
  snprintf(path, sizeof path, "/proc/net/%s", table);
  FILE *file = fopen(path, "r");
  CHECK(file != NULL);
  char text[512];
  CHECK(fgets(text, sizeof text, file) != NULL);
  printf("%s header: %s", table, strstr(text, "local_address") != NULL ? "local_address\n" : "missing\n");
  while (fgets(text, sizeof text, file) != NULL) {
    char local[64], remote[64];
    unsigned state, tx, rx, uid;
    if (sscanf(text, "%*d: %63s %63s %x %x:%x %*x:%*x %*x %u", local, remote, &state, &tx, &rx, &uid) != 6) continue;
    const char *local_name = port_name((int)strtol(strrchr(local, ':') + 1, NULL, 16), !tcp);
    const char *remote_name = port_name((int)strtol(strrchr(remote, ':') + 1, NULL, 16), !tcp);
    if (local_name == NULL || remote_name == NULL || (strcmp(local_name, "*") == 0)) continue;
    if (tcp)
      snprintf(lines[line_count++], sizeof lines[0], "%s: %s -> %s state %02X tx %u rx %u uid %u", table, local_name, remote_name, state, tx, rx, uid);
    else
      snprintf(lines[line_count++], sizeof lines[0], "%s: %s -> %s state %02X waiting %s uid %u", table, local_name, remote_name, state, rx > 0 ? "yes" : "no", uid);
  }
  fclose(file);
  flush_sorted();
}

/* A NETLINK_SOCK_DIAG socket that sent `request` as SOCK_DIAG_BY_FAMILY with `flags`: its answers are to be read. */
static int diag_request(const struct inet_diag_req_v2 *request, int flags, unsigned sequence) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  CHECK(fd >= 0);
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 request;
  } message = {.header = {.nlmsg_len = sizeof message, .nlmsg_type = SOCK_DIAG_BY_FAMILY, .nlmsg_flags = flags, .nlmsg_seq = sequence}, .request = *request};
  CHECK(send(fd, &message, sizeof message, 0) == sizeof message);
  return fd;
}

/* A SOCK_DIAG_BY_FAMILY dump of every state, with tcp_info asked for. */
static void diag_dump(int family, int protocol, const char *what) {
  struct inet_diag_req_v2 request = {.sdiag_family = family, .sdiag_protocol = protocol, .idiag_ext = 1 << (INET_DIAG_INFO - 1), .idiag_states = ~0u};
  int fd = diag_request(&request, NLM_F_REQUEST | NLM_F_DUMP, 7);
  static char buffer[32768];
  int done = 0;
  while (!done) {
    ssize_t got = recv(fd, buffer, sizeof buffer, 0);
    CHECK(got > 0);
    for (struct nlmsghdr *header = (struct nlmsghdr *)buffer; NLMSG_OK(header, (size_t)got); header = NLMSG_NEXT(header, got)) {
      CHECK(header->nlmsg_seq == 7);
      if (header->nlmsg_type == NLMSG_DONE) {
        done = 1;
        break;
      }
      CHECK(header->nlmsg_type == SOCK_DIAG_BY_FAMILY);
      struct inet_diag_msg *entry = NLMSG_DATA(header);
      const char *local = port_name(ntohs(entry->id.idiag_sport), protocol == IPPROTO_UDP);
      const char *remote = port_name(ntohs(entry->id.idiag_dport), protocol == IPPROTO_UDP);
      if (local == NULL || remote == NULL || strcmp(local, "*") == 0) continue;
      int info_state = -1, shutdown = -1;
      int length = header->nlmsg_len - NLMSG_LENGTH(sizeof *entry);
      for (struct rtattr *attribute = (struct rtattr *)(entry + 1); RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length)) {
        if (attribute->rta_type == INET_DIAG_INFO) info_state = *(unsigned char *)RTA_DATA(attribute);
        if (attribute->rta_type == INET_DIAG_SHUTDOWN) shutdown = *(unsigned char *)RTA_DATA(attribute);
      }
      char queues[64];
      if (protocol == IPPROTO_TCP)
        snprintf(queues, sizeof queues, "rqueue %u wqueue %u", entry->idiag_rqueue, entry->idiag_wqueue);
      else
        snprintf(queues, sizeof queues, "waiting %s", entry->idiag_rqueue > 0 ? "yes" : "no");
      snprintf(lines[line_count++], sizeof lines[0], "%s: %s -> %s family %d state %d %s uid %u tcp_info %d shutdown %d", what, local, remote,
               entry->idiag_family, entry->idiag_state, queues, entry->idiag_uid, info_state, shutdown);
    }
  }
  close(fd);
  flush_sorted();
}

/* One TCP socket asked for by its addresses and ports (and cookie): its state, or the error. */
static void diag_lookup(const char *what, int sport, int dport, const unsigned cookie[2], unsigned found_cookie[2]) {
  struct inet_diag_req_v2 request = {.sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP, .idiag_states = ~0u};
  request.id.idiag_sport = htons(sport);
  request.id.idiag_dport = htons(dport);
  request.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
  request.id.idiag_dst[0] = htonl(INADDR_LOOPBACK);
  request.id.idiag_cookie[0] = cookie[0];
  request.id.idiag_cookie[1] = cookie[1];
  int fd = diag_request(&request, NLM_F_REQUEST, 9);
  static char buffer[8192];
  ssize_t got = recv(fd, buffer, sizeof buffer, 0);
  CHECK(got > 0);
  struct nlmsghdr *header = (struct nlmsghdr *)buffer;
  if (header->nlmsg_type == NLMSG_ERROR) {
    struct nlmsgerr *error = NLMSG_DATA(header);
    printf("lookup %s: %s\n", what, strerrorname_np(-error->error));
  } else {
    CHECK(header->nlmsg_type == SOCK_DIAG_BY_FAMILY);
    struct inet_diag_msg *entry = NLMSG_DATA(header);
    printf("lookup %s: state %d multi %d\n", what, entry->idiag_state, (header->nlmsg_flags & NLM_F_MULTI) != 0);
    if (found_cookie != NULL) memcpy(found_cookie, entry->id.idiag_cookie, sizeof entry->id.idiag_cookie);
  }
  close(fd);
}

static int tcp_listener(int family, int port, int backlog) {
  int fd = socket(family, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int one = 1;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
  if (family == AF_INET) {
    struct sockaddr_in address = in4("0.0.0.0", port);
    CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  } else {
    CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) == 0);
    struct sockaddr_in6 address = in6("::", port);
    CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  }
  CHECK(listen(fd, backlog) == 0);
  return fd;
}

static int local_port(int fd) {
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
  return ntohs(address.sin_port);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int listener = tcp_listener(AF_INET, LISTENER, 7);
  int listener6 = tcp_listener(AF_INET6, LISTENER6, 3);
  (void)listener6;
  /* A connection waiting to be accepted on the first listener. */
  int waiting = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to_listener = in4("127.0.0.1", LISTENER);
  CHECK(connect(waiting, (struct sockaddr *)&to_listener, sizeof to_listener) == 0);
  waiting_port = local_port(waiting);
  /* An accepted connection whose server has not read what came. */
  int busy = tcp_listener(AF_INET, BUSY, 1);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to_busy = in4("127.0.0.1", BUSY);
  CHECK(connect(client, (struct sockaddr *)&to_busy, sizeof to_busy) == 0);
  client_port = local_port(client);
  int server = accept(busy, NULL, NULL);
  CHECK(server >= 0);
  close(busy);
  static char bytes[UNREAD];
  CHECK(write(client, bytes, sizeof bytes) == sizeof bytes);
  CHECK(shutdown(client, SHUT_WR) == 0);
  /* UDP: one bound with a datagram waiting, one connected to it; the same over IPv6. */
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in udp_address = in4("127.0.0.1", UDP);
  CHECK(bind(udp, (struct sockaddr *)&udp_address, sizeof udp_address) == 0);
  int udp_client = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(connect(udp_client, (struct sockaddr *)&udp_address, sizeof udp_address) == 0);
  CHECK(send(udp_client, "datagram", 8, 0) == 8);
  udp_client_port = local_port(udp_client);
  int udp6 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 udp6_address = in6("::1", UDP6);
  CHECK(bind(udp6, (struct sockaddr *)&udp6_address, sizeof udp6_address) == 0);
  usleep(SETTLE_US);

  proc_table("tcp", 1);
  proc_table("tcp6", 1);
  proc_table("udp", 0);
  proc_table("udp6", 0);
  diag_dump(AF_INET, IPPROTO_TCP, "diag tcp");
  diag_dump(AF_INET6, IPPROTO_TCP, "diag tcp6");
  diag_dump(AF_INET, IPPROTO_UDP, "diag udp");
  diag_dump(AF_INET6, IPPROTO_UDP, "diag udp6");
  const unsigned any[2] = {INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE};
  unsigned cookie[2];
  diag_lookup("busy to client", BUSY, client_port, any, cookie);
  diag_lookup("busy to client by its cookie", BUSY, client_port, cookie, NULL);
  const unsigned other[2] = {cookie[0] + 1, cookie[1]};
  diag_lookup("busy to client by another cookie", BUSY, client_port, other, NULL);
  diag_lookup("the listener", LISTENER, 0, any, NULL);
  diag_lookup("a port nobody holds", 47199, 0, any, NULL);
  close(listener);
  printf("EXIT-SUCCESS\n");
  return 0;
}
