/* Edge-triggered and one-shot epoll on TCP sockets, step by step: what
 * epoll_wait reports after each thing that happens to a connection, printed
 * so that a native run and a run under simterpose can be compared line for
 * line. Linux raises a new EPOLLIN edge for every arrival, even when the
 * socket still holds unread data, and an EPOLLOUT edge when room frees in a
 * full send buffer.
 *
 * `epoll_edges sequence`: one process holds both ends of a loopback connection.
 * `epoll_edges split`: a forked client sends each request in two writes with a
 * pause between; the server, edge-triggered, reads until EAGAIN each time and
 * must still see both halves of every request.
 * `epoll_edges kernel`: the same steps on descriptors the kernel implements
 * (a pipe, an AF_UNIX socket pair, an eventfd): a write raises an edge even
 * with data unread, one after the reader emptied the descriptor too; a
 * writer that filled a pipe gets an EPOLLOUT edge when room frees.
 * `epoll_edges closed`: an interest belongs to the open file registered under
 * its number: a socket closed while registered (as ab closes a refused
 * connection) leaves the list, and the next socket, given the same number,
 * is added afresh; so is one whose number a registered socket left while a
 * duplicate keeps that socket open. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* Long enough for a loopback segment to land under simterpose; natively it is there at once. */
#define WAIT_MS 1000

static void describe(const char *step, int count, const struct epoll_event *event) {
  printf("%-44s ", step);
  if (count == 0) {
    printf("nothing\n");
    return;
  }
  printf("%d:", count);
  if (event->events & EPOLLIN) printf(" IN");
  if (event->events & EPOLLOUT) printf(" OUT");
  if (event->events & EPOLLRDHUP) printf(" RDHUP");
  if (event->events & EPOLLHUP) printf(" HUP");
  if (event->events & EPOLLERR) printf(" ERR");
  printf(" data=%llu\n", (unsigned long long)event->data.u64);
}

static int wait_and_print(int epfd, int timeout_ms, const char *step) {
  struct epoll_event event = {0};
  int count = epoll_wait(epfd, &event, 1, timeout_ms);
  CHECK(count >= 0);
  describe(step, count, &event);
  return count;
}

static void watch(int epfd, int op, int fd, unsigned events, unsigned long long data) {
  struct epoll_event event = {.events = events, .data.u64 = data};
  CHECK(epoll_ctl(epfd, op, fd, &event) == 0);
}

static void set_nonblocking(int fd) {
  CHECK(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
}

/* Bytes read until EAGAIN. */
static size_t drain(int fd) {
  char buffer[65536];
  size_t total = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EAGAIN) return total;
    CHECK(got >= 0);
    if (got == 0) return total;
    total += (size_t)got;
  }
}

static int listener(struct sockaddr_in *address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  address->sin_family = AF_INET;
  address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address->sin_port = 0;
  CHECK(bind(fd, (struct sockaddr *)address, sizeof *address) == 0);
  socklen_t length = sizeof *address;
  CHECK(getsockname(fd, (struct sockaddr *)address, &length) == 0);
  CHECK(listen(fd, 8) == 0);
  return fd;
}

static void pause_ms(int ms) { usleep((useconds_t)ms * 1000); }

