/* TCP connections ended abruptly, and what each end sees afterwards, printed
 * so that a native run and a run under simterpose compare line for line:
 * connect(AF_UNSPEC) disconnects an established socket (tcp_disconnect: an
 * RST to the peer, the socket closed and free to connect again) and a
 * listener, giving back a port the kernel picked; a close with unread data, or with SO_LINGER on and a zero
 * time, resets the connection. After a reset
 * getpeername has no peer, the error comes once (before a bad buffer is
 * looked at, and to a receive of nothing too), then EPIPE. A connect closed
 * before its handshake ended leaves nothing reset for the listener. Raw syscalls: glibc's wrappers would check some
 * arguments before the kernel sees them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "net_listen.h"
#include "semantics.h"

static void report(const char *what, long result) { printf("%s: %s\n", what, outcome(result)); }

/* Waits until `fd` shows something, or a second passed: what was sent has landed. */
static void settle(int fd) {
  struct pollfd entry = {.fd = fd, .events = POLLIN};
  poll(&entry, 1, 1000);
}

static const struct sockaddr unspecified = {.sa_family = AF_UNSPEC};

/* What the socket says of itself: its peer, its own address (whether it still has a port), its pending error. */
static void describe(const char *who, int fd) {
  struct sockaddr_in address;
  socklen_t length = sizeof address;
  printf("%s getpeername: %s\n", who, outcome(syscall(SYS_getpeername, fd, &address, &length)));
  length = sizeof address;
  long r = syscall(SYS_getsockname, fd, &address, &length);
  if (r == 0) printf("%s getsockname: %s port %s\n", who, inet_ntoa(address.sin_addr), address.sin_port == 0 ? "0" : "set");
  else printf("%s getsockname: %s\n", who, outcome(r));
  int error = -1;
  length = sizeof error;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("%s SO_ERROR: %s\n", who, error == 0 ? "0" : strerrorname_np(error));
}

/* What poll, a read and a write of `fd` find now (none waits). */
static void probe(const char *who, int fd) {
  struct pollfd entry = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
  CHECK(poll(&entry, 1, 0) >= 0);
  printf("%s poll:%s%s%s%s%s\n", who, entry.revents & POLLIN ? " IN" : "", entry.revents & POLLOUT ? " OUT" : "", entry.revents & POLLRDHUP ? " RDHUP" : "",
         entry.revents & POLLHUP ? " HUP" : "", entry.revents & POLLERR ? " ERR" : "");
  char data[16];
  printf("%s recv: %s\n", who, outcome(syscall(SYS_recvfrom, fd, data, sizeof data, MSG_DONTWAIT, NULL, NULL)));
  printf("%s recv again: %s\n", who, outcome(syscall(SYS_recvfrom, fd, data, sizeof data, MSG_DONTWAIT, NULL, NULL)));
  printf("%s send: %s\n", who, outcome(syscall(SYS_sendto, fd, "x", 1, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0)));
}

/* A listener on the loopback (at `address`), a client connected to it and the server's end of that connection. */
static void connected_pair(struct sockaddr_in *address, int *listener, int *client, int *server) {
  *listener = loopback_listener(address);
  *client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(*client >= 0);
  CHECK(connect(*client, (struct sockaddr *)address, sizeof *address) == 0);
  *server = accept(*listener, NULL, NULL);
  CHECK(*server >= 0);
}

/* connect(AF_UNSPEC) on an established socket: 0, an RST to the peer; the socket may connect again. */
static void disconnect_established(void) {
  struct sockaddr_in address;
  int listener, client, server;
  connected_pair(&address, &listener, &client, &server);
  report("connect(AF_UNSPEC) on an established socket", syscall(SYS_connect, client, &unspecified, sizeof unspecified));
  settle(server);
  describe("disconnected", client);
  probe("disconnected", client);
  describe("its peer", server);
  probe("its peer", server);
  report("connect(AF_UNSPEC) again", syscall(SYS_connect, client, &unspecified, sizeof unspecified));
  report("connect to the listener again", syscall(SYS_connect, client, &address, sizeof address));
  int again = accept(listener, NULL, NULL);
  CHECK(again >= 0);
  report("send on the new connection", syscall(SYS_sendto, client, "hello", 5, 0, NULL, 0));
  char data[16];
  report("its peer receives", syscall(SYS_recvfrom, again, data, sizeof data, 0, NULL, NULL));
  close(again);
  close(server);
  close(client);
  close(listener);
}

