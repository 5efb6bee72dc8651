/* Socket calls made with mistakes (bad buffers, calls on the wrong kind of
 * socket, calls after the connection ended, arguments Linux checks in an
 * order of its own), printed so that a native run
 * and a run under simterpose can be compared line for line: each call's
 * result or errno, and afterwards what the peer can read, which shows that
 * a failed call moved no bytes. Raw syscalls: glibc's wrappers would check
 * some arguments before the kernel sees them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "check.h"
#include "net_listen.h"

/* A call's result, or its errno's name. */
static void report(const char *what, long result) {
  if (result < 0) printf("%s: -1 %s\n", what, strerrorname_np(errno));
  else printf("%s: %ld\n", what, result);
}

/* A page the program may not touch: an address in user space that faults. */
static char *unmapped;
/* A page it may read and write. */
static char *page;

/* A connected pair of TCP sockets over the loopback: ends[0] connected, ends[1] accepted. */
static void tcp_pair(int ends[2]) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  ends[0] = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(ends[0] >= 0);
  CHECK(connect(ends[0], (struct sockaddr *)&address, sizeof address) == 0);
  ends[1] = accept(listener, NULL, NULL);
  CHECK(ends[1] >= 0);
  close(listener);
}

/* Waits until `fd` is readable, or a second passed: what was sent has landed. */
static void settle(int fd) {
  struct pollfd entry = {.fd = fd, .events = POLLIN};
  poll(&entry, 1, 1000);
}

/* What a non-blocking read of `fd` finds now. */
static void report_readable(const char *what, int fd) {
  char data[512];
  long n = syscall(SYS_recvfrom, fd, data, sizeof data, MSG_DONTWAIT, NULL, NULL);
  if (n < 0) report(what, n);
  else printf("%s: %ld bytes \"%.*s\"\n", what, n, (int)n, data);
}

/*
 * Sends whose buffer faults move no bytes: the peer finds nothing, and
 * bytes sent right after arrive alone (under address translation the
 * virtual connection once counted bytes the kernel never got, and the
 * receiver waited for them).
 */
static void faulting_sends(void) {
  int ends[2];
  tcp_pair(ends);
  report("send from an unmapped page", syscall(SYS_sendto, ends[0], unmapped, 100, MSG_DONTWAIT, NULL, 0));
  report("sendto of length -1 from an unmapped page", syscall(SYS_sendto, ends[0], unmapped, -1L, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0));
  report("write from an unmapped page", syscall(SYS_write, ends[0], unmapped, 64));
  struct iovec all_bad[2] = {{unmapped, 10}, {unmapped + 10, 20}};
  report("writev of unmapped vectors", syscall(SYS_writev, ends[0], all_bad, 2));
  struct msghdr message = {.msg_iov = all_bad, .msg_iovlen = 2};
  report("sendmsg of unmapped vectors", syscall(SYS_sendmsg, ends[0], &message, MSG_DONTWAIT));
  report_readable("peer reads", ends[1]);
  memcpy(page, "good", 4);
  struct iovec good_then_bad[2] = {{page, 4}, {unmapped, 20}};
  report("writev of a good vector then an unmapped one", syscall(SYS_writev, ends[0], good_then_bad, 2));
  settle(ends[1]);
  report_readable("peer reads", ends[1]);
  report("send", syscall(SYS_sendto, ends[0], "after", 5, 0, NULL, 0));
  settle(ends[1]);
  report_readable("peer reads", ends[1]);
  report_readable("peer reads again", ends[1]);
  close(ends[0]);
  close(ends[1]);
}