static void sequence(void) {
  struct sockaddr_in address;
  int listening = listener(&address);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  int server = accept(listening, NULL, NULL);
  CHECK(server >= 0);
  set_nonblocking(server);
  set_nonblocking(client);

  int epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  watch(epfd, EPOLL_CTL_ADD, server, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, 1);
  wait_and_print(epfd, 0, "added, writable");
  wait_and_print(epfd, 0, "nothing new");

  CHECK(write(client, "a", 1) == 1);
  wait_and_print(epfd, WAIT_MS, "one byte arrives");
  wait_and_print(epfd, 0, "nothing new, byte unread");
  CHECK(write(client, "b", 1) == 1);
  wait_and_print(epfd, WAIT_MS, "second byte arrives, first unread");
  printf("%-44s %zu\n", "read until EAGAIN", drain(server));
  wait_and_print(epfd, 0, "after reading");

  CHECK(write(client, "c", 1) == 1);
  pause_ms(50);
  wait_and_print(epfd, WAIT_MS, "byte arrived while outside epoll_wait");
  CHECK(write(client, "d", 1) == 1);
  pause_ms(50);
  wait_and_print(epfd, 0, "another, still unread, outside epoll_wait");
  wait_and_print(epfd, 0, "nothing new");

  watch(epfd, EPOLL_CTL_MOD, server, EPOLLIN | EPOLLET, 2);
  wait_and_print(epfd, 0, "modified while readable");
  wait_and_print(epfd, 0, "nothing new");
  printf("%-44s %zu\n", "read until EAGAIN", drain(server));

  watch(epfd, EPOLL_CTL_MOD, server, EPOLLIN | EPOLLONESHOT, 3);
  wait_and_print(epfd, 0, "one-shot, nothing to read");
  CHECK(write(client, "e", 1) == 1);
  wait_and_print(epfd, WAIT_MS, "one-shot, a byte arrives");
  wait_and_print(epfd, 0, "one-shot, disarmed though readable");
  CHECK(write(client, "f", 1) == 1);
  wait_and_print(epfd, 100, "one-shot, disarmed, another byte");
  watch(epfd, EPOLL_CTL_MOD, server, EPOLLIN | EPOLLONESHOT, 4);
  wait_and_print(epfd, 0, "one-shot re-armed");
  wait_and_print(epfd, 0, "one-shot, disarmed again");
  printf("%-44s %zu\n", "read until EAGAIN", drain(server));

  /* The client fills its send buffer (the server reads nothing); once the
   * server reads, room frees and the client gets an EPOLLOUT edge. */
  int sndbuf = 16384;
  CHECK(setsockopt(client, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0);
  int client_epfd = epoll_create1(0);
  CHECK(client_epfd >= 0);
  watch(client_epfd, EPOLL_CTL_ADD, client, EPOLLOUT | EPOLLET, 5);
  wait_and_print(client_epfd, 0, "client added, writable");
  static char chunk[4096];
  size_t sent = 0;
  for (;;) {
    ssize_t put = write(client, chunk, sizeof chunk);
    if (put < 0 && errno == EAGAIN) {
      /* Under simterpose bytes still cross to the server; write until the buffers are full. */
      struct epoll_event event;
      if (epoll_wait(client_epfd, &event, 1, 100) == 0) break;
      continue;
    }
    CHECK(put > 0);
    sent += (size_t)put;
  }
  wait_and_print(client_epfd, 0, "client buffer full");
  size_t received = 0;
  struct epoll_event event = {0};
  int count = 0;
  while (count == 0) {
    received += drain(server);
    count = epoll_wait(client_epfd, &event, 1, 100);
    CHECK(count >= 0);
  }
  describe("server reads, client room frees", count, &event);
  while (received < sent) {
    pause_ms(10);
    received += drain(server);
  }
  printf("%-44s %s\n", "every byte written was read", received == sent ? "yes" : "no");

  watch(epfd, EPOLL_CTL_MOD, server, EPOLLIN | EPOLLRDHUP | EPOLLET, 6);
  wait_and_print(epfd, 0, "nothing to read");
  CHECK(shutdown(client, SHUT_WR) == 0);
  wait_and_print(epfd, WAIT_MS, "client shuts down writing");
  wait_and_print(epfd, 0, "nothing new after the FIN");
  close(client);
  close(server);

  /* Two sockets with news and room for one event per wait: the second keeps its edge for the next wait. */
  int clients[2], servers[2];
  int pair_epfd = epoll_create1(0);
  CHECK(pair_epfd >= 0);
  for (int i = 0; i < 2; i++) {
    clients[i] = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(clients[i] >= 0);
    CHECK(connect(clients[i], (struct sockaddr *)&address, sizeof address) == 0);
    servers[i] = accept(listening, NULL, NULL);
    CHECK(servers[i] >= 0);
    watch(pair_epfd, EPOLL_CTL_ADD, servers[i], EPOLLIN | EPOLLET, 7 + i);
  }
  wait_and_print(pair_epfd, 0, "two sockets, nothing to read");
  CHECK(write(clients[0], "g", 1) == 1);
  CHECK(write(clients[1], "h", 1) == 1);
  pause_ms(50);
  wait_and_print(pair_epfd, 0, "both got a byte, one event per wait");
  wait_and_print(pair_epfd, 0, "the other one's edge is still there");
  wait_and_print(pair_epfd, 0, "nothing new");
  for (int i = 0; i < 2; i++) {
    close(clients[i]);
    close(servers[i]);
  }
  close(listening);
}

#define REQUESTS 20

static void split_client(struct sockaddr_in address) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0);
  for (int i = 0; i < REQUESTS; i++) {
    char half[8];
    snprintf(half, sizeof half, "%02d-", i);
    CHECK(write(fd, half, 3) == 3);
    pause_ms(5);
    CHECK(write(fd, "end\n", 4) == 4);
    char reply[8];
    size_t got = 0;
    while (got < 7) {
      ssize_t n = read(fd, reply + got, 7 - got);
      CHECK(n > 0);
      got += (size_t)n;
    }
    CHECK(memcmp(reply, half, 3) == 0 && memcmp(reply + 3, "end\n", 4) == 0);
  }
  close(fd);
  exit(0);
}

