/* ipv6_sockets
 *
 * AF_INET6 sockets on one host, over ::1 and 127.0.0.1: what bind,
 * connect, accept, getsockname, getpeername, sendto, recvfrom and recvmsg
 * show (sockaddr_in6, IPv4 clients of a dual-stack listener as
 * ::ffff:127.0.0.1), IPV6_V6ONLY and how port sharing follows it, and the
 * errnos of addresses of the wrong family or length. Runs natively and under
 * simterpose: the outputs must match. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "net_address.h"

static const char *errno_name(int error) {
  switch (error) {
  case 0: return "ok";
  case EINVAL: return "EINVAL";
  case EAFNOSUPPORT: return "EAFNOSUPPORT";
  case EADDRINUSE: return "EADDRINUSE";
  case ECONNREFUSED: return "ECONNREFUSED";
  case ENETUNREACH: return "ENETUNREACH";
  case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
  default: return strerror(error);
  }
}

/* The result of a call as a word: ok, or its errno's name. */
static const char *outcome(int result) { return errno_name(result < 0 ? errno : 0); }

/* "family address" of a sockaddr as getsockname and friends wrote it, with its length. */
static void print_address(const char *label, const struct sockaddr_storage *address, socklen_t length) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (address->ss_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)address)->sin6_addr, text, sizeof text);
  else if (address->ss_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)address)->sin_addr, text, sizeof text);
  printf("%s: family %s, %s, length %u\n", label, address->ss_family == AF_INET6 ? "AF_INET6" : "AF_INET", text, (unsigned)length);
}

static int port_of(const struct sockaddr_storage *address) {
  return ntohs(address->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)address)->sin6_port
                                              : ((const struct sockaddr_in *)address)->sin_port);
}

static int local_port(int fd) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
  return port_of(&address);
}

static void print_local(const char *label, int fd) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
  print_address(label, &address, length);
}

static void print_peer(const char *label, int fd) {
  struct sockaddr_storage address;
  socklen_t length = sizeof address;
  CHECK(getpeername(fd, (struct sockaddr *)&address, &length) == 0);
  print_address(label, &address, length);
}

static int listener(const char *address, int v6only) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only) == 0);
  struct sockaddr_in6 wanted = in6(address, 0);
  CHECK(bind(fd, (struct sockaddr *)&wanted, sizeof wanted) == 0);
  CHECK(listen(fd, 8) == 0);
  return fd;
}

/* Accepts one connection, printing the peer accept gave and the accepted socket's own address. */
static int accept_one(const char *label, int server, int client) {
  struct sockaddr_storage peer;
  socklen_t length = sizeof peer;
  int fd = accept(server, (struct sockaddr *)&peer, &length);
  CHECK(fd >= 0);
  char text[64];
  snprintf(text, sizeof text, "%s peer", label);
  print_address(text, &peer, length);
  printf("%s peer port is the client's: %s\n", label, port_of(&peer) == local_port(client) ? "yes" : "no");
  snprintf(text, sizeof text, "%s accepted socket", label);
  print_local(text, fd);
  return fd;
}

static void stream_over_loopback(void) {
  int fd = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int domain = 0, v6only = -1;
  socklen_t size = sizeof domain;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &size) == 0);
  size = sizeof v6only;
  CHECK(getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &size) == 0);
  printf("SO_DOMAIN is AF_INET6: %s, IPV6_V6ONLY %d\n", domain == AF_INET6 ? "yes" : "no", v6only);
  print_local("unbound", fd);

  struct sockaddr_in6 loopback = in6("::1", 0);
  struct sockaddr_in ipv4 = in4("127.0.0.1", 0);
  printf("bind sockaddr_in: %s\n", outcome(bind(fd, (struct sockaddr *)&ipv4, sizeof ipv4)));
  struct sockaddr_in6 wrong_family = loopback;
  wrong_family.sin6_family = AF_INET;
  printf("bind AF_INET in a sockaddr_in6: %s\n", outcome(bind(fd, (struct sockaddr *)&wrong_family, sizeof wrong_family)));
  printf("bind 20 bytes: %s\n", outcome(bind(fd, (struct sockaddr *)&loopback, 20)));
  printf("bind RFC 2133's 24 bytes: %s\n", outcome(bind(fd, (struct sockaddr *)&loopback, 24)));
  print_local("bound", fd);
  printf("IPV6_V6ONLY once bound: %s\n", outcome(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &(int){1}, sizeof(int))));
  CHECK(listen(fd, 8) == 0);
  int port = local_port(fd);

  int client = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(client >= 0);
  struct sockaddr_in to4 = in4("127.0.0.1", port);
  printf("connect sockaddr_in: %s\n", outcome(connect(client, (struct sockaddr *)&to4, sizeof to4)));
  struct sockaddr_in6 to = in6("::1", port);
  struct sockaddr_in6 to_wrong = to;
  to_wrong.sin6_family = AF_INET;
  printf("connect AF_INET in a sockaddr_in6: %s\n", outcome(connect(client, (struct sockaddr *)&to_wrong, sizeof to_wrong)));
  printf("connect [::1]: %s\n", outcome(connect(client, (struct sockaddr *)&to, sizeof to)));
  print_local("client", client);
  print_peer("client's peer", client);
  int accepted = accept_one("::1", fd, client);
  CHECK(write(client, "ping", 4) == 4);
  char buffer[16] = {0};
  CHECK(read(accepted, buffer, sizeof buffer) == 4);
  printf("server read %s\n", buffer);
  close(accepted);
  close(client);

  /* connect to :: reaches this host's ::1. */
  client = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 any = in6("::", port);
  printf("connect [::]: %s\n", outcome(connect(client, (struct sockaddr *)&any, sizeof any)));
  print_peer("peer of a connect to [::]", client);
  close(accept(fd, NULL, NULL));
  close(client);
  close(fd);
}