/* A send of nothing still asks the connection: EPIPE where there is none (SIGPIPE is ignored); writev of nothing does not. */
static void empty_sends(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fresh >= 0);
  report("write of nothing, never connected", syscall(SYS_write, fresh, page, 0));
  struct iovec nothing = {page, 0};
  report("writev of nothing, never connected", syscall(SYS_writev, fresh, &nothing, 1));
  report("writev of no vectors, never connected", syscall(SYS_writev, fresh, &nothing, 0));
  struct msghdr empty = {0};
  report("sendmsg of nothing, never connected", syscall(SYS_sendmsg, fresh, &empty, MSG_DONTWAIT));
  report("write of nothing, listening", syscall(SYS_write, listener, page, 0));
  report("read of nothing, never connected", syscall(SYS_read, fresh, page, 0));
  int ends[2];
  tcp_pair(ends);
  report("write of nothing, connected", syscall(SYS_write, ends[0], page, 0));
  report("sendmsg of nothing, connected", syscall(SYS_sendmsg, ends[0], &empty, MSG_DONTWAIT));
  close(fresh);
  close(listener);
  close(ends[0]);
  close(ends[1]);
}

/*
 * The peer closed (its FIN arrived), then a send made it answer with an RST:
 * reads still give EOF, the RST's EPIPE waits in SO_ERROR.
 */
static void reset_after_end(void) {
  int ends[2];
  tcp_pair(ends);
  close(ends[1]);
  settle(ends[0]);
  report("read after the peer closed", syscall(SYS_read, ends[0], page, 64));
  report("send to the closed peer", syscall(SYS_sendto, ends[0], "lost", 4, MSG_NOSIGNAL, NULL, 0));
  /* The RST takes the loopback no time, and the virtual network a round trip. */
  usleep(100000);
  report("read after its reset", syscall(SYS_read, ends[0], page, 64));
  report("and again", syscall(SYS_read, ends[0], page, 64));
  int error = 0;
  socklen_t length = sizeof error;
  CHECK(getsockopt(ends[0], SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("SO_ERROR: %s\n", error == 0 ? "0" : strerrorname_np(error));
  report("send after that", syscall(SYS_sendto, ends[0], "lost", 4, MSG_NOSIGNAL, NULL, 0));
  close(ends[0]);
}

/* A message header without a name: its length is ignored, even a negative one. */
static void nameless_headers(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int ends[2];
  tcp_pair(ends);
  struct iovec vector = {page, 16};
  struct msghdr nameless = {.msg_name = NULL, .msg_namelen = -1, .msg_iov = &vector, .msg_iovlen = 1};
  report("recvmsg without a name, nothing sent", syscall(SYS_recvmsg, ends[1], &nameless, MSG_DONTWAIT));
  report("recvmsg without a name on a listener", syscall(SYS_recvmsg, listener, &nameless, MSG_DONTWAIT));
  nameless.msg_namelen = -1;
  report("sendmsg without a name", syscall(SYS_sendmsg, ends[0], &nameless, MSG_DONTWAIT));
  struct msghdr named = {.msg_name = page, .msg_namelen = -1, .msg_iov = &vector, .msg_iovlen = 1};
  report("sendmsg with a name of length -1", syscall(SYS_sendmsg, ends[0], &named, MSG_DONTWAIT));
  close(listener);
  close(ends[0]);
  close(ends[1]);
}

/* getsockopt: an unknown level is refused before the length is read (EOPNOTSUPP
 * by ip_getsockopt, ENOPROTOOPT by ipv6_getsockopt); SOL_SOCKET reads it first. */
static void option_order(void) {
  int families[] = {AF_INET, AF_INET6};
  for (int i = 0; i < 2; i++) {
    printf("%s:\n", families[i] == AF_INET ? "AF_INET" : "AF_INET6");
    int fd = socket(families[i], SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int value;
    report("getsockopt at an unknown level, length unreadable", syscall(SYS_getsockopt, fd, 9999, 1, &value, unmapped));
    report("getsockopt SO_TYPE, length unreadable", syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_TYPE, &value, unmapped));
    int udp = socket(families[i], SOCK_DGRAM, 0);
    CHECK(udp >= 0);
    report("getsockopt of a UDP socket at TCP's level", syscall(SYS_getsockopt, udp, IPPROTO_TCP, 1, &value, unmapped));
    report("getsockopt of a TCP socket at UDP's level", syscall(SYS_getsockopt, fd, IPPROTO_UDP, 1, &value, unmapped));
    close(udp);
    close(fd);
  }
}

/* accept4 checks its flags before what the socket is. */
static void accept_flags(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(udp >= 0);
  report("accept4 on UDP with unknown flags", syscall(SYS_accept4, udp, NULL, NULL, -1));
  report("accept4 on UDP", syscall(SYS_accept4, udp, NULL, NULL, SOCK_NONBLOCK));
  report("accept4 on a listener with unknown flags", syscall(SYS_accept4, listener, NULL, NULL, 1));
  close(udp);
  close(listener);
}

/* epoll_ctl on sockets: the event is read first, then the descriptors, EPOLLEXCLUSIVE's rules, the interest list. */
static void epoll_ctl_order(void) {
  int epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(fd >= 0);
  struct epoll_event event = {.events = EPOLLIN};
  report("add itself with no event", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, epfd, NULL));
  report("unknown operation with no event", syscall(SYS_epoll_ctl, epfd, 99, fd, NULL));
  report("unknown operation", syscall(SYS_epoll_ctl, epfd, 99, fd, &event));
  report("delete with no event, not added", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, fd, NULL));
  report("add itself", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, epfd, &event));
  event.events = EPOLLIN | EPOLLEXCLUSIVE;
  report("modify, exclusive, not added", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, fd, &event));
  event.events = EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE;
  report("add exclusive with EPOLLRDHUP", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, fd, &event));
  event.events = EPOLLIN | EPOLLEXCLUSIVE;
  report("add exclusive", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, fd, &event));
  event.events = EPOLLIN;
  report("modify an exclusive one", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, fd, &event));
  report("add it again", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_ADD, fd, &event));
  report("delete it", syscall(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, fd, NULL));
  close(fd);
  close(epfd);
}

