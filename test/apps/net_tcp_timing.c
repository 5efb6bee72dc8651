/* net_tcp_timing serve <port>
 * net_tcp_timing connect|echo|two-writes <host> <port>
 * net_tcp_timing fetch <host> <port> <bytes>
 *
 * What TCP itself costs, as a program sees it. The server accepts one
 * connection and answers it: a request starting with 'E' is echoed (100
 * bytes), one starting with 'S' asks for that many bytes back; it reads
 * until the client closes. Both print EXIT-SUCCESS at the end. The client measures, on CLOCK_MONOTONIC:
 *   connect     connect() alone (the handshake's round trip);
 *   echo        a 100-byte request and its echo, TCP_NODELAY, on a
 *               connection that already carried one exchange (so that
 *               both ends are past the start of the connection);
 *   two-writes  the same with Nagle's algorithm on and the request written
 *               in two pieces (40 and 60 bytes): the second piece waits for
 *               the first one's ACK, which the server delays;
 *   fetch       from writing the request to the last byte of the answer.
 * and prints "<what> took <seconds>". */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "write_fully.h"
#include "net_listen.h"
#include "net_resolve.h"

#define REQUEST 100
#define FIRST_PIECE 40
#define CHUNK (64 * 1024)

static double now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Reads up to `length` bytes, fewer only at EOF; returns how many came. */
static size_t receive_all(int fd, char *bytes, size_t length) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = read(fd, bytes + got, length - got);
    CHECK(n >= 0);
    if (n == 0) break;
    got += (size_t)n;
  }
  return got;
}

static int serve(int port) {
  int listener = listen_on(port, 0, 1);
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  char request[REQUEST];
  while (receive_all(fd, request, REQUEST) == REQUEST) {
    if (request[0] == 'E') write_fully(fd, request, REQUEST);
    if (request[0] == 'S') {
      static char chunk[CHUNK];
      for (long left = atol(request + 1); left > 0; left -= CHUNK) write_fully(fd, chunk, left < CHUNK ? (size_t)left : CHUNK);
    }
  }
  close(fd);
  close(listener);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static int connect_to(const char *host, const char *port) {
  struct sockaddr_in address = resolve(host, port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0);
  return fd;
}

static void exchange(int fd, int pieces) {
  char request[REQUEST];
  memset(request, 'x', sizeof request);
  request[0] = 'E';
  if (pieces == 2) {
    write_fully(fd, request, FIRST_PIECE);
    write_fully(fd, request + FIRST_PIECE, REQUEST - FIRST_PIECE);
  } else {
    write_fully(fd, request, REQUEST);
  }
  char answer[REQUEST];
  CHECK(receive_all(fd, answer, REQUEST) == REQUEST);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  CHECK(argc >= 3);
  const char *mode = argv[1];
  if (strcmp(mode, "serve") == 0) return serve(atoi(argv[2]));
  CHECK(argc >= 4);
  double start = now();
  int fd = connect_to(argv[2], argv[3]);
  if (strcmp(mode, "connect") == 0) {
    printf("connect took %.9f\n", now() - start);
  } else if (strcmp(mode, "echo") == 0 || strcmp(mode, "two-writes") == 0) {
    int nodelay = strcmp(mode, "echo") == 0;
    CHECK(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay) == 0);
    exchange(fd, 1);
    start = now();
    exchange(fd, nodelay ? 1 : 2);
    printf("%s took %.9f\n", mode, now() - start);
  } else {
    CHECK(strcmp(mode, "fetch") == 0 && argc == 5);
    char request[REQUEST] = {0};
    snprintf(request, sizeof request, "S%s", argv[4]);
    start = now();
    write_fully(fd, request, REQUEST);
    static char chunk[CHUNK];
    long expected = atol(argv[4]), got = 0;
    for (ssize_t n; got < expected && (n = read(fd, chunk, sizeof chunk)) > 0;) got += n;
    CHECK(got == expected);
    printf("fetch took %.9f\n", now() - start);
  }
  close(fd);
  printf("EXIT-SUCCESS\n");
  return 0;
}
