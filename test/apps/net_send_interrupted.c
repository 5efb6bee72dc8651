/* net_send_interrupted server <port>
 * net_send_interrupted client <host> <port>
 *
 * A blocking send interrupted by a signal after part of its data was taken.
 * On Linux such a send returns the count taken so far: not EINTR, and not a
 * restart, whether the handler has SA_RESTART or not (tcp_sendmsg returns
 * what it copied as soon as any was). The program then sends the rest from
 * that offset, and the stream must arrive with no byte skipped or doubled.
 *
 * The client makes two connections, one after the other: the first with a
 * SIGALRM handler without SA_RESTART, the second with it. On each it makes
 * ONE blocking send of 32 MiB, far more than the socket buffers hold (its
 * SO_SNDBUF and the server's SO_RCVBUF are small), so that the send blocks
 * for room; a timer fires 0.5 s in, while the server has not read yet. The
 * server accepts each connection, waits 2 s before reading, then reads to
 * EOF and checks every byte against a pattern that depends on its offset.
 *
 * Both sides print only what is the same natively and under simterpose:
 * whether the first send was partial (not its count), the totals, and
 * whether the stream is intact (or where it first differs). */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_resolve.h"
#include "net_listen.h"

#define TOTAL (32L << 20)
#define SMALL_BUFFER 8192
#define CONNECTIONS 2
#define ALARM_MS 500
#define SERVER_WAIT_S 2

static unsigned char pattern(long i) { return (unsigned char)((i * 7 + i / 251) & 0xff); }

static int server(int port) {
  int listener = listen_on_with_buffer(port, 0, CONNECTIONS, SMALL_BUFFER);
  static unsigned char buffer[1 << 16];
  int all_intact = 1;
  for (int connection = 1; connection <= CONNECTIONS; connection++) {
    int fd = accept(listener, NULL, NULL);
    CHECK(fd >= 0);
    struct timespec wait = {SERVER_WAIT_S, 0};
    CHECK(nanosleep(&wait, NULL) == 0);
    long received = 0, first_mismatch = -1;
    for (;;) {
      ssize_t got = read(fd, buffer, sizeof buffer);
      CHECK(got >= 0);
      if (got == 0) break;
      for (ssize_t i = 0; i < got && first_mismatch < 0; i++)
        if (buffer[i] != pattern(received + i)) first_mismatch = received + i;
      received += got;
    }
    CHECK(close(fd) == 0);
    int intact = received == TOTAL && first_mismatch < 0;
    if (intact)
      printf("connection %d: received %ld bytes, stream intact\n", connection, received);
    else if (first_mismatch >= 0)
      printf("connection %d: received %ld bytes, first mismatch at offset %ld\n", connection, received, first_mismatch);
    else
      printf("connection %d: received %ld bytes, expected %ld\n", connection, received, TOTAL);
    all_intact &= intact;
  }
  CHECK(close(listener) == 0);
  CHECK(all_intact);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static volatile sig_atomic_t alarms;

static void on_alarm(int signo) {
  (void)signo;
  alarms++;
}

static void install_alarm_handler(int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_alarm;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
}

/* One connection: the interrupted send, then the rest from where it says it
 * stopped. Returns 1 when the first send was partial, as on Linux. */
static int send_interrupted(const char *label, int flags, const struct sockaddr_in *server, const unsigned char *data) {
  install_alarm_handler(flags);
  alarms = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int small = SMALL_BUFFER;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small) == 0);
  CHECK(connect(fd, (const struct sockaddr *)server, sizeof *server) == 0);

  struct itimerval timer = {{0, 0}, {ALARM_MS / 1000, (ALARM_MS % 1000) * 1000}};
  CHECK(setitimer(ITIMER_REAL, &timer, NULL) == 0);
  errno = 0;
  ssize_t first = send(fd, data, TOTAL, 0);
  int first_errno = errno;
  const char *outcome = first > 0 && first < TOTAL ? "partial"
                        : first == TOTAL           ? "all of it"
                        : first == 0               ? "0 bytes"
                        : first_errno == EINTR     ? "EINTR"
                                                   : strerror(first_errno);
  printf("%s: first send: %s, handler ran %d time(s)\n", label, outcome, (int)alarms);

  long sent = first > 0 ? first : 0;
  while (sent < TOTAL) {
    ssize_t n = send(fd, data + sent, TOTAL - sent, 0);
    if (n < 0 && errno == EINTR) continue;
    CHECK(n > 0);
    sent += n;
  }
  printf("%s: sent %ld bytes in all\n", label, sent);
  CHECK(close(fd) == 0);
  install_alarm_handler(0);
  return first > 0 && first < TOTAL && alarms == 1;
}

static int client(const char *host, const char *port) {
  signal(SIGPIPE, SIG_IGN);
  struct sockaddr_in address = resolve(host, port);
  unsigned char *data = malloc(TOTAL);
  CHECK(data != NULL);
  for (long i = 0; i < TOTAL; i++) data[i] = pattern(i);
  int as_on_linux = send_interrupted("no SA_RESTART", 0, &address, data);
  as_on_linux &= send_interrupted("SA_RESTART", SA_RESTART, &address, data);
  free(data);
  CHECK(as_on_linux);
  printf("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]));
  if (argc == 4 && strcmp(argv[1], "client") == 0) return client(argv[2], argv[3]);
  fprintf(stderr, "usage: net_send_interrupted server <port>\n       net_send_interrupted client <host> <port>\n");
  return 2;
}