/* A malformed control message fails the send where the protocol reads it: UDP after the destination, TCP once connected. */
static void malformed_control(void) {
  struct cmsghdr *bad = (struct cmsghdr *)page;
  memset(page, 0, 64);
  bad->cmsg_len = 0;
  struct iovec vector = {page + 64, 4};
  struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = bad, .msg_controllen = 32};
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fresh >= 0);
  report("TCP never connected", syscall(SYS_sendmsg, fresh, &message, MSG_DONTWAIT));
  int ends[2];
  tcp_pair(ends);
  report("TCP connected", syscall(SYS_sendmsg, ends[0], &message, MSG_DONTWAIT));
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(udp >= 0);
  report("UDP without a destination", syscall(SYS_sendmsg, udp, &message, MSG_DONTWAIT));
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  message.msg_name = &to;
  message.msg_namelen = sizeof to;
  report("UDP to an address", syscall(SYS_sendmsg, udp, &message, MSG_DONTWAIT));
  close(udp);
  close(fresh);
  close(ends[0]);
  close(ends[1]);
}

/* An address shorter than sockaddr_in is EINVAL whatever family it names. */
static void short_addresses(void) {
  struct sockaddr_in address = {.sin_family = AF_UNIX};
  for (int type = SOCK_STREAM; type <= SOCK_DGRAM; type++) {
    int fd = socket(AF_INET, type, 0);
    CHECK(fd >= 0);
    printf("%s: ", type == SOCK_STREAM ? "TCP" : "UDP");
    report("bind of 3 bytes of AF_UNIX", syscall(SYS_bind, fd, &address, 3));
    report("connect to 3 bytes of AF_UNIX", syscall(SYS_connect, fd, &address, 3));
    report("bind of AF_UNIX", syscall(SYS_bind, fd, &address, sizeof address));
    report("bind of 4096 bytes", syscall(SYS_bind, fd, page, 4096));
    struct sockaddr_in unspec = {.sin_family = AF_UNSPEC};
    report("connect to AF_UNSPEC, never connected", syscall(SYS_connect, fd, &unspec, sizeof unspec));
    close(fd);
  }
}

/* getsockname and getpeername read the length first: a negative one is EINVAL, a short one truncates the
 * address and gives back its full length. */
