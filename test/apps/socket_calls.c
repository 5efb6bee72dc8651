/* Socket calls whose answers programs rely on, printed so that a native
 * run and a run under simterpose can be compared line for line:
 * getsockopt(IP_OPTIONS) (sshd refuses connections that carry IP options),
 * bind to an AF_UNSPEC INADDR_ANY address (accepted by Linux for old
 * programs), and connect called again after a non-blocking connect
 * completed (0 once, then EISCONN), recvmmsg on a UDP socket, recv(MSG_OOB)
 * with no urgent byte to read, listen after a disconnect, receive and send
 * timeouts out of range. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"

/* The result of a call and its errno, read after it returned. */
#define report(what, call)                                  \
  do {                                                      \
    errno = 0;                                              \
    long result_ = (long)(call);                            \
    printf("%s: %ld errno %d\n", what, result_, errno);     \
  } while (0)

static void ip_options(int type, const char *name) {
  int fd = socket(AF_INET, type, 0);
  CHECK(fd >= 0);
  unsigned char options[40];
  memset(options, 0xAA, sizeof options);
  socklen_t length = sizeof options;
  int result = getsockopt(fd, IPPROTO_IP, IP_OPTIONS, options, &length);
  printf("%s getsockopt(IP_OPTIONS): %d, length %u\n", name, result, (unsigned)length);
  close(fd);
}

static void bind_unspec(void) {
  struct sockaddr_in address = {.sin_family = AF_UNSPEC, .sin_addr.s_addr = htonl(INADDR_ANY)};
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  report("bind AF_UNSPEC INADDR_ANY", bind(fd, (struct sockaddr *)&address, sizeof address));
  struct sockaddr_in bound;
  socklen_t length = sizeof bound;
  CHECK(getsockname(fd, (struct sockaddr *)&bound, &length) == 0);
  printf("bound to family %d, address %s, port %s\n", bound.sin_family, inet_ntoa(bound.sin_addr), bound.sin_port == 0 ? "0" : "ephemeral");
  close(fd);

  fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(fd >= 0);
  report("datagram bind AF_UNSPEC INADDR_ANY", bind(fd, (struct sockaddr *)&address, sizeof address));
  close(fd);

  fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  report("bind AF_UNSPEC 127.0.0.1", bind(fd, (struct sockaddr *)&address, sizeof address));
  close(fd);
}

static void connect_again(void) {
  int listening = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listening >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(listening, (struct sockaddr *)&address, sizeof address) == 0);
  socklen_t length = sizeof address;
  CHECK(getsockname(listening, (struct sockaddr *)&address, &length) == 0);
  CHECK(listen(listening, 4) == 0);

  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  int result = connect(fd, (struct sockaddr *)&address, sizeof address);
  printf("non-blocking connect: %s\n", result == 0 ? "0" : errno == EINPROGRESS ? "EINPROGRESS" : strerror(errno));
  struct pollfd pending = {.fd = fd, .events = POLLOUT};
  CHECK(poll(&pending, 1, 5000) == 1);
  int error = -1;
  socklen_t error_length = sizeof error;
  CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) == 0);
  printf("writable, SO_ERROR %d\n", error);
  report("connect again once connected", connect(fd, (struct sockaddr *)&address, sizeof address));
  report("and once more", connect(fd, (struct sockaddr *)&address, sizeof address));
  close(fd);

  /* Called again while the handshake is under way, it says so. */
  fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0 || errno == EINPROGRESS);
  CHECK(poll(&pending, 0, 0) == 0);
  pending.fd = fd;
  CHECK(poll(&pending, 1, 5000) == 1);
  report("connect after poll, accept pending", connect(fd, (struct sockaddr *)&address, sizeof address));
  report("connect after that", connect(fd, (struct sockaddr *)&address, sizeof address));
  close(fd);
  close(listening);

  /* Refused: the next connect reports the refusal once; SO_ERROR read first takes it. */
  for (int read_error = 0; read_error < 2; read_error++) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
    CHECK(connect(fd, (struct sockaddr *)&address, sizeof address) == 0 || errno == EINPROGRESS || errno == ECONNREFUSED);
    pending.fd = fd;
    CHECK(poll(&pending, 1, 5000) == 1);
    if (read_error) {
      CHECK(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &error_length) == 0);
      printf("refused, SO_ERROR %d\n", error);
    }
    report("connect after a refusal", connect(fd, (struct sockaddr *)&address, sizeof address));
    close(fd);
  }
}

