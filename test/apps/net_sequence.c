/* net_sequence recv <port> <bytes>
 * net_sequence send <host> <port> <bytes>
 *
 * A TCP stream whose every byte says where it belongs: the sender writes
 * bytes whose value is their position modulo 251 (a prime, so no power-of-two
 * write or segment size lines up with it), in writes of 64 KiB, then closes;
 * the receiver accepts one connection and checks each byte it reads against
 * its position, up to EOF. Both print their host's name (uname) at the start
 * and at the end, so that a test sees a process that migrated meanwhile. */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

#define WRITE_SIZE 65536

static void print_host(const char *when) {
  struct utsname name;
  CHECK(uname(&name) == 0);
  printf("host %s %s\n", when, name.nodename);
  fflush(stdout);
}

static int receiver(int port, long expected) {
  print_host("at start");
  int listener = listen_on(port, 0, 1);
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  static unsigned char buffer[WRITE_SIZE];
  long total = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    CHECK(got >= 0);
    if (got == 0) break;
    for (ssize_t i = 0; i < got; i++) {
      if (buffer[i] != (unsigned char)((total + i) % 251)) {
        printf("byte %ld is %d, not %d\n", total + i, buffer[i], (int)((total + i) % 251));
        return 1;
      }
    }
    total += got;
  }
  CHECK(close(fd) == 0);
  CHECK(close(listener) == 0);
  printf("received %ld bytes in order\n", total);
  print_host("at end");
  CHECK(total == expected);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static int sender(const char *host, const char *port, long total) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, found->ai_addr, found->ai_addrlen) == 0);
  freeaddrinfo(found);
  static unsigned char buffer[WRITE_SIZE];
  long sent = 0;
  while (sent < total) {
    long n = total - sent < WRITE_SIZE ? total - sent : WRITE_SIZE;
    for (long i = 0; i < n; i++) buffer[i] = (unsigned char)((sent + i) % 251);
    ssize_t written = write(fd, buffer, n);
    CHECK(written > 0);
    sent += written;
  }
  CHECK(close(fd) == 0);
  printf("sent %ld bytes\n", sent);
  printf("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "recv") == 0) return receiver(atoi(argv[2]), atol(argv[3]));
  if (argc == 5 && strcmp(argv[1], "send") == 0) return sender(argv[2], argv[3], atol(argv[4]));
  fprintf(stderr, "usage: net_sequence recv <port> <bytes> | net_sequence send <host> <port> <bytes>\n");
  return 2;
}