/* The server answers each whole request (7 bytes) with its echo. Between
 * its reads and its next epoll_wait it spends a little time, as a real
 * server does, so the second half often arrives while it is not waiting. */
static void split(void) {
  struct sockaddr_in address;
  int listening = listener(&address);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) split_client(address);
  int server = accept(listening, NULL, NULL);
  CHECK(server >= 0);
  set_nonblocking(server);
  int epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  watch(epfd, EPOLL_CTL_ADD, server, EPOLLIN | EPOLLET, 0);
  char request[64];
  size_t have = 0;
  int answered = 0;
  for (;;) {
    struct epoll_event event;
    int count = epoll_wait(epfd, &event, 1, 5000);
    CHECK(count >= 0);
    if (count == 0) break;
    int eof = 0;
    for (;;) {
      ssize_t got = read(server, request + have, sizeof request - have);
      if (got < 0 && errno == EAGAIN) break;
      CHECK(got >= 0);
      if (got == 0) {
        eof = 1;
        break;
      }
      have += (size_t)got;
    }
    while (have >= 7) {
      CHECK(write(server, request, 7) == 7);
      memmove(request, request + 7, have - 7);
      have -= 7;
      answered++;
    }
    if (eof) break;
    pause_ms(3);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  printf("answered %d of %d requests sent in two writes\n", answered, REQUESTS);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  CHECK(answered == REQUESTS);
}

/* Edge-triggered interest in `fd` for `events`, in an instance of its own. */
static int watched(int fd, unsigned events) {
  int epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  watch(epfd, EPOLL_CTL_ADD, fd, events | EPOLLET, (unsigned long long)fd);
  return epfd;
}

