/* Who is at the other end of a socket, step by step: SO_PEERCRED on a
 * socketpair, on both ends of a named AF_UNIX connection to a forked child,
 * and on TCP and UDP sockets (no peer process: pid 0, uid and gid -1);
 * SCM_CREDENTIALS the child sends (its own pid, which the kernel accepts,
 * or none: the kernel adds them) as the parent receives them, over a
 * connection and a datagram pair, by recvmsg and by recvmmsg. Ids print as how they relate to
 * getpid, getuid and the child's pid, so a native run and a run under
 * simterpose print the same. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *whose(pid_t id, pid_t child) {
  if (id == 0) return "pid 0";
  if (id == getpid()) return "own pid";
  if (id == child) return "child's pid";
  if (id == getppid()) return "parent's pid";
  return "another pid";
}

static void print_peer(const char *what, int fd, pid_t child) {
  struct ucred cred = {12345, 12345, 12345};
  socklen_t length = sizeof cred;
  int result = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length);
  if (result != 0) {
    printf("%s: SO_PEERCRED %s\n", what, strerror(errno));
    return;
  }
  printf("%s: SO_PEERCRED length %u, %s, uid %s, gid %s\n", what, (unsigned)length, whose(cred.pid, child),
         cred.uid == getuid() ? "own" : cred.uid == (uid_t)-1 ? "-1" : "another", cred.gid == getgid() ? "own" : cred.gid == (gid_t)-1 ? "-1" : "another");
}

static void send_credentials(int fd, const char *text, int explicit) {
  struct iovec data = {(void *)text, strlen(text)};
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;
  struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1};
  if (explicit) {
    memset(&control, 0, sizeof control);
    message.msg_control = control.buffer;
    message.msg_controllen = sizeof control.buffer;
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_CREDENTIALS;
    header->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred cred = {getpid(), getuid(), getgid()};
    memcpy(CMSG_DATA(header), &cred, sizeof cred);
  }
  CHECK(sendmsg(fd, &message, 0) == (ssize_t)strlen(text));
}

static void receive_credentials(int fd, pid_t child, int flags) {
  char text[32] = {0};
  struct iovec data = {text, sizeof text - 1};
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } control;
  struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer};
  CHECK(recvmsg(fd, &message, flags) > 0);
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  if (header == NULL || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_CREDENTIALS) {
    printf("received \"%s\" without credentials\n", text);
    return;
  }
  struct ucred cred;
  memcpy(&cred, CMSG_DATA(header), sizeof cred);
  printf("received \"%s\" with credentials, %s, uid %s\n", text, whose(cred.pid, child), cred.uid == getuid() ? "own" : "another");
}

static void over_a_socketpair(void) {
  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0);
  print_peer("socketpair", pair[0], 0);
  struct ucred cred;
  socklen_t length = 4;
  CHECK(getsockopt(pair[1], SOL_SOCKET, SO_PEERCRED, &cred, &length) == 0);
  printf("socketpair, 4 bytes of room: length %u, %s\n", (unsigned)length, whose(cred.pid, 0));
  close(pair[0]);
  close(pair[1]);
}

static void over_a_named_socket(void) {
  struct sockaddr_un address = {.sun_family = AF_UNIX};
  snprintf(address.sun_path, sizeof address.sun_path, "/tmp/peer_credentials_%d", getpid());
  unlink(address.sun_path);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  CHECK(bind(listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(listener, 1) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0);
    print_peer("child's end", fd, 0);
    send_credentials(fd, "explicit", 1);
    char byte;
    CHECK(read(fd, &byte, 1) == 1);
    send_credentials(fd, "implicit", 0);
    CHECK(read(fd, &byte, 1) == 1);
    _exit(0);
  }
  int fd = accept(listener, NULL, NULL);
  CHECK(fd >= 0);
  int on = 1;
  CHECK(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
  receive_credentials(fd, child, 0);
  print_peer("parent's end", fd, child);
  CHECK(write(fd, "x", 1) == 1);
  receive_credentials(fd, child, 0);
  CHECK(write(fd, "x", 1) == 1);
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(fd);
  close(listener);
  unlink(address.sun_path);
}

/* A datagram pair whose first end (the receiving one) has SO_PASSCRED. */
static void passing_credentials_pair(int pair[2]) {
  CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0);
  int on = 1;
  CHECK(setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) == 0);
}

/* A datagram pair whose receiving end has SO_PASSCRED: each datagram
 * carries its sender's pid, to a recvmsg that waits for it and to one with
 * MSG_DONTWAIT once it is there. */