static void name_lengths(void) {
  int ends[2];
  tcp_pair(ends);
  for (int peer = 0; peer <= 1; peer++) {
    long number = peer ? SYS_getpeername : SYS_getsockname;
    const char *name = peer ? "getpeername" : "getsockname";
    char label[64];
    struct sockaddr_in address;
    socklen_t length = (socklen_t)-1;
    snprintf(label, sizeof label, "%s, length -1", name);
    report(label, syscall(number, ends[0], &address, &length));
    length = 2;
    memset(&address, 0xff, sizeof address);
    snprintf(label, sizeof label, "%s, length 2", name);
    report(label, syscall(number, ends[0], &address, &length));
    printf("length now %d, family %d, port %s\n", (int)length, address.sin_family, address.sin_port == 0xffff ? "untouched" : "written");
  }
  close(ends[0]);
  close(ends[1]);
}

/* Prints a sockaddr_in buffer's first 16 bytes, the port's two masked (the kernel picks them). */
static void print_name_buffer(const char *what, long result, const unsigned char *buffer) {
  printf("%s: %ld,", what, result);
  for (int i = 0; i < 16; i++) {
    if (i == 2 || i == 3) printf(" ..");
    else printf(" %02x", buffer[i]);
  }
  printf("\n");
}

/* A length pointer inside the address buffer it describes: which of the two
 * the kernel writes last is what the program finds there (Linux 6.x writes
 * the length first, then the address over it). */
static void length_inside_name(void) {
  int ends[2];
  tcp_pair(ends);
  unsigned char buffer[32];
  for (int offset = 0; offset <= 12; offset += 4) {
    for (int peer = 0; peer <= 1; peer++) {
      char label[64];
      snprintf(label, sizeof label, "%s, length at byte %d", peer ? "getpeername" : "getsockname", offset);
      memset(buffer, 0xaa, sizeof buffer);
      *(int *)(buffer + offset) = 16;
      long r = syscall(peer ? SYS_getpeername : SYS_getsockname, ends[0], buffer, (int *)(buffer + offset));
      print_name_buffer(label, r, buffer);
    }
  }
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0 && connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  memset(buffer, 0xaa, sizeof buffer);
  *(int *)(buffer + 4) = 16;
  long accepted = syscall(SYS_accept4, listener, buffer, (int *)(buffer + 4), 0);
  print_name_buffer("accept4, length at byte 4", accepted < 0 ? accepted : 0, buffer);
  int receiver = socket(AF_INET, SOCK_DGRAM, 0), sender = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t size = sizeof loopback;
  CHECK(receiver >= 0 && sender >= 0 && bind(receiver, (struct sockaddr *)&loopback, sizeof loopback) == 0);
  CHECK(getsockname(receiver, (struct sockaddr *)&loopback, &size) == 0);
  CHECK(sendto(sender, "d", 1, 0, (struct sockaddr *)&loopback, sizeof loopback) == 1);
  memset(buffer, 0xaa, sizeof buffer);
  *(int *)(buffer + 8) = 16;
  char byte;
  print_name_buffer("recvfrom, length at byte 8", syscall(SYS_recvfrom, receiver, &byte, 1, 0, buffer, (int *)(buffer + 8)), buffer);
  close(receiver), close(sender), close(client), close(listener), close(ends[0]), close(ends[1]);
  if (accepted >= 0) close((int)accepted);
}

/* recvfrom hands the source out after taking the bytes: a negative address length fails the call, and the bytes are gone. */
static void negative_source_length(void) {
  int ends[2];
  tcp_pair(ends);
  report("send", syscall(SYS_sendto, ends[0], "taken", 5, 0, NULL, 0));
  settle(ends[1]);
  struct sockaddr_in source;
  socklen_t length = (socklen_t)-1;
  report("TCP recvfrom, address length -1", syscall(SYS_recvfrom, ends[1], page, 64, MSG_DONTWAIT, &source, &length));
  report_readable("then reads", ends[1]);
  length = sizeof source;
  report("TCP recvfrom, address length unreadable", syscall(SYS_recvfrom, ends[1], page, 64, MSG_DONTWAIT, &source, unmapped));
  int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(a >= 0 && b >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(b, (struct sockaddr *)&address, sizeof address) == 0);
  socklen_t size = sizeof address;
  CHECK(getsockname(b, (struct sockaddr *)&address, &size) == 0);
  report("UDP send", syscall(SYS_sendto, a, "datagram", 8, 0, &address, sizeof address));
  settle(b);
  length = (socklen_t)-1;
  report("UDP recvfrom, address length -1", syscall(SYS_recvfrom, b, page, 64, MSG_DONTWAIT, &source, &length));
  report_readable("then reads", b);
  close(a);
  close(b);
  close(ends[0]);
  close(ends[1]);
}