static void dual_stack(void) {
  int server = listener("::", 0);
  int port = local_port(server);
  print_local("dual-stack listener", server);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = in4("127.0.0.1", port);
  printf("IPv4 connect to the dual-stack listener: %s\n", outcome(connect(client, (struct sockaddr *)&to, sizeof to)));
  close(accept_one("IPv4 client", server, client));
  close(client);

  /* An AF_INET6 client reaching IPv4 through a mapped address. */
  client = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 mapped = in6("::ffff:127.0.0.1", port);
  printf("connect [::ffff:127.0.0.1]: %s\n", outcome(connect(client, (struct sockaddr *)&mapped, sizeof mapped)));
  print_local("mapped client", client);
  close(accept_one("mapped client", server, client));
  close(client);

  int v4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in same_port = in4("0.0.0.0", port);
  printf("AF_INET bind to the dual-stack listener's port: %s\n", outcome(bind(v4, (struct sockaddr *)&same_port, sizeof same_port)));
  close(v4);
  close(server);
}

static void ipv6_only(void) {
  int server = listener("::", 1);
  int port = local_port(server);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in to = in4("127.0.0.1", port);
  printf("IPv4 connect to an IPv6-only listener: %s\n", outcome(connect(client, (struct sockaddr *)&to, sizeof to)));
  close(client);
  int v4 = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in same_port = in4("0.0.0.0", port);
  printf("AF_INET bind to the IPv6-only listener's port: %s\n", outcome(bind(v4, (struct sockaddr *)&same_port, sizeof same_port)));
  close(v4);

  int only = socket(AF_INET6, SOCK_STREAM, 0);
  CHECK(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &(int){1}, sizeof(int)) == 0);
  struct sockaddr_in6 mapped = in6("::ffff:127.0.0.1", port);
  printf("IPv6-only connect to a mapped address: %s\n", outcome(connect(only, (struct sockaddr *)&mapped, sizeof mapped)));
  struct sockaddr_in6 mapped_any = in6("::ffff:0.0.0.0", 0);
  printf("IPv6-only bind to a mapped address: %s\n", outcome(bind(only, (struct sockaddr *)&mapped_any, sizeof mapped_any)));
  close(only);
  close(server);
}

static void datagrams(void) {
  int receiver = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 any = in6("::", 0);
  CHECK(bind(receiver, (struct sockaddr *)&any, sizeof any) == 0);
  int port = local_port(receiver);

  int sender = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 to = in6("::1", port);
  printf("sendto [::1]: %s\n", outcome(sendto(sender, "six", 3, 0, (struct sockaddr *)&to, sizeof to)));
  struct sockaddr_in6 no_port = in6("::1", 0);
  printf("sendto port 0: %s\n", outcome(sendto(sender, "x", 1, 0, (struct sockaddr *)&no_port, sizeof no_port)));
  struct sockaddr_in6 odd = to;
  odd.sin6_family = AF_UNIX;
  printf("sendto AF_UNIX: %s\n", outcome(sendto(sender, "x", 1, 0, (struct sockaddr *)&odd, sizeof odd)));
  printf("sendto 20 bytes: %s\n", outcome(sendto(sender, "x", 1, 0, (struct sockaddr *)&to, 20)));
  char buffer[16] = {0};
  struct sockaddr_storage from;
  socklen_t length = sizeof from;
  CHECK(recvfrom(receiver, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length) == 3);
  printf("received %s\n", buffer);
  print_address("from", &from, length);
  printf("from the sender's port: %s\n", port_of(&from) == local_port(sender) ? "yes" : "no");

  /* An AF_INET sockaddr from an AF_INET6 socket goes out over IPv4. */
  struct sockaddr_in to4 = in4("127.0.0.1", port);
  printf("sendto sockaddr_in: %s\n", outcome(sendto(sender, "four", 4, 0, (struct sockaddr *)&to4, sizeof to4)));
  struct iovec vector = {.iov_base = buffer, .iov_len = sizeof buffer};
  struct msghdr header = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1};
  memset(buffer, 0, sizeof buffer);
  CHECK(recvmsg(receiver, &header, 0) == 4);
  printf("received %s\n", buffer);
  print_address("recvmsg from", &from, header.msg_namelen);

  int v4 = socket(AF_INET, SOCK_DGRAM, 0);
  printf("IPv4 sendto the dual-stack socket: %s\n", outcome(sendto(v4, "v4", 2, 0, (struct sockaddr *)&to4, sizeof to4)));
  length = sizeof from;
  memset(buffer, 0, sizeof buffer);
  CHECK(recvfrom(receiver, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length) == 2);
  print_address("IPv4 sender", &from, length);

  int only = socket(AF_INET6, SOCK_DGRAM, 0);
  CHECK(setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &(int){1}, sizeof(int)) == 0);
  printf("IPv6-only sendto sockaddr_in: %s\n", outcome(sendto(only, "x", 1, 0, (struct sockaddr *)&to4, sizeof to4)));
  printf("IPv6-only connect sockaddr_in: %s\n", outcome(connect(only, (struct sockaddr *)&to4, sizeof to4)));
  printf("connect sockaddr_in: %s\n", outcome(connect(sender, (struct sockaddr *)&to4, sizeof to4)));
  print_peer("peer of a UDP connect to sockaddr_in", sender);
  close(only);
  close(v4);
  close(sender);
  close(receiver);
}

int main(void) {
  stream_over_loopback();
  dual_stack();
  ipv6_only();
  datagrams();
  printf("EXIT-SUCCESS\n");
  return 0;
}