static void over_a_datagram_pair(void) {
  int pair[2];
  passing_credentials_pair(pair);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    send_credentials(pair[1], "waited for", 0);
    char byte;
    CHECK(read(pair[1], &byte, 1) == 1);
    send_credentials(pair[1], "there already", 1);
    CHECK(read(pair[1], &byte, 1) == 1);
    _exit(0);
  }
  receive_credentials(pair[0], child, 0);
  CHECK(write(pair[0], "x", 1) == 1);
  struct pollfd readable = {.fd = pair[0], .events = POLLIN};
  CHECK(poll(&readable, 1, -1) == 1);
  receive_credentials(pair[0], child, MSG_DONTWAIT);
  CHECK(write(pair[0], "x", 1) == 1);
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(pair[0]);
  close(pair[1]);
}

/* What one recvmmsg entry received: its text, and whose pid its credentials name (none without a control buffer). */
static void print_entry(struct mmsghdr *entry, const char *text, pid_t child) {
  struct cmsghdr *header = CMSG_FIRSTHDR(&entry->msg_hdr);
  if (header == NULL || header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_CREDENTIALS) {
    printf("recvmmsg entry: \"%.*s\" without credentials\n", (int)entry->msg_len, text);
    return;
  }
  struct ucred cred;
  memcpy(&cred, CMSG_DATA(header), sizeof cred);
  printf("recvmmsg entry: \"%.*s\" with credentials, %s\n", (int)entry->msg_len, text, whose(cred.pid, child));
}

/* recvmmsg on a datagram pair with SO_PASSCRED: datagrams there already,
 * taken by one call whose first entry has no control buffer and whose
 * others do (MSG_DONTWAIT: it returns the two there are), then one it waits
 * for (MSG_WAITFORONE). */
static void over_recvmmsg(void) {
  int pair[2];
  passing_credentials_pair(pair);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    send_credentials(pair[1], "first", 1);
    send_credentials(pair[1], "second", 0);
    send_credentials(pair[1], "third", 0);
    char byte;
    CHECK(read(pair[1], &byte, 1) == 1);
    send_credentials(pair[1], "waited for", 0);
    _exit(0);
  }
  char texts[3][32];
  union {
    char buffer[CMSG_SPACE(sizeof(struct ucred))];
    struct cmsghdr align;
  } controls[3];
  struct iovec data[3];
  struct mmsghdr entries[3];
  memset(entries, 0, sizeof entries);
  for (int i = 0; i < 3; i++) {
    data[i] = (struct iovec){texts[i], sizeof texts[i]};
    entries[i].msg_hdr.msg_iov = &data[i];
    entries[i].msg_hdr.msg_iovlen = 1;
    if (i > 0) {
      entries[i].msg_hdr.msg_control = controls[i].buffer;
      entries[i].msg_hdr.msg_controllen = sizeof controls[i].buffer;
    }
  }
  struct pollfd readable = {.fd = pair[0], .events = POLLIN};
  CHECK(poll(&readable, 1, -1) == 1);
  /* The three datagrams are queued once the child waits for its byte: the first poll may come before the last. */
  int received = 0;
  while (received < 3) {
    int got = recvmmsg(pair[0], entries + received, 3 - received, MSG_DONTWAIT, NULL);
    if (got < 0 && errno == EAGAIN) {
      CHECK(poll(&readable, 1, -1) == 1);
      continue;
    }
    CHECK(got > 0);
    received += got;
  }
  for (int i = 0; i < 3; i++) print_entry(&entries[i], texts[i], child);
  CHECK(write(pair[0], "x", 1) == 1);
  for (int i = 0; i < 3; i++) entries[i].msg_hdr.msg_controllen = sizeof controls[i].buffer;
  entries[0].msg_hdr.msg_controllen = 0;
  CHECK(recvmmsg(pair[0], entries + 1, 2, MSG_WAITFORONE, NULL) == 1);
  print_entry(&entries[1], texts[1], child);
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(pair[0]);
  close(pair[1]);
}

static void over_inet_sockets(void) {
  int listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listener >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(listener, 1) == 0);
  socklen_t length = sizeof address;
  CHECK(getsockname(listener, (struct sockaddr *)&address, &length) == 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  print_peer("TCP listener", listener, 0);
  print_peer("TCP client", client, 0);
  print_peer("TCP server", server, 0);
  int datagram = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(datagram >= 0);
  print_peer("UDP", datagram, 0);
  close(datagram);
  close(server);
  close(client);
  close(listener);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  over_a_socketpair();
  over_a_named_socket();
  over_a_datagram_pair();
  over_recvmmsg();
  over_inet_sockets();
  printf("EXIT-SUCCESS\n");
  return 0;
}