/*
 * MSG_FASTOPEN connects a socket that never was, to the address given, as
 * connect would: without a Fast Open cookie the SYN carries no data, so a
 * non-blocking send only starts the handshake, a blocking one sends once
 * connected. Elsewhere it is refused as connect would be.
 */
static void fast_open(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int ends[2];
  tcp_pair(ends);
  report("connected", syscall(SYS_sendto, ends[0], "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, NULL, 0));
  report("listening", syscall(SYS_sendto, listener, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, &address, sizeof address));
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fresh >= 0);
  report("never connected, no address", syscall(SYS_sendto, fresh, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, NULL, 0));
  struct sockaddr_in unspec = {.sin_family = AF_UNSPEC};
  report("never connected, AF_UNSPEC", syscall(SYS_sendto, fresh, "x", 1, MSG_FASTOPEN | MSG_DONTWAIT, &unspec, sizeof unspec));
  CHECK(fcntl(fresh, F_SETFL, O_NONBLOCK) == 0);
  report("non-blocking, to the listener", syscall(SYS_sendto, fresh, "early", 5, MSG_FASTOPEN, &address, sizeof address));
  struct pollfd writable = {.fd = fresh, .events = POLLOUT};
  CHECK(poll(&writable, 1, 1000) == 1);
  report("connect after it", syscall(SYS_connect, fresh, &address, sizeof address));
  report("send once connected", syscall(SYS_sendto, fresh, "late", 4, 0, NULL, 0));
  int unconfirmed = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(unconfirmed >= 0);
  CHECK(connect(unconfirmed, (struct sockaddr *)&address, sizeof address) == -1 && errno == EINPROGRESS);
  writable.fd = unconfirmed;
  CHECK(poll(&writable, 1, 1000) == 1);
  report("after a non-blocking connect, never confirmed", syscall(SYS_sendto, unconfirmed, "sent", 4, MSG_FASTOPEN, &address, sizeof address));
  report("and again", syscall(SYS_sendto, unconfirmed, "sent", 4, MSG_FASTOPEN, &address, sizeof address));
  int blocking = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(blocking >= 0);
  report("blocking, to the listener", syscall(SYS_sendto, blocking, "whole", 5, MSG_FASTOPEN, &address, sizeof address));
  int first = accept(listener, NULL, NULL), second = accept(listener, NULL, NULL), third = accept(listener, NULL, NULL);
  CHECK(first >= 0 && second >= 0 && third >= 0);
  settle(first);
  settle(second);
  settle(third);
  report_readable("first accepted reads", first);
  report_readable("second accepted reads", second);
  report_readable("third accepted reads", third);
  close(first);
  close(second);
  close(third);
  close(unconfirmed);
  close(blocking);
  close(fresh);
  close(listener);
  close(ends[0]);
  close(ends[1]);
}

/* A UDP port nobody listens on answers with an ICMP port unreachable: a connected sender's next call reports ECONNREFUSED, once. */
/* A lone vector is cut to MAX_RW_COUNT before its end is checked; among others it is checked whole. */
static void huge_vectors(void) {
  int udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(udp >= 0);
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  /* A low address, whatever the layout: cut, the vector ends well inside user space; whole, far past it. */
  char *low = (char *)0x10000;
  struct iovec vectors[2] = {{low, (size_t)1 << 62}, {page, 1}};
  struct msghdr message = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = vectors, .msg_iovlen = 1};
  report("UDP sendmsg, one vector of 2^62 bytes", syscall(SYS_sendmsg, udp, &message, MSG_DONTWAIT));
  message.msg_iovlen = 2;
  report("UDP sendmsg, two vectors, the first of 2^62 bytes", syscall(SYS_sendmsg, udp, &message, MSG_DONTWAIT));
  close(udp);
}

