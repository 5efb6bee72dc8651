/* ipv6_exchange server <port> | client <host> <port>
 *
 * Two hosts talking IPv6. The server listens on [::]:<port> over TCP (a
 * dual-stack socket) and UDP, echoes two connections, then one datagram,
 * printing each peer's address. The client resolves <host> with
 * getaddrinfo for AF_INET6 and for AF_UNSPEC, connects over IPv6, then over
 * IPv4 to the same server socket, then sends a datagram over IPv6. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static const char *text_of(const struct sockaddr *address, char *out, size_t size) {
  const void *bytes = address->sa_family == AF_INET6 ? (const void *)&((const struct sockaddr_in6 *)address)->sin6_addr
                                                     : (const void *)&((const struct sockaddr_in *)address)->sin_addr;
  CHECK(inet_ntop(address->sa_family, bytes, out, size) != NULL);
  return out;
}

/* The first address getaddrinfo gives for `host` in `family`, into `out`. */
static void resolve(const char *host, const char *port, int family, struct sockaddr_storage *out, socklen_t *length) {
  struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    exit(1);
  }
  memcpy(out, found->ai_addr, found->ai_addrlen);
  *length = found->ai_addrlen;
  freeaddrinfo(found);
}

static void exchange(int fd, const char *message) {
  size_t length = strlen(message);
  CHECK(write(fd, message, length) == (ssize_t)length);
  char echo[64] = {0};
  CHECK(read(fd, echo, sizeof echo - 1) == (ssize_t)length);
  printf("echoed: %s\n", echo);
}

static void client(const char *host, const char *port) {
  struct sockaddr_storage six, four, any;
  socklen_t six_length, four_length, any_length;
  char text[INET6_ADDRSTRLEN];
  resolve(host, port, AF_INET6, &six, &six_length);
  printf("AF_INET6 address of %s: %s\n", host, text_of((struct sockaddr *)&six, text, sizeof text));
  resolve(host, port, AF_INET, &four, &four_length);
  resolve(host, port, AF_UNSPEC, &any, &any_length);
  printf("first AF_UNSPEC address of %s: %s\n", host, text_of((struct sockaddr *)&any, text, sizeof text));

  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(connect(fd, (struct sockaddr *)&six, six_length) == 0);
  struct sockaddr_storage own;
  socklen_t own_length = sizeof own;
  CHECK(getsockname(fd, (struct sockaddr *)&own, &own_length) == 0);
  printf("connected over IPv6 from %s\n", text_of((struct sockaddr *)&own, text, sizeof text));
  exchange(fd, "over IPv6");
  close(fd);

  fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(fd, (struct sockaddr *)&four, four_length) == 0);
  exchange(fd, "over IPv4");
  close(fd);

  fd = socket(AF_INET6, SOCK_DGRAM, 0);
  CHECK(sendto(fd, "a datagram", 10, 0, (struct sockaddr *)&six, six_length) == 10);
  char echo[64] = {0};
  struct sockaddr_storage from;
  socklen_t from_length = sizeof from;
  CHECK(recvfrom(fd, echo, sizeof echo - 1, 0, (struct sockaddr *)&from, &from_length) == 10);
  printf("datagram echoed from %s: %s\n", text_of((struct sockaddr *)&from, text, sizeof text), echo);
  close(fd);
}

static void server(int port) {
  struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT};
  int listener = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) == 0);
  CHECK(bind(listener, (struct sockaddr *)&any, sizeof any) == 0);
  CHECK(listen(listener, 4) == 0);
  int datagrams = socket(AF_INET6, SOCK_DGRAM, 0);
  CHECK(bind(datagrams, (struct sockaddr *)&any, sizeof any) == 0);
  printf("listening\n");
  fflush(stdout);
  char text[INET6_ADDRSTRLEN];
  for (int i = 0; i < 2; i++) {
    struct sockaddr_storage peer;
    socklen_t length = sizeof peer;
    int fd = accept(listener, (struct sockaddr *)&peer, &length);
    CHECK(fd >= 0);
    char message[64] = {0};
    ssize_t got = read(fd, message, sizeof message - 1);
    CHECK(got > 0);
    printf("tcp from %s: %s\n", text_of((struct sockaddr *)&peer, text, sizeof text), message);
    CHECK(write(fd, message, got) == got);
    close(fd);
  }
  struct sockaddr_storage from;
  socklen_t length = sizeof from;
  char message[64] = {0};
  ssize_t got = recvfrom(datagrams, message, sizeof message - 1, 0, (struct sockaddr *)&from, &length);
  CHECK(got > 0);
  printf("udp from %s: %s\n", text_of((struct sockaddr *)&from, text, sizeof text), message);
  CHECK(sendto(datagrams, message, got, 0, (struct sockaddr *)&from, length) == got);
  close(datagrams);
  close(listener);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) server(atoi(argv[2]));
  else if (argc == 4 && strcmp(argv[1], "client") == 0) client(argv[2], argv[3]);
  else {
    fprintf(stderr, "usage: ipv6_exchange server <port> | client <host> <port>\n");
    return 2;
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
