/* A NETLINK_ROUTE socket used directly, as iproute2 and MPI libraries do:
 * binding and port ids, options, dump requests by sendto/recvmsg and by
 * write/read, MSG_PEEK|MSG_TRUNC, poll, single-link requests with an ack,
 * and errors. Every line printed is the same on any Linux host, whatever
 * its interfaces, so the output natively and under simterpose must match. */
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"

static unsigned char answer[65536];

static int open_route(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  CHECK(fd >= 0);
  return fd;
}

static unsigned port_of(int fd) {
  struct sockaddr_nl address;
  socklen_t length = sizeof address;
  CHECK(getsockname(fd, (struct sockaddr *)&address, &length) == 0);
  CHECK(length == sizeof address && address.nl_family == AF_NETLINK);
  return address.nl_pid;
}

static int option(int fd, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  CHECK(getsockopt(fd, SOL_SOCKET, name, &value, &length) == 0);
  return value;
}

/* A call's result, then errno when it failed: in that order. */
static void result(const char *what, long value) {
  if (value < 0) printf("%s: %ld %s\n", what, value, strerror(errno));
  else printf("%s: %ld\n", what, value);
}

static void polled(const char *what, struct pollfd *watched) {
  int ready = poll(watched, 1, 0);
  printf("%s: %d revents 0x%x\n", what, ready, watched->revents);
}

struct request {
  struct nlmsghdr header;
  struct ifinfomsg link;
  char attributes[32];
};

static size_t link_request(struct request *request, unsigned short type, unsigned short flags, unsigned sequence, int index, const char *name) {
  memset(request, 0, sizeof *request);
  request->header.nlmsg_len = NLMSG_LENGTH(sizeof request->link);
  request->header.nlmsg_type = type;
  request->header.nlmsg_flags = flags;
  request->header.nlmsg_seq = sequence;
  request->link.ifi_family = AF_UNSPEC;
  request->link.ifi_index = index;
  if (name != NULL) {
    struct rtattr *attribute = (struct rtattr *)((char *)request + NLMSG_ALIGN(request->header.nlmsg_len));
    attribute->rta_type = IFLA_IFNAME;
    attribute->rta_len = RTA_LENGTH(strlen(name) + 1);
    strcpy(RTA_DATA(attribute), name);
    request->header.nlmsg_len = NLMSG_ALIGN(request->header.nlmsg_len) + RTA_ALIGN(attribute->rta_len);
  }
  return request->header.nlmsg_len;
}

/* Reads a dump to its NLMSG_DONE: how many messages of `type`, whether
 * every one carried the sequence and port, and the first one's index. */
static void read_dump(int fd, unsigned sequence, unsigned port, unsigned short type, int use_read) {
  int count = 0, first_index = -1, consistent = 1, done = 0;
  while (!done) {
    ssize_t received;
    if (use_read) {
      received = read(fd, answer, sizeof answer);
    } else {
      struct sockaddr_nl from;
      struct iovec vector = {answer, sizeof answer};
      struct msghdr header = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &vector, .msg_iovlen = 1};
      received = recvmsg(fd, &header, 0);
      CHECK(header.msg_namelen == sizeof from && from.nl_family == AF_NETLINK && from.nl_pid == 0);
      CHECK((header.msg_flags & MSG_TRUNC) == 0);
    }
    CHECK(received > 0);
    for (struct nlmsghdr *message = (struct nlmsghdr *)answer; NLMSG_OK(message, received); message = NLMSG_NEXT(message, received)) {
      if (message->nlmsg_seq != sequence || message->nlmsg_pid != port || !(message->nlmsg_flags & NLM_F_MULTI)) consistent = 0;
      if (message->nlmsg_type == NLMSG_DONE) {
        done = 1;
        CHECK(message->nlmsg_len == NLMSG_LENGTH(sizeof(int)) && *(int *)NLMSG_DATA(message) == 0);
        break;
      }
      CHECK(message->nlmsg_type == type);
      if (count++ == 0) first_index = type == RTM_NEWLINK ? ((struct ifinfomsg *)NLMSG_DATA(message))->ifi_index : (int)((struct ifaddrmsg *)NLMSG_DATA(message))->ifa_index;
    }
  }
  printf("dump of type %d: at least two %s, first of index %d, sequence and port on each %s\n", type, count >= 2 ? "yes" : "no", first_index,
         consistent ? "yes" : "no");
}