/* MSG_ERRQUEUE reads the error queue first, empty here: EAGAIN, even where a plain receive would fail. */
static void error_queue(void) {
  int fresh = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fresh >= 0 && udp >= 0);
  report("TCP never connected", syscall(SYS_recvfrom, fresh, page, 16, MSG_ERRQUEUE, NULL, NULL));
  report("TCP never connected, every flag", syscall(SYS_recvfrom, fresh, page, 16, -1, NULL, NULL));
  report("UDP", syscall(SYS_recvfrom, udp, page, 16, MSG_ERRQUEUE, NULL, NULL));
  close(fresh);
  close(udp);
}

/* What a UDP socket's getsockname shows, and whether a bind to 127.0.0.1 then works. */
static void udp_binding(const char *who, int fd) {
  struct sockaddr_in address;
  socklen_t size = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &size) == 0);
  printf("%s getsockname: %s port %s\n", who, inet_ntoa(address.sin_addr), address.sin_port == 0 ? "0" : "set");
}

/* connect(AF_UNSPEC) on a UDP socket gives back a port the kernel picked (datagrams to it are
 * refused) and an address the program did not bind; a port the program chose stays. */
static void udp_disconnect(void) {
  struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  const struct sockaddr_in unspec = {.sin_family = AF_UNSPEC};
  int picked = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), sender = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  CHECK(picked >= 0 && sender >= 0);
  CHECK(bind(picked, (struct sockaddr *)&loopback, sizeof loopback) == 0);
  struct sockaddr_in address;
  socklen_t size = sizeof address;
  CHECK(getsockname(picked, (struct sockaddr *)&address, &size) == 0);
  CHECK(connect(sender, (struct sockaddr *)&address, sizeof address) == 0);
  report("UDP disconnect, never connected", syscall(SYS_connect, picked, &unspec, sizeof unspec));
  udp_binding("port picked at bind, disconnected", picked);
  report("send to its old port", syscall(SYS_sendto, sender, "ping", 4, 0, NULL, 0));
  usleep(100000);
  report("send again", syscall(SYS_sendto, sender, "ping", 4, 0, NULL, 0));
  report("bind again", syscall(SYS_bind, picked, &loopback, sizeof loopback));
  udp_binding("bound again", picked);
  close(sender);

  /* The port it had, now free, chosen by the program. */
  int chosen = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(chosen >= 0);
  CHECK(getsockname(picked, (struct sockaddr *)&address, &size) == 0);
  close(picked);
  CHECK(bind(chosen, (struct sockaddr *)&address, sizeof address) == 0);
  report("UDP disconnect, port chosen", syscall(SYS_connect, chosen, &unspec, sizeof unspec));
  udp_binding("port chosen, disconnected", chosen);
  report("bind again", syscall(SYS_bind, chosen, &loopback, sizeof loopback));
  close(chosen);

  int autobound = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(autobound >= 0);
  CHECK(connect(autobound, (struct sockaddr *)&address, sizeof address) == 0);
  udp_binding("connected", autobound);
  report("UDP disconnect, connected", syscall(SYS_connect, autobound, &unspec, sizeof unspec));
  udp_binding("port picked at connect, disconnected", autobound);
  close(autobound);
}

