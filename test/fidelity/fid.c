/*
 * fid: the fidelity suite's workloads, one program run the same way natively
 * (between network namespaces joined by link-emulator) and under simterpose.
 * Each client mode measures its own duration on CLOCK_MONOTONIC, which is
 * virtual under simterpose, and prints one line "elapsed_s=SECONDS".
 *
 *   fid serve PORT [CONNECTIONS]   serve requests (forever, or exit after CONNECTIONS)
 *   fid connect HOST PORT          time connect() until it returns
 *   fid echo HOST PORT             a 100-byte request and its 100-byte echo, TCP_NODELAY; then
 *                                  TCP_INFO's smoothed round trip: "rtt_us=MICROSECONDS"
 *   fid two-writes HOST PORT       the same request written in two pieces, Nagle on
 *   fid fetch HOST PORT BYTES [AT] ask for BYTES, time until the last one arrives; with AT
 *                                  (a CLOCK_REALTIME date in seconds), connect at that date,
 *                                  so that clients started apart begin together
 *   fid udp-sink PORT COUNT        receive up to COUNT datagrams; print the span of their
 *                                  kernel arrival stamps: "datagrams=N span_ns=S payload=P"
 *   fid udp-burst HOST PORT COUNT  send COUNT 1472-byte datagrams back to back
 *
 * A request is REQUEST_SIZE bytes: "E" (echo it back, then read the next
 * request) or "S<bytes>" (send that many bytes); a connection closed without a request is the connect workload's.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_SIZE 100
#define FIRST_PIECE 40
#define CHUNK (64 * 1024)
#define UDP_PAYLOAD 1472 /* fills a 1500-byte MTU: 20 IP + 8 UDP header bytes */

static void die(const char *what) {
  fprintf(stderr, "fid: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void resolve(const char *host, const char *port, int type, struct sockaddr_storage *address, socklen_t *length) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = type};
  struct addrinfo *found;
  int error = getaddrinfo(host, port, &hints, &found);
  if (error != 0) {
    fprintf(stderr, "fid: resolving %s: %s\n", host, gai_strerror(error));
    exit(1);
  }
  memcpy(address, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
}

static void write_all(int fd, const char *bytes, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, bytes, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    bytes += n;
    length -= (size_t)n;
  }
}

/* Reads exactly length bytes; returns how many arrived before the end of the stream. */
static size_t read_full(int fd, char *bytes, size_t length) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = read(fd, bytes + got, length - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("read");
    }
    if (n == 0) break;
    got += (size_t)n;
  }
  return got;
}

static void serve_connection(int fd) {
  char request[REQUEST_SIZE];
  size_t got = read_full(fd, request, sizeof request);
  if (got == 0) return; /* the connect workload: nothing asked */
  if (got < sizeof request) {
    fprintf(stderr, "fid: a request of %zu bytes, %d expected\n", got, REQUEST_SIZE);
    exit(1);
  }
  while (request[0] == 'E') {
    write_all(fd, request, sizeof request);
    got = read_full(fd, request, sizeof request);
    if (got < sizeof request) return;
  }
  if (request[0] == 'S') {
    static char chunk[CHUNK];
    long long left = atoll(request + 1);
    while (left > 0) {
      size_t n = left < CHUNK ? (size_t)left : CHUNK;
      write_all(fd, chunk, n);
      left -= (long long)n;
    }
  }
  /* Wait for the client to close, so that our close never resets unread data. */
  char rest[64];
  while (read(fd, rest, sizeof rest) > 0) continue;
}

static int serve(const char *port, long connections) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  if (listen(listener, 64) < 0) die("listen");
  for (long served = 0; connections == 0 || served < connections; served++) {
    int fd = accept(listener, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) continue;
      die("accept");
    }
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
      close(listener);
      serve_connection(fd);
      _exit(0);
    }
    close(fd);
    while (waitpid(-1, NULL, WNOHANG) > 0) continue;
  }
  while (wait(NULL) > 0) continue;
  return 0;
}

static int connect_to(const char *host, const char *port) {
  struct sockaddr_storage address;
  socklen_t length;
  resolve(host, port, SOCK_STREAM, &address, &length);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&address, length) < 0) die("connect");
  return fd;
}

static void print_elapsed(double start) {
  printf("elapsed_s=%.6f\n", now_s() - start);
}

static int time_connect(const char *host, const char *port) {
  double start = now_s();
  int fd = connect_to(host, port);
  print_elapsed(start);
  close(fd);
  return 0;
}

/* Sends one request, in one write or two, and reads its echo. */
static void exchange(int fd, int two_writes) {
  char request[REQUEST_SIZE];
  memset(request, 'x', sizeof request);
  request[0] = 'E';
  if (two_writes) {
    write_all(fd, request, FIRST_PIECE);
    write_all(fd, request + FIRST_PIECE, sizeof request - FIRST_PIECE);
  } else {
    write_all(fd, request, sizeof request);
  }
  char answer[REQUEST_SIZE];
  if (read_full(fd, answer, sizeof answer) != sizeof answer) {
    fprintf(stderr, "fid: the echo ended early\n");
    exit(1);
  }
}

/*
 * A 100-byte request and its echo on a connection that already carried one
 * exchange, so that both ends are past the start of the connection (where
 * Linux acknowledges at once) and in the interactive mode of a
 * request/response protocol. In one write with TCP_NODELAY; or in two with
 * Nagle on, where the second piece waits for the first's ACK, which the
 * server delays (40 ms at least on Linux) since it has nothing to send yet.
 */
