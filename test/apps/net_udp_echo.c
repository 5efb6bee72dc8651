/* net_udp_echo server <port> <datagrams>
 * net_udp_echo client|client-connected <host> <port> <size>...
 *
 * UDP echo. The server answers each of <datagrams> datagrams with the same
 * bytes, printing its size and the sender's address (the sender's port is
 * left out: it is an ephemeral one). The client sends one datagram per
 * <size> before reading any answer, so that several wait queued at once and
 * must keep their boundaries; it then checks each answer's size, content
 * and source address. Finally it sends one 100-byte datagram and reads it
 * into a 10-byte buffer with recvmsg: 10 bytes and MSG_TRUNC, the rest is
 * dropped. So the server must expect one datagram more than sizes given.
 * `client` uses sendto/recvfrom, `client-connected` connect/send/recv. */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static unsigned char pattern(int datagram, int i) { return (unsigned char)(datagram * 31 + i); }

static int server(int port, int datagrams) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  CHECK(bind(fd, (struct sockaddr *)&address, sizeof address) == 0);
  printf("listening on udp port %d\n", port);
  fflush(stdout);
  static char buffer[65536];
  for (int i = 0; i < datagrams; i++) {
    struct sockaddr_in peer;
    socklen_t length = sizeof peer;
    ssize_t got = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&peer, &length);
    CHECK(got >= 0);
    CHECK(length == sizeof peer && peer.sin_family == AF_INET);
    printf("datagram %d: %zd bytes from %s\n", i + 1, got, inet_ntoa(peer.sin_addr));
    CHECK(sendto(fd, buffer, got, 0, (struct sockaddr *)&peer, length) == got);
  }
  CHECK(close(fd) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}

static int client(int connected, const char *host, const char *port, int count, char **sizes) {
  struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *found;
  int status = getaddrinfo(host, port, &hints, &found);
  if (status != 0) {
    printf("getaddrinfo %s: %s\n", host, gai_strerror(status));
    return 1;
  }
  struct sockaddr_in server;
  memcpy(&server, found->ai_addr, sizeof server);
  freeaddrinfo(found);

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  if (connected) CHECK(connect(fd, (struct sockaddr *)&server, sizeof server) == 0);
  static unsigned char buffer[65536];
  for (int d = 0; d < count; d++) {
    int size = atoi(sizes[d]);
    CHECK(size >= 0 && size <= (int)sizeof buffer);
    for (int i = 0; i < size; i++) buffer[i] = pattern(d, i);
    ssize_t sent = connected ? send(fd, buffer, size, 0) : sendto(fd, buffer, size, 0, (struct sockaddr *)&server, sizeof server);
    CHECK(sent == size);
  }
  printf("sent %d datagrams\n", count);
  for (int d = 0; d < count; d++) {
    struct sockaddr_in from;
    socklen_t length = sizeof from;
    ssize_t got = connected ? recv(fd, buffer, sizeof buffer, 0) : recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
    CHECK(got >= 0);
    int intact = got == atoi(sizes[d]);
    for (ssize_t i = 0; intact && i < got; i++) intact = buffer[i] == pattern(d, i);
    if (connected) {
      printf("answer %d: %zd bytes, %s\n", d + 1, got, intact ? "intact" : "DIFFERENT");
    } else {
      int from_server = from.sin_addr.s_addr == server.sin_addr.s_addr && from.sin_port == server.sin_port;
      printf("answer %d: %zd bytes, %s, from %s\n", d + 1, got, intact ? "intact" : "DIFFERENT", from_server ? "the server" : "ANOTHER ADDRESS");
    }
  }

  memset(buffer, 'x', 100);
  CHECK(sendto(fd, buffer, 100, 0, (struct sockaddr *)&server, sizeof server) == 100);
  char small[10];
  struct iovec iov = {.iov_base = small, .iov_len = sizeof small};
  struct msghdr message = {.msg_iov = &iov, .msg_iovlen = 1};
  ssize_t got = recvmsg(fd, &message, 0);
  printf("100-byte answer read into 10 bytes: %zd bytes%s\n", got, (message.msg_flags & MSG_TRUNC) ? ", MSG_TRUNC" : "");
  CHECK(close(fd) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]), atoi(argv[3]));
  if (argc >= 4 && (strcmp(argv[1], "client") == 0 || strcmp(argv[1], "client-connected") == 0))
    return client(strcmp(argv[1], "client-connected") == 0, argv[2], argv[3], argc - 4, argv + 4);
  fprintf(stderr, "usage: net_udp_echo server <port> <datagrams> | net_udp_echo client|client-connected <host> <port> <size>...\n");
  return 2;
}