/* MSG_MORE corks a UDP send: nothing leaves until a send without it, and the datagram then carries both, to the first one's destination. */
static void udp_more(void) {
  struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int receiver = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), other = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int sender = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  CHECK(receiver >= 0 && other >= 0 && sender >= 0);
  struct sockaddr_in to_receiver = loopback, to_other = loopback;
  socklen_t size = sizeof to_receiver;
  CHECK(bind(receiver, (struct sockaddr *)&to_receiver, sizeof to_receiver) == 0);
  CHECK(getsockname(receiver, (struct sockaddr *)&to_receiver, &size) == 0);
  CHECK(bind(other, (struct sockaddr *)&to_other, sizeof to_other) == 0);
  CHECK(getsockname(other, (struct sockaddr *)&to_other, &size) == 0);
  report("UDP send with MSG_MORE", syscall(SYS_sendto, sender, "corked ", 7, MSG_MORE, &to_receiver, sizeof to_receiver));
  usleep(100000);
  report_readable("the receiver reads", receiver);
  report("UDP send with MSG_MORE elsewhere", syscall(SYS_sendto, sender, "and ", 4, MSG_MORE, &to_other, sizeof to_other));
  report("UDP send without", syscall(SYS_sendto, sender, "sent", 4, 0, &to_other, sizeof to_other));
  usleep(100000);
  report_readable("the receiver reads", receiver);
  report_readable("the other reads", other);
  close(sender);
  close(other);
  close(receiver);
}

static void udp_port_unreachable(void) {
  struct sockaddr_in gone = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int was = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(was >= 0);
  CHECK(bind(was, (struct sockaddr *)&gone, sizeof gone) == 0);
  socklen_t size = sizeof gone;
  CHECK(getsockname(was, (struct sockaddr *)&gone, &size) == 0);
  close(was);
  int connected = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), loose = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  CHECK(connected >= 0 && loose >= 0);
  CHECK(connect(connected, (struct sockaddr *)&gone, sizeof gone) == 0);
  /* The answer takes the loopback no time, and the virtual network a round trip. */
  report("connected send", syscall(SYS_sendto, connected, "ping", 4, 0, NULL, 0));
  usleep(100000);
  struct pollfd entry = {.fd = connected, .events = POLLIN};
  report("poll", poll(&entry, 1, 0));
  printf("revents: %s\n", entry.revents == POLLERR ? "POLLERR" : entry.revents == 0 ? "none" : "other");
  report_readable("then reads", connected);
  report_readable("and again", connected);
  report("send", syscall(SYS_sendto, connected, "ping", 4, 0, NULL, 0));
  usleep(100000);
  report("send after its answer", syscall(SYS_sendto, connected, "ping", 4, 0, NULL, 0));
  report("send", syscall(SYS_sendto, connected, "ping", 4, 0, NULL, 0));
  usleep(100000);
  int error = 0;
  socklen_t length = sizeof error;
  CHECK(getsockopt(connected, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("SO_ERROR: %s\n", error == 0 ? "0" : strerrorname_np(error));
  report_readable("then reads", connected);
  report("unconnected send", syscall(SYS_sendto, loose, "ping", 4, 0, &gone, sizeof gone));
  usleep(100000);
  report_readable("then reads", loose);
  close(connected);
  close(loose);
}

/* Control data longer than the kernel takes is ENOBUFS, on the kernel's own sockets (AF_UNIX) as on virtual ones. */
static void huge_control(void) {
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0);
  int ends[2];
  tcp_pair(ends);
  struct iovec vector = {page, 4};
  struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = page, .msg_controllen = (size_t)-1};
  report("AF_UNIX sendmsg, control length -1", syscall(SYS_sendmsg, pair[0], &message, MSG_DONTWAIT));
  report("TCP sendmsg, control length -1", syscall(SYS_sendmsg, ends[0], &message, MSG_DONTWAIT));
  message.msg_controllen = 0x7fffffff;
  report("AF_UNIX sendmsg, control length INT_MAX", syscall(SYS_sendmsg, pair[0], &message, MSG_DONTWAIT));
  close(pair[0]);
  close(pair[1]);
  close(ends[0]);
  close(ends[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(page != MAP_FAILED && unmapped != MAP_FAILED);
  signal(SIGPIPE, SIG_IGN);
  faulting_sends();
  empty_sends();
  reset_after_end();
  nameless_headers();
  option_order();
  accept_flags();
  epoll_ctl_order();
  huge_control();
  malformed_control();
  short_addresses();
  negative_source_length();
  name_lengths();
  length_inside_name();
  fast_open();
  udp_port_unreachable();
  udp_disconnect();
  udp_more();
  huge_vectors();
  error_queue();
  printf("EXIT-SUCCESS\n");
  return 0;
}