static int time_request(const char *host, const char *port, int two_writes) {
  int fd = connect_to(host, port);
  int nodelay = !two_writes;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) < 0) die("setsockopt TCP_NODELAY");
  exchange(fd, 0);
  double start = now_s();
  exchange(fd, two_writes);
  print_elapsed(start);
  /* The kernel's smoothed round trip, from the handshake and both exchanges. */
  struct tcp_info info;
  socklen_t length = sizeof info;
  if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) < 0) die("getsockopt TCP_INFO");
  printf("rtt_us=%u\n", info.tcpi_rtt);
  close(fd);
  return 0;
}

/* Sleeps until a CLOCK_REALTIME date given in seconds (none: returns at once). */
static void wait_until(const char *date) {
  if (date == NULL) return;
  double at = atof(date);
  struct timespec ts = {.tv_sec = (time_t)at, .tv_nsec = (long)((at - (double)(time_t)at) * 1e9)};
  while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR) {
  }
}

/* From the request (the connection made) to the last byte of the answer. */
static int time_fetch(const char *host, const char *port, long long bytes, const char *start_at) {
  wait_until(start_at);
  int fd = connect_to(host, port);
  double start = now_s();
  char request[REQUEST_SIZE];
  memset(request, 0, sizeof request);
  snprintf(request, sizeof request, "S%lld", bytes);
  write_all(fd, request, sizeof request);
  static char chunk[CHUNK];
  long long got = 0;
  while (got < bytes) {
    ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read");
    if (n == 0) break;
    got += n;
  }
  if (got != bytes) {
    fprintf(stderr, "fid: %lld of %lld bytes arrived\n", got, bytes);
    return 1;
  }
  print_elapsed(start);
  close(fd);
  return 0;
}

static int udp_sink(const char *port, long count) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int buffer = 64 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) < 0) die("setsockopt SO_TIMESTAMPNS");
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) die("bind");
  printf("listening\n");
  fflush(stdout);
  long received = 0;
  int64_t first_ns = 0, last_ns = 0;
  while (received < count) {
    char payload[UDP_PAYLOAD];
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
    struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    if (recvmsg(fd, &message, 0) < 0) {
      if (errno == EAGAIN) break; /* a second without datagrams after the first: the rest were lost */
      die("recvmsg");
    }
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c != NULL; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
        struct timespec stamp;
        memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
        last_ns = (int64_t)stamp.tv_sec * 1000000000LL + stamp.tv_nsec;
        if (received == 0) first_ns = last_ns;
      }
    }
    if (received++ == 0) {
      struct timeval second = {.tv_sec = 1};
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
    }
  }
  printf("datagrams=%ld span_ns=%lld payload=%d\n", received, (long long)(last_ns - first_ns), UDP_PAYLOAD);
  return 0;
}

/*
 * The whole burst in one sendmmsg call, so that it reaches the link in one
 * go: sent one by one, the datagrams of a sender another process preempted
 * (a busy machine) reached the relay with gaps, which the receiver's stamps
 * counted as a slow link.
 */
static int udp_burst(const char *host, const char *port, long count) {
  struct sockaddr_storage address;
  socklen_t length;
  resolve(host, port, SOCK_DGRAM, &address, &length);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  int buffer = 64 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buffer, sizeof buffer);
  if (connect(fd, (struct sockaddr *)&address, length) < 0) die("connect");
  static char payload[UDP_PAYLOAD];
  struct iovec iov = {.iov_base = payload, .iov_len = sizeof payload};
  struct mmsghdr *messages = calloc((size_t)count, sizeof *messages);
  if (messages == NULL) die("calloc");
  for (long i = 0; i < count; i++) messages[i].msg_hdr = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1};
  for (long sent = 0; sent < count;) {
    int n = sendmmsg(fd, messages + sent, (unsigned)(count - sent), 0);
    if (n < 0) die("sendmmsg");
    sent += n;
  }
  free(messages);
  return 0;
}

int main(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "serve") == 0 && (argc == 3 || argc == 4)) return serve(argv[2], argc == 4 ? atol(argv[3]) : 0);
  if (strcmp(mode, "connect") == 0 && argc == 4) return time_connect(argv[2], argv[3]);
  if (strcmp(mode, "echo") == 0 && argc == 4) return time_request(argv[2], argv[3], 0);
  if (strcmp(mode, "two-writes") == 0 && argc == 4) return time_request(argv[2], argv[3], 1);
  if (strcmp(mode, "fetch") == 0 && (argc == 5 || argc == 6)) return time_fetch(argv[2], argv[3], atoll(argv[4]), argc == 6 ? argv[5] : NULL);
  if (strcmp(mode, "udp-sink") == 0 && argc == 4) return udp_sink(argv[2], atol(argv[3]));
  if (strcmp(mode, "udp-burst") == 0 && argc == 5) return udp_burst(argv[2], argv[3], atol(argv[4]));
  fprintf(stderr,
          "usage: fid serve PORT [CONNECTIONS] | connect HOST PORT | echo HOST PORT | two-writes HOST PORT | fetch HOST PORT BYTES [AT]\n"
          "       | udp-sink PORT COUNT | udp-burst HOST PORT COUNT\n");
  return 2;
}