/* The answers to a request that is not a dump: each message's type and, for errors, the error. */
static void read_answers(int fd, const char *what) {
  ssize_t received = recv(fd, answer, sizeof answer, 0);
  CHECK(received > 0);
  printf("%s:", what);
  for (struct nlmsghdr *message = (struct nlmsghdr *)answer; NLMSG_OK(message, received); message = NLMSG_NEXT(message, received)) {
    if (message->nlmsg_type == NLMSG_ERROR) {
      printf(" error %d", ((struct nlmsgerr *)NLMSG_DATA(message))->error);
    } else {
      struct ifinfomsg *link = NLMSG_DATA(message);
      struct rtattr *attribute = IFLA_RTA(link);
      int length = IFLA_PAYLOAD(message);
      const char *name = "?";
      for (; RTA_OK(attribute, length); attribute = RTA_NEXT(attribute, length))
        if (attribute->rta_type == IFLA_IFNAME) name = RTA_DATA(attribute);
      printf(" type %d index %d name %s", message->nlmsg_type, link->ifi_index, name);
    }
  }
  printf("\n");
}

int main(void) {
  int fd = open_route();
  printf("unbound port %u\n", port_of(fd));
  printf("SO_TYPE %d SO_DOMAIN %d SO_PROTOCOL %d\n", option(fd, SO_TYPE), option(fd, SO_DOMAIN), option(fd, SO_PROTOCOL));
  struct sockaddr_nl local = {.nl_family = AF_NETLINK};
  CHECK(bind(fd, (struct sockaddr *)&local, sizeof local) == 0);
  unsigned port = port_of(fd);
  printf("bound port is the pid: %s\n", port == (unsigned)getpid() ? "yes" : "no");

  int second = open_route();
  CHECK(bind(second, (struct sockaddr *)&local, sizeof local) == 0);
  printf("second port is another, not 0: %s\n", port_of(second) != port && port_of(second) != 0 ? "yes" : "no");
  int third = open_route();
  local.nl_pid = port;
  result("bind to a taken port", bind(third, (struct sockaddr *)&local, sizeof local));
  result("bind of a short address", bind(third, (struct sockaddr *)&local, 4));

  result("receive with nothing sent", recv(fd, answer, sizeof answer, MSG_DONTWAIT));
  struct pollfd watched = {fd, POLLIN | POLLOUT, 0};
  polled("poll with nothing sent", &watched);

  struct {
    struct nlmsghdr header;
    struct rtgenmsg body;
  } dump = {{NLMSG_LENGTH(sizeof(struct rtgenmsg)), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0}, {AF_PACKET}};
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  result("sendto the kernel", sendto(fd, &dump, dump.header.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof kernel));
  polled("poll after a request", &watched);
  ssize_t peeked = recv(fd, answer, 16, MSG_PEEK | MSG_TRUNC);
  printf("MSG_PEEK|MSG_TRUNC into 16 bytes gives the whole length: %s\n", peeked > 16 ? "yes" : "no");
  read_dump(fd, 1, port, RTM_NEWLINK, 0);
  polled("poll after the dump", &watched);

  dump.header.nlmsg_type = RTM_GETADDR;
  dump.header.nlmsg_seq = 2;
  dump.body.rtgen_family = AF_INET;
  result("write", write(fd, &dump, dump.header.nlmsg_len));
  read_dump(fd, 2, port, RTM_NEWADDR, 1);

  struct request request;
  send(fd, &request, link_request(&request, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, 3, 1, NULL), 0);
  read_answers(fd, "link 1 with an ack");
  recv(fd, answer, sizeof answer, 0);
  send(fd, &request, link_request(&request, RTM_GETLINK, NLM_F_REQUEST, 4, 0, "lo"), 0);
  read_answers(fd, "link named lo");
  send(fd, &request, link_request(&request, RTM_GETLINK, NLM_F_REQUEST, 5, 0, "nosuch0"), 0);
  read_answers(fd, "link named nosuch0");
  send(fd, &request, link_request(&request, 200, NLM_F_REQUEST, 6, 0, NULL), 0);
  read_answers(fd, "unknown message type");

  /* A cut datagram: MSG_TRUNC in msg_flags, and it is gone. */
  dump.header.nlmsg_type = RTM_GETLINK;
  dump.header.nlmsg_seq = 7;
  send(fd, &dump, dump.header.nlmsg_len, 0);
  struct iovec small = {answer, 16};
  struct msghdr header = {.msg_iov = &small, .msg_iovlen = 1};
  result("recvmsg into 16 bytes", recvmsg(fd, &header, 0));
  printf("its flags have MSG_TRUNC: %s\n", (header.msg_flags & MSG_TRUNC) ? "yes" : "no");
  while (recv(fd, answer, sizeof answer, MSG_DONTWAIT) > 0) {
  }
  /* A message larger than the send buffer (SO_SNDBUF 1024 makes it Linux's smallest, 4608 bytes) is refused. */
  int size = 1024;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size) == 0);
  printf("SO_SNDBUF after setting 1024: %d\n", option(fd, SO_SNDBUF));
  result("sendto of 8000 bytes", sendto(fd, answer, 8000, 0, (struct sockaddr *)&kernel, sizeof kernel));
  close(fd);
  close(second);
  close(third);
  printf("EXIT-SUCCESS\n");
  return 0;
}
