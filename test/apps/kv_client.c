/* kv_client <host> <port> <requests> [user_timeout_ms]
 *
 * The client of kv_server: sends "SET k<i> <i>" for i from 1 to
 * <requests>, one a second, each on the connection it has, and reads the
 * answer. A failure prints the call and its errno name (ETIMEDOUT,
 * ECONNRESET, ECONNREFUSED...), closes the connection, and the same request
 * is tried again a second later on a new one. Each success prints "ok <i>".
 * With [user_timeout_ms], every connection sets TCP_USER_TIMEOUT to it.
 * Ends with EXIT-SUCCESS once every request got its answer. */
#define _GNU_SOURCE /* strerrorname_np */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "net_resolve.h"

static int user_timeout;

/* A new connection to the server, or -1 after printing why not. */
static int connect_to(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  if (user_timeout > 0) CHECK(setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout) == 0);
  if (connect(fd, (struct sockaddr *)address, sizeof *address) != 0) {
    printf("connect %s\n", strerrorname_np(errno));
    close(fd);
    return -1;
  }
  return fd;
}

/* Sends the request and reads its one-line answer; 0 on success, else -1 after printing why. */
static int request(int fd, int i) {
  char line[64];
  int size = snprintf(line, sizeof line, "SET k%d %d\n", i, i);
  if (write(fd, line, size) != size) {
    printf("write %s\n", strerrorname_np(errno));
    return -1;
  }
  size_t length = 0;
  for (;;) {
    ssize_t n = read(fd, line + length, 1);
    if (n < 0) {
      printf("read %s\n", strerrorname_np(errno));
      return -1;
    }
    if (n == 0) {
      printf("read EOF\n");
      return -1;
    }
    if (line[length] == '\n') break;
    CHECK(++length < sizeof line);
  }
  line[length] = '\0';
  CHECK(strcmp(line, "OK") == 0);
  return 0;
}

int main(int argc, char **argv) {
  CHECK(argc == 4 || argc == 5);
  struct sockaddr_in address = resolve(argv[1], argv[2]);
  int requests = atoi(argv[3]);
  if (argc == 5) user_timeout = atoi(argv[4]);
  int fd = -1;
  for (int i = 1; i <= requests;) {
    if (fd < 0) fd = connect_to(&address);
    if (fd >= 0 && request(fd, i) == 0) {
      printf("ok %d\n", i);
      i++;
    } else if (fd >= 0) {
      close(fd);
      fd = -1;
    }
    fflush(stdout);
    sleep(1);
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
