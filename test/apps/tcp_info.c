/* getsockopt(TCP_INFO) through a connection's life, on the loopback, in both
 * families: the states, the counters of bytes and retransmissions, what a
 * socket with no connection and a listener report, and how much of the
 * struct a short buffer gets. Only what the real kernel gives alike on any
 * loopback is printed: segment counts, windows and round trips depend on
 * the interface (GSO, MTU) and on the machine's sysctls and are left out. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "write_fully.h"
#include "net_address.h"

#define PAYLOAD 100000
/* Time for what is under way on the loopback to arrive and be acknowledged. */
#define SETTLE_US 50000

static int family;

static socklen_t info_of(int fd, struct tcp_info *info) {
  memset(info, 0xAA, sizeof *info);
  socklen_t length = sizeof *info;
  CHECK(getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &length) == 0);
  return length;
}

/* What any socket reports, whatever its state. */
static void show(const char *stage, int fd) {
  struct tcp_info t;
  socklen_t length = info_of(fd, &t);
  printf("%s: length %s state %u ca_state %u options %u unacked %u lost %u retrans %u total_retrans %u ssthresh %u"
         " bytes_acked %llu bytes_received %llu bytes_sent %llu bytes_retrans %llu notsent %u max_pacing %llx\n",
         stage, length >= sizeof t ? "full" : "short", t.tcpi_state, t.tcpi_ca_state, t.tcpi_options, t.tcpi_unacked, t.tcpi_lost,
         t.tcpi_retrans, t.tcpi_total_retrans, t.tcpi_snd_ssthresh, (unsigned long long)t.tcpi_bytes_acked,
         (unsigned long long)t.tcpi_bytes_received, (unsigned long long)t.tcpi_bytes_sent, (unsigned long long)t.tcpi_bytes_retrans,
         t.tcpi_notsent_bytes, (unsigned long long)t.tcpi_max_pacing_rate);
}

/* What tcp_init_sock leaves in a socket that never connected. */
static void show_unconnected(const char *stage, int fd) {
  struct tcp_info t;
  info_of(fd, &t);
  printf("%s: state %u rto %u snd_mss %u rttvar %u snd_cwnd %u min_rtt %x pacing %llx\n", stage, t.tcpi_state, t.tcpi_rto, t.tcpi_snd_mss,
         t.tcpi_rttvar, t.tcpi_snd_cwnd, t.tcpi_min_rtt, (unsigned long long)t.tcpi_pacing_rate);
}

/* A listener reports its accept queue and its backlog. */
static void show_listener(const char *stage, int fd) {
  struct tcp_info t;
  info_of(fd, &t);
  printf("%s: state %u queued %u backlog %u snd_cwnd %u rto %u\n", stage, t.tcpi_state, t.tcpi_unacked, t.tcpi_sacked, t.tcpi_snd_cwnd,
         t.tcpi_rto);
}

static int stream_socket(int flags) {
  int fd = socket(family, SOCK_STREAM | flags, 0);
  CHECK(fd >= 0);
  return fd;
}

static void loopback(struct sockaddr_storage *address, socklen_t *length, int port) {
  memset(address, 0, sizeof *address);
  if (family == AF_INET) {
    struct sockaddr_in v4 = in4("127.0.0.1", port);
    memcpy(address, &v4, sizeof v4);
    *length = sizeof v4;
  } else {
    struct sockaddr_in6 v6 = in6("::1", port);
    memcpy(address, &v6, sizeof v6);
    *length = sizeof v6;
  }
}

static int listener(int backlog, struct sockaddr_storage *address, socklen_t *length) {
  int fd = stream_socket(0);
  loopback(address, length, 0);
  CHECK(bind(fd, (struct sockaddr *)address, *length) == 0);
  CHECK(getsockname(fd, (struct sockaddr *)address, length) == 0);
  CHECK(listen(fd, backlog) == 0);
  return fd;
}

static void read_exactly(int fd, char *bytes, size_t length) {
  while (length > 0) {
    ssize_t n = read(fd, bytes, length);
    CHECK(n > 0);
    bytes += n;
    length -= (size_t)n;
  }
}