/* A fresh TCP socket's buffers are tcp_wmem's and tcp_rmem's defaults; a size set is reported doubled, at least Linux's floor. */
static void stream_buffers(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fd >= 0);
  int names[] = {SO_SNDBUF, SO_RCVBUF};
  for (int i = 0; i < 2; i++) {
    int value = 0;
    socklen_t length = sizeof value;
    CHECK(getsockopt(fd, SOL_SOCKET, names[i], &value, &length) == 0);
    printf("fresh stream %s: %d\n", i == 0 ? "SO_SNDBUF" : "SO_RCVBUF", value);
    int sizes[] = {1000, 65536};
    for (int j = 0; j < 2; j++) {
      CHECK(setsockopt(fd, SOL_SOCKET, names[i], &sizes[j], sizeof sizes[j]) == 0);
      CHECK(getsockopt(fd, SOL_SOCKET, names[i], &value, &length) == 0);
      printf("  after setting %d: %d\n", sizes[j], value);
    }
  }
  close(fd);
}

/* recvmmsg on a UDP socket: nothing there (EAGAIN), datagrams taken into
 * several entries (length, MSG_TRUNC for one cut short, the sender's
 * address), one waited for by a blocking call. */
static void datagram_batches(void) {
  int receiver = socket(AF_INET, SOCK_DGRAM, 0);
  int sender = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(receiver >= 0 && sender >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  CHECK(bind(receiver, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(bind(sender, (struct sockaddr *)&address, sizeof address) == 0);
  socklen_t length = sizeof address;
  CHECK(getsockname(receiver, (struct sockaddr *)&address, &length) == 0);
  struct sockaddr_in from;
  length = sizeof from;
  CHECK(getsockname(sender, (struct sockaddr *)&from, &length) == 0);
  char texts[4][16];
  struct iovec data[4];
  struct sockaddr_in sources[4];
  struct mmsghdr entries[4];
  memset(entries, 0, sizeof entries);
  for (int i = 0; i < 4; i++) {
    data[i] = (struct iovec){texts[i], sizeof texts[i]};
    entries[i].msg_hdr = (struct msghdr){.msg_name = &sources[i], .msg_namelen = sizeof sources[i], .msg_iov = &data[i], .msg_iovlen = 1};
  }
  report("recvmmsg with nothing there", recvmmsg(receiver, entries, 4, MSG_DONTWAIT, NULL));
  const char *sent[] = {"one", "two, cut short by the buffer", "three"};
  for (int i = 0; i < 3; i++) CHECK(sendto(sender, sent[i], strlen(sent[i]), 0, (struct sockaddr *)&address, sizeof address) == (ssize_t)strlen(sent[i]));
  int received = 0;
  while (received < 3) {
    int got = recvmmsg(receiver, entries + received, 4 - received, MSG_WAITFORONE, NULL);
    CHECK(got > 0);
    received += got;
  }
  for (int i = 0; i < 3; i++)
    printf("recvmmsg entry %d: \"%.*s\", length %u, MSG_TRUNC %d, from the sender %d\n", i, (int)(entries[i].msg_len < 16 ? entries[i].msg_len : 16), texts[i],
           entries[i].msg_len, (entries[i].msg_hdr.msg_flags & MSG_TRUNC) != 0,
           entries[i].msg_hdr.msg_namelen == sizeof from && sources[i].sin_port == from.sin_port && sources[i].sin_addr.s_addr == from.sin_addr.s_addr);
  CHECK(sendto(sender, "four", 4, 0, (struct sockaddr *)&address, sizeof address) == 4);
  report("blocking recvmmsg of one entry", recvmmsg(receiver, entries, 1, 0, NULL));
  printf("waited for: \"%.*s\"\n", (int)entries[0].msg_len, texts[0]);
  /* Mistakes: a timeout that faults or is no time, a vlen past UIO_MAXIOV (cut to it), an entry past the first that faults. */
  report("recvmmsg with a faulting timeout", recvmmsg(receiver, entries, 4, MSG_DONTWAIT, (struct timespec *)8));
  struct timespec invalid = {0, 2000000000};
  report("recvmmsg with an invalid timeout", recvmmsg(receiver, entries, 4, MSG_DONTWAIT, &invalid));
  report("recvmmsg of (unsigned)-1 entries with nothing there", recvmmsg(receiver, entries, (unsigned)-1, MSG_DONTWAIT, NULL));
  CHECK(sendto(sender, "five", 4, 0, (struct sockaddr *)&address, sizeof address) == 4);
  CHECK(sendto(sender, "six", 3, 0, (struct sockaddr *)&address, sizeof address) == 3);
  struct mmsghdr *faulting = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(faulting != MAP_FAILED);
  CHECK(munmap((char *)faulting + 4096, 4096) == 0);
  /* The first entry ends the page; the second is past it. */
  struct mmsghdr *last = (struct mmsghdr *)((char *)faulting + 4096) - 1;
  *last = entries[0];
  report("recvmmsg whose second entry faults", recvmmsg(receiver, last, 2, MSG_WAITFORONE, NULL));

  close(sender);
  close(receiver);
}

/* recv(MSG_OOB) with no urgent byte: EINVAL on a TCP socket in any state but listening (ENOTCONN), even with
 * data or an end to read, which stay for the next recv; UDP ignores the flag. */
static void urgent_reads(void) {
  char bytes[16];
  int fresh = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  CHECK(fresh >= 0);
  report("recv(MSG_OOB) on a fresh TCP socket", recv(fresh, bytes, sizeof bytes, MSG_OOB));
  report("recv(MSG_OOB | MSG_WAITALL) on it", recv(fresh, bytes, sizeof bytes, MSG_OOB | MSG_WAITALL));
  close(fresh);

  int listening = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(listening >= 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t length = sizeof address;
  CHECK(bind(listening, (struct sockaddr *)&address, length) == 0 && listen(listening, 4) == 0);
  CHECK(getsockname(listening, (struct sockaddr *)&address, &length) == 0);
  report("recv(MSG_OOB) on a listener", recv(listening, bytes, sizeof bytes, MSG_OOB | MSG_DONTWAIT));
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0 && connect(client, (struct sockaddr *)&address, length) == 0);
  int server = accept(listening, NULL, NULL);
  CHECK(server >= 0);
  report("recv(MSG_OOB) with nothing sent", recv(client, bytes, sizeof bytes, MSG_OOB | MSG_DONTWAIT));
  CHECK(send(server, "plain", 5, 0) == 5);
  struct pollfd arrival = {.fd = client, .events = POLLIN};
  CHECK(poll(&arrival, 1, 5000) == 1);
  report("recv(MSG_OOB) with bytes there", recv(client, bytes, sizeof bytes, MSG_OOB | MSG_DONTWAIT));
  report("recv(MSG_OOB | MSG_PEEK) with bytes there", recv(client, bytes, sizeof bytes, MSG_OOB | MSG_PEEK | MSG_DONTWAIT));
  report("recv then", recv(client, bytes, sizeof bytes, MSG_DONTWAIT));
  /* MSG_TRUNC on a stream takes the bytes without copying them: no buffer, or one that cannot be written, is no fault. */
  CHECK(send(server, "discarded", 9, 0) == 9);
  CHECK(poll(&arrival, 1, 5000) == 1);
  report("recv(MSG_TRUNC | MSG_PEEK) into no buffer", recv(client, NULL, 4, MSG_TRUNC | MSG_PEEK | MSG_DONTWAIT));
  report("recv(MSG_TRUNC) into no buffer", recv(client, NULL, 4, MSG_TRUNC | MSG_DONTWAIT));
  report("recv then", recv(client, bytes, sizeof bytes, MSG_DONTWAIT));
  /* MSG_WAITALL on a call that may not wait takes what is there (tcp_recvmsg stops at no time left), by flag or descriptor. */
  CHECK(send(server, "abc", 3, 0) == 3);
  CHECK(poll(&arrival, 1, 5000) == 1);
  report("recv(MSG_WAITALL | MSG_DONTWAIT) of 16 with 3 there", recv(client, bytes, sizeof bytes, MSG_WAITALL | MSG_DONTWAIT));
  CHECK(send(server, "de", 2, 0) == 2);
  CHECK(poll(&arrival, 1, 5000) == 1);
  CHECK(fcntl(client, F_SETFL, O_NONBLOCK) == 0);
  report("recv(MSG_WAITALL | MSG_TRUNC) of 16 with 2 there, O_NONBLOCK", recv(client, bytes, sizeof bytes, MSG_WAITALL | MSG_TRUNC));
  report("recv(MSG_WAITALL) with none there, O_NONBLOCK", recv(client, bytes, sizeof bytes, MSG_WAITALL));
  CHECK(fcntl(client, F_SETFL, 0) == 0);
  close(server);
  CHECK(poll(&arrival, 1, 5000) == 1);
  report("recv(MSG_OOB) after the peer closed", recv(client, bytes, sizeof bytes, MSG_OOB | MSG_DONTWAIT));
  report("recv then", recv(client, bytes, sizeof bytes, MSG_DONTWAIT));
  close(client);
  close(listening);

  int datagrams = socket(AF_INET, SOCK_DGRAM, 0);
  CHECK(datagrams >= 0 && bind(datagrams, (struct sockaddr *)&address, sizeof address) == 0);
  length = sizeof address;
  CHECK(getsockname(datagrams, (struct sockaddr *)&address, &length) == 0);
  CHECK(sendto(datagrams, "datagram", 8, 0, (struct sockaddr *)&address, length) == 8);
  report("recv(MSG_OOB) on a UDP socket", recv(datagrams, bytes, sizeof bytes, MSG_OOB));
  close(datagrams);
}

/* listen after connect(AF_UNSPEC): a socket that never took part in a handshake may (fresh, bound, a listener),
 * one that did may not, whatever came of it (connected, accepted, refused), even bound again. */
static void listen_after_disconnect(void) {
  struct sockaddr unspecified = {.sa_family = AF_UNSPEC};
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fresh = socket(AF_INET, SOCK_STREAM, 0), bound = socket(AF_INET, SOCK_STREAM, 0), listening = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(fresh >= 0 && bound >= 0 && listening >= 0);
  CHECK(bind(bound, (struct sockaddr *)&address, sizeof address) == 0);
  CHECK(bind(listening, (struct sockaddr *)&address, sizeof address) == 0 && listen(listening, 4) == 0);
  const int unconnected[] = {fresh, bound, listening};
  const char *names[] = {"fresh", "bound", "listening"};
  for (int i = 0; i < 3; i++) {
    report(names[i], connect(unconnected[i], &unspecified, sizeof unspecified));
    report("  then listen", listen(unconnected[i], 4));
  }
  socklen_t length = sizeof address;
  CHECK(getsockname(listening, (struct sockaddr *)&address, &length) == 0);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(client >= 0 && connect(client, (struct sockaddr *)&address, length) == 0);
  int accepted = accept(listening, NULL, NULL);
  CHECK(accepted >= 0);
  report("connected client", connect(client, &unspecified, sizeof unspecified));
  report("  then listen", listen(client, 4));
  report("accepted", connect(accepted, &unspecified, sizeof unspecified));
  report("  then listen", listen(accepted, 4));
  close(listening);
  /* A refused connection gives back the port it took, bound or picked by connect, and the address the route chose; getsockname still shows the port. */
  for (int bind_first = 0; bind_first < 2; bind_first++) {
    int closed = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, local;
    CHECK(closed >= 0 && (!bind_first || bind(closed, (struct sockaddr *)&loopback, sizeof loopback) == 0));
    report(bind_first ? "bound to 127.0.0.1, connect refused" : "connect refused", connect(closed, (struct sockaddr *)&address, length));
    socklen_t local_length = sizeof local;
    CHECK(getsockname(closed, (struct sockaddr *)&local, &local_length) == 0);
    printf("  then getsockname: port %s, address %s\n", local.sin_port == 0 ? "0" : "kept", inet_ntoa(local.sin_addr));
    report("  then bind", bind(closed, (struct sockaddr *)&loopback, sizeof loopback));
    close(closed);
  }
  int refused = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(refused >= 0);
  report("connect to a port nobody listens on", connect(refused, (struct sockaddr *)&address, length));
  report("  then listen", listen(refused, 4));
  address.sin_port = 0;
  report("  bound again", bind(refused, (struct sockaddr *)&address, sizeof address));
  report("  then listen", listen(refused, 4));
  close(fresh);
  close(bound);
  close(client);
  close(accepted);
  close(refused);
}

/* SO_RCVTIMEO and SO_SNDTIMEO refuse microseconds outside a second (EDOM), checked before the seconds; a negative second is taken. */
static void timeout_values(void) {
  const struct timeval values[] = {{0, 999999}, {0, 1000000}, {0, -1}, {-5, 0}, {-1, 1000000}};
  const int types[] = {SOCK_STREAM, SOCK_DGRAM};
  for (int t = 0; t < 2; t++) {
    int fd = socket(AF_INET, types[t], 0);
    CHECK(fd >= 0);
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
      for (int name = SO_RCVTIMEO; name <= SO_SNDTIMEO; name++) {
        char what[96];
        snprintf(what, sizeof what, "%s %s {%ld, %ld}", t == 0 ? "TCP" : "UDP", name == SO_RCVTIMEO ? "SO_RCVTIMEO" : "SO_SNDTIMEO", (long)values[v].tv_sec,
                 (long)values[v].tv_usec);
        report(what, setsockopt(fd, SOL_SOCKET, name, &values[v], sizeof values[v]));
      }
    }
    close(fd);
  }
}

/* A UDP connect refused for its address (too short, another family) still binds the socket first
 * (inet_dgram_connect's inet_autobind), so bind then fails; AF_UNSPEC binds nothing. */
static void datagram_connect_binds(void) {
  const struct {
    const char *what;
    sa_family_t family;
    socklen_t length;
  } cases[] = {{"a 3-byte AF_INET address", AF_INET, 3}, {"an AF_INET6 address on an AF_INET socket", AF_INET6, 28}, {"AF_UNSPEC", AF_UNSPEC, 16}};
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_storage address = {.ss_family = cases[i].family};
    int connected = connect(fd, (struct sockaddr *)&address, cases[i].length);
    printf("udp connect to %s: %s", cases[i].what, connected == 0 ? "0" : strerrorname_np(errno));
    struct sockaddr_in local;
    socklen_t length = sizeof local;
    CHECK(getsockname(fd, (struct sockaddr *)&local, &length) == 0);
    struct sockaddr_in loopback = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int bound = bind(fd, (struct sockaddr *)&loopback, sizeof loopback);
    printf(", %s, bind then %s\n", local.sin_port != 0 ? "bound" : "unbound", bound == 0 ? "0" : strerrorname_np(errno));
    close(fd);
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  datagram_connect_binds();
  stream_buffers();
  ip_options(SOCK_STREAM, "stream");
  ip_options(SOCK_DGRAM, "datagram");
  bind_unspec();
  connect_again();
  datagram_batches();
  urgent_reads();
  listen_after_disconnect();
  timeout_values();
  printf("EXIT-SUCCESS\n");
  return 0;
}