static void kernel(void) {
  int ends[2];
  CHECK(pipe2(ends, O_NONBLOCK) == 0);
  int epfd = watched(ends[0], EPOLLIN);
  CHECK(write(ends[1], "a", 1) == 1);
  wait_and_print(epfd, 0, "pipe: a write");
  wait_and_print(epfd, 0, "pipe: nothing new");
  CHECK(write(ends[1], "b", 1) == 1);
  wait_and_print(epfd, 0, "pipe: a write with data unread");
  drain(ends[0]);
  CHECK(write(ends[1], "c", 1) == 1);
  wait_and_print(epfd, 0, "pipe: emptied, then a write");
  drain(ends[0]);
  wait_and_print(epfd, 0, "pipe: emptied");
  int out = watched(ends[1], EPOLLOUT);
  wait_and_print(out, 0, "pipe's write end: room");
  static char block[4096];
  while (write(ends[1], block, sizeof block) > 0) continue;
  CHECK(errno == EAGAIN);
  wait_and_print(out, 0, "pipe's write end: filled");
  CHECK(read(ends[0], block, sizeof block) == sizeof block);
  wait_and_print(out, 0, "pipe's write end: a page read");

  int pair[2];
  CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair) == 0);
  int unix_epfd = watched(pair[0], EPOLLIN);
  CHECK(write(pair[1], "a", 1) == 1);
  wait_and_print(unix_epfd, 0, "socket pair: a write");
  drain(pair[0]);
  CHECK(write(pair[1], "b", 1) == 1);
  wait_and_print(unix_epfd, 0, "socket pair: emptied, then a write");

  int counter = eventfd(0, EFD_NONBLOCK);
  CHECK(counter >= 0);
  int event_epfd = watched(counter, EPOLLIN);
  unsigned long long one = 1;
  CHECK(write(counter, &one, sizeof one) == sizeof one);
  wait_and_print(event_epfd, 0, "eventfd: a write");
  CHECK(write(counter, &one, sizeof one) == sizeof one);
  wait_and_print(event_epfd, 0, "eventfd: a write with the count unread");
  drain(counter);
  CHECK(write(counter, &one, sizeof one) == sizeof one);
  wait_and_print(event_epfd, 0, "eventfd: emptied, then a write");
}

/* epoll_ctl's result, or its errno's name. */
static const char *ctl(int epfd, int op, int fd) {
  struct epoll_event event = {.events = EPOLLIN | EPOLLOUT, .data.fd = fd};
  return epoll_ctl(epfd, op, fd, &event) == 0 ? "0" : strerrorname_np(errno);
}

static void closed(void) {
  int epfd = epoll_create1(0);
  CHECK(epfd >= 0);
  int first = socket(AF_INET, SOCK_STREAM, 0);
  printf("add a socket: %s\n", ctl(epfd, EPOLL_CTL_ADD, first));
  CHECK(close(first) == 0);
  int second = socket(AF_INET, SOCK_STREAM, 0);
  printf("closed; the next socket takes its number: %d\n", second == first);
  printf("add it: %s\n", ctl(epfd, EPOLL_CTL_ADD, second));
  printf("modify it: %s\n", ctl(epfd, EPOLL_CTL_MOD, second));
  printf("delete it: %s\n", ctl(epfd, EPOLL_CTL_DEL, second));
  printf("delete it again: %s\n", ctl(epfd, EPOLL_CTL_DEL, second));
  printf("add it again: %s\n", ctl(epfd, EPOLL_CTL_ADD, second));
  int copy = dup(second);
  CHECK(copy >= 0 && close(second) == 0);
  int third = socket(AF_INET, SOCK_STREAM, 0);
  printf("its number closed, a dup open; the next socket takes the number: %d\n", third == second);
  printf("modify the new one: %s\n", ctl(epfd, EPOLL_CTL_MOD, third));
  printf("add the new one: %s\n", ctl(epfd, EPOLL_CTL_ADD, third));
  close(third);
  close(copy);
  close(epfd);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  CHECK(argc == 2);
  if (strcmp(argv[1], "sequence") == 0) sequence();
  else if (strcmp(argv[1], "split") == 0) split();
  else if (strcmp(argv[1], "kernel") == 0) kernel();
  else if (strcmp(argv[1], "closed") == 0) closed();
  else CHECK(!"unknown mode");
  printf("EXIT-SUCCESS\n");
  return 0;
}