/* connect(AF_UNSPEC) on a listener: it stops listening, and may listen again. */
static void disconnect_listener(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  report("connect(AF_UNSPEC) on a listener", syscall(SYS_connect, listener, &unspecified, sizeof unspecified));
  report("accept4 on it", syscall(SYS_accept4, listener, NULL, NULL, SOCK_NONBLOCK));
  int client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(client >= 0);
  report("a client connects to its port", syscall(SYS_connect, client, &address, sizeof address));
  settle(client);
  int error = -1;
  socklen_t length = sizeof error;
  CHECK(getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("the client's SO_ERROR: %s\n", error == 0 ? "0" : strerrorname_np(error));
  report("listen again", syscall(SYS_listen, listener, 4));
  close(client);
  close(listener);
}

/* A connection to `address` from `client`, reset at once by connect(AF_UNSPEC). */
static void connect_and_disconnect(int client, const struct sockaddr_in *address, int listener) {
  CHECK(connect(client, (const struct sockaddr *)address, sizeof *address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  CHECK(syscall(SYS_connect, client, &unspecified, sizeof unspecified) == 0);
  close(server);
}

/* Whether a socket may be bound again after connect(AF_UNSPEC): a port the
 * kernel picked (at connect, at listen, or for a bind to port 0) is given
 * back, though getsockname still shows it; a port the program chose is kept. */
static void disconnect_gives_back_picked_ports(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  struct sockaddr_in loopback_any_port = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

  int picked_at_connect = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(picked_at_connect >= 0);
  connect_and_disconnect(picked_at_connect, &address, listener);
  describe("port picked at connect", picked_at_connect);
  report("port picked at connect, bind", syscall(SYS_bind, picked_at_connect, &loopback_any_port, sizeof loopback_any_port));
  describe("port picked at connect, bound again", picked_at_connect);
  report("port picked at connect, connect again", syscall(SYS_connect, picked_at_connect, &address, sizeof address));
  int again = accept(listener, NULL, NULL);
  CHECK(again >= 0);
  close(again);
  close(picked_at_connect);

  int picked_at_bind = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(picked_at_bind >= 0);
  CHECK(bind(picked_at_bind, (struct sockaddr *)&loopback_any_port, sizeof loopback_any_port) == 0);
  connect_and_disconnect(picked_at_bind, &address, listener);
  describe("address bound, port picked", picked_at_bind);
  report("address bound, port picked, bind", syscall(SYS_bind, picked_at_bind, &loopback_any_port, sizeof loopback_any_port));
  close(picked_at_bind);

  int chosen = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(chosen >= 0);
  struct sockaddr_in own = loopback_any_port;
  CHECK(bind(chosen, (struct sockaddr *)&own, sizeof own) == 0);
  socklen_t length = sizeof own;
  CHECK(getsockname(chosen, (struct sockaddr *)&own, &length) == 0);
  close(chosen);
  /* The port the kernel just handed out, now free, chosen by the program. */
  chosen = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(chosen >= 0);
  CHECK(bind(chosen, (struct sockaddr *)&own, sizeof own) == 0);
  connect_and_disconnect(chosen, &address, listener);
  describe("port chosen", chosen);
  report("port chosen, bind", syscall(SYS_bind, chosen, &loopback_any_port, sizeof loopback_any_port));
  close(chosen);

  int listening = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listening >= 0);
  CHECK(listen(listening, 4) == 0);
  CHECK(syscall(SYS_connect, listening, &unspecified, sizeof unspecified) == 0);
  describe("port picked at listen", listening);
  report("port picked at listen, bind", syscall(SYS_bind, listening, &loopback_any_port, sizeof loopback_any_port));
  close(listening);
  close(listener);
}

/* A close with unread data resets the connection; the other end's error comes once, before its buffer is looked at. */
static void reset_by_close(void) {
  struct sockaddr_in address;
  int listener, client, server;
  connected_pair(&address, &listener, &client, &server);
  CHECK(send(server, "unread", 6, 0) == 6);
  settle(client);
  close(client);
  settle(server);
  report("write of a NULL buffer after the reset", syscall(SYS_write, server, NULL, 10));
  report("write of a NULL buffer once more", syscall(SYS_write, server, NULL, 10));
  describe("reset", server);
  probe("reset", server);
  report("connect(AF_UNSPEC) after the reset", syscall(SYS_connect, server, &unspecified, sizeof unspecified));
  describe("reset then disconnected", server);
  close(server);
  close(listener);
}

/* Connects `client` to the listener at `address`; `victim` (the client, or the accepted end) is reset: the other end closes with data unread. */
static int reset_one_end(int client, const struct sockaddr_in *address, int listener, int reset_the_client) {
  CHECK(connect(client, (const struct sockaddr *)address, sizeof *address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  int victim = reset_the_client ? client : server, other = reset_the_client ? server : client;
  CHECK(send(victim, "unread", 6, 0) == 6);
  settle(other);
  close(other);
  settle(victim);
  return victim;
}

/* A connection reset closes the socket (TCP_CLOSE) though it stays connected for
 * connect and listen: a port the kernel picked is given back, and bind works. */
static void reset_gives_back_picked_ports(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  struct sockaddr_in loopback_any_port = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};

  int accepted = reset_one_end(socket(AF_INET, SOCK_STREAM, 0), &address, listener, 0);
  describe("accepted, reset", accepted);
  report("accepted, reset, bind", syscall(SYS_bind, accepted, &loopback_any_port, sizeof loopback_any_port));
  report("accepted, reset, bound, bind again", syscall(SYS_bind, accepted, &loopback_any_port, sizeof loopback_any_port));
  report("accepted, reset, listen", syscall(SYS_listen, accepted, 4));
  report("accepted, reset, connect", syscall(SYS_connect, accepted, &address, sizeof address));
  close(accepted);

  int client = reset_one_end(socket(AF_INET, SOCK_STREAM, 0), &address, listener, 1);
  describe("client, reset", client);
  report("client, reset, bind", syscall(SYS_bind, client, &loopback_any_port, sizeof loopback_any_port));
  close(client);
  close(listener);

  /* A listener on a port the program chose: its connections keep that port. */
  int chosen_listener = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(chosen_listener >= 0);
  CHECK(bind(chosen_listener, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(listen(chosen_listener, 4) == 0);
  accepted = reset_one_end(socket(AF_INET, SOCK_STREAM, 0), &address, chosen_listener, 0);
  report("accepted on a chosen port, reset, bind", syscall(SYS_bind, accepted, &loopback_any_port, sizeof loopback_any_port));
  close(accepted);
  close(chosen_listener);
}

/* SO_LINGER on with a zero time: a close resets the connection even with nothing unread. */
static void reset_by_lingering_close(void) {
  struct sockaddr_in address;
  int listener, client, server;
  connected_pair(&address, &listener, &client, &server);
  struct linger linger = {.l_onoff = 1, .l_linger = 0};
  report("setsockopt(SO_LINGER, on, 0 s)", syscall(SYS_setsockopt, client, SOL_SOCKET, SO_LINGER, &linger, sizeof linger));
  close(client);
  settle(server);
  char none[1];
  report("recv of nothing after the reset", syscall(SYS_recvfrom, server, none, 0, MSG_DONTWAIT, NULL, NULL));
  probe("reset by a lingering close", server);
  describe("reset by a lingering close", server);
  close(server);
  close(listener);
}

/* A non-blocking connect no second connect confirmed, then a reset: the confirmation finds the socket closed (ECONNABORTED once its error was taken). */
static void reset_before_confirmation(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int client = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(client >= 0);
  report("non-blocking connect", syscall(SYS_connect, client, &address, sizeof address));
  struct pollfd connected = {.fd = client, .events = POLLOUT};
  CHECK(poll(&connected, 1, 1000) == 1);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  struct linger linger = {.l_onoff = 1, .l_linger = 0};
  CHECK(setsockopt(server, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) == 0);
  close(server);
  settle(client);
  int error = -1;
  socklen_t length = sizeof error;
  CHECK(getsockopt(client, SOL_SOCKET, SO_ERROR, &error, &length) == 0);
  printf("SO_ERROR after the reset: %s\n", error == 0 ? "0" : strerrorname_np(error));
  report("connect again, to confirm", syscall(SYS_connect, client, &address, sizeof address));
  report("connect once more", syscall(SYS_connect, client, &address, sizeof address));
  close(client);
  close(listener);
}

/* A non-blocking connect abandoned at once, closed before its handshake can
 * have ended (under simterpose its SYN is still on its way; on the loopback
 * Linux may have ended it within connect): the listener never meets a reset
 * from it. A later connection that sends one byte marks the end of what the
 * listener may accept. */
static void abandoned_connect(void) {
  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int abandoned = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(abandoned >= 0);
  CHECK(connect(abandoned, (struct sockaddr *)&address, sizeof address) == 0 || errno == EINPROGRESS);
  close(abandoned);
  int marker = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(marker >= 0);
  CHECK(connect(marker, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(send(marker, "m", 1, 0) == 1);
  int resets = 0;
  for (;;) {
    int server = accept(listener, NULL, NULL);
    CHECK(server >= 0);
    char byte;
    long got = recv(server, &byte, 1, 0);
    int error = errno;
    close(server);
    if (got == 1) break;
    if (got < 0 && error == ECONNRESET) resets++;
  }
  printf("connections reset after an abandoned connect: %d\n", resets);
  close(marker);
  close(listener);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  disconnect_established();
  disconnect_listener();
  disconnect_gives_back_picked_ports();
  reset_by_close();
  reset_gives_back_picked_ports();
  reset_by_lingering_close();
  reset_before_confirmation();
  abandoned_connect();
  puts("EXIT-SUCCESS");
  return 0;
}