/* Bytes one way, one back, then each end's FIN in turn. */
static void lifecycle(void) {
  int fresh = stream_socket(0);
  show("fresh", fresh);
  show_unconnected("fresh", fresh);
  close(fresh);

  struct sockaddr_storage address;
  socklen_t length;
  int server = listener(4, &address, &length);
  show_listener("listening", server);
  int client = stream_socket(0);
  CHECK(connect(client, (struct sockaddr *)&address, length) == 0);
  usleep(SETTLE_US);
  show_listener("one waiting", server);
  int accepted = accept(server, NULL, NULL);
  CHECK(accepted >= 0);
  show("client connected", client);
  show("server accepted", accepted);

  static char data[PAYLOAD];
  write_fully(client, data, sizeof data);
  read_exactly(accepted, data, sizeof data);
  write_fully(accepted, "k", 1);
  read_exactly(client, data, 1);
  usleep(SETTLE_US);
  show("client after", client);
  show("server after", accepted);

  CHECK(shutdown(client, SHUT_WR) == 0);
  char byte;
  CHECK(read(accepted, &byte, 1) == 0);
  usleep(SETTLE_US);
  show("client shut", client);
  show("server at end of stream", accepted);
  CHECK(shutdown(accepted, SHUT_WR) == 0);
  CHECK(read(client, &byte, 1) == 0);
  usleep(SETTLE_US);
  show("client both shut", client);
  show("server both shut", accepted);

  /* A short buffer gets the struct's first bytes, an empty one none. */
  unsigned char prefix[8];
  socklen_t room = sizeof prefix;
  CHECK(getsockopt(client, IPPROTO_TCP, TCP_INFO, prefix, &room) == 0);
  printf("8-byte buffer: length %u state %u\n", room, prefix[0]);
  room = 0;
  CHECK(getsockopt(client, IPPROTO_TCP, TCP_INFO, prefix, &room) == 0);
  printf("empty buffer: length %u\n", room);
  room = (socklen_t)-1;
  int result = getsockopt(client, IPPROTO_TCP, TCP_INFO, prefix, &room);
  printf("negative length: %d %s\n", result, result < 0 ? strerror(errno) : "");
  close(client);
  close(accepted);
  close(server);
}

/* A connection reset by a peer that closed with bytes unread: CLOSE. */
static void reset(void) {
  struct sockaddr_storage address;
  socklen_t length;
  int server = listener(4, &address, &length);
  int client = stream_socket(0);
  CHECK(connect(client, (struct sockaddr *)&address, length) == 0);
  int accepted = accept(server, NULL, NULL);
  CHECK(accepted >= 0);
  write_fully(client, "unread", 6);
  usleep(SETTLE_US);
  close(accepted);
  usleep(SETTLE_US);
  show("reset", client);
  close(client);
  close(server);
}

/* A SYN a full accept queue leaves unanswered: the client stays in SYN_SENT. */
static void syn_sent(void) {
  struct sockaddr_storage address;
  socklen_t length;
  int server = listener(0, &address, &length);
  int first = stream_socket(0);
  CHECK(connect(first, (struct sockaddr *)&address, length) == 0);
  int second = stream_socket(SOCK_NONBLOCK);
  CHECK(connect(second, (struct sockaddr *)&address, length) < 0 && errno == EINPROGRESS);
  usleep(SETTLE_US);
  show_unconnected("waiting for room", second);
  show_listener("full", server);
  close(second);
  close(first);
  close(server);
}

/* TCP_INFO is TCP's: a UDP socket refuses the level. */
static void not_tcp(void) {
  int fd = socket(family, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  struct tcp_info t;
  socklen_t length = sizeof t;
  int result = getsockopt(fd, IPPROTO_TCP, TCP_INFO, &t, &length);
  printf("udp: %d %s\n", result, result < 0 ? strerror(errno) : "");
  close(fd);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  int families[] = {AF_INET, AF_INET6};
  for (unsigned i = 0; i < sizeof families / sizeof families[0]; i++) {
    family = families[i];
    printf("== %s\n", family == AF_INET ? "AF_INET" : "AF_INET6");
    lifecycle();
    reset();
    syn_sent();
    not_tcp();
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
