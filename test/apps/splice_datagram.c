/* splice and sendfile between pipes, files and a UDP socket, over 127.0.0.1
 * then ::1: from a pipe, one datagram per call of what was asked and the
 * pipe holds (EDESTADDRREQ without a peer, leaving the pipe as it was;
 * EMSGSIZE past the largest datagram; SPLICE_F_MORE corks it as MSG_MORE
 * does; an empty pipe waited for or EAGAIN); into a pipe, one datagram per
 * call, cut to what was asked and the pipe has room for, the rest of it
 * dropped as recv drops it (an empty datagram gives 0; an empty socket
 * EAGAIN only when O_NONBLOCK, whatever the flags; a full pipe EAGAIN with
 * SPLICE_F_NONBLOCK, the datagram kept); sendfile of a file into the socket
 * (one datagram) and of the socket into a pipe; an ICMP port unreachable
 * reported by the next splice. Prints one line per step, compared line for
 * line with the real kernel. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "semantics.h"

static int pending(int fd) {
  int count;
  CHECK(ioctl(fd, FIONREAD, &count) == 0);
  return count;
}

static char buffer[70000];

/* Waits up to 100 ms for a datagram on `fd`: one crosses a simulated
 * host's loopback in virtual time, not at once as natively. */
static void await_datagram(int fd) {
  struct pollfd watched = {.fd = fd, .events = POLLIN};
  CHECK(poll(&watched, 1, 100) >= 0);
}

/* The next datagram on `fd`, or the errno of its absence. */
static const char *next_datagram(int fd) {
  await_datagram(fd);
  return outcome(recv(fd, buffer, sizeof buffer, MSG_DONTWAIT));
}

static void fill_pipe(int fd, char byte) {
  memset(buffer, byte, 4096);
  for (int i = 0; i < 16; i++) CHECK(write(fd, buffer, 4096) == 4096);
}

static void exchange(int family) {
  struct sockaddr_storage address = {0};
  socklen_t length;
  if (family == AF_INET6) {
    struct sockaddr_in6 *ipv6 = (struct sockaddr_in6 *)&address;
    ipv6->sin6_family = AF_INET6;
    ipv6->sin6_addr = in6addr_loopback;
    length = sizeof *ipv6;
  } else {
    struct sockaddr_in *ipv4 = (struct sockaddr_in *)&address;
    ipv4->sin_family = AF_INET;
    ipv4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof *ipv4;
  }
  int sender = socket(family, SOCK_DGRAM, 0), receiver = socket(family, SOCK_DGRAM, 0);
  CHECK(sender >= 0 && receiver >= 0);
  CHECK(bind(receiver, (struct sockaddr *)&address, length) == 0);
  CHECK(getsockname(receiver, (struct sockaddr *)&address, &length) == 0);
  int p[2];
  CHECK(pipe(p) == 0);
  /* Taken before the counts printed with it: printf's arguments come in no set order. */
  long result;

  printf("-- pipe into the socket\n");
  CHECK(write(p[1], "hello", 5) == 5);
  result = splice(p[0], NULL, sender, NULL, 5, 0);
  printf("no peer: %s, left in the pipe: %d\n", outcome(result), pending(p[0]));
  CHECK(connect(sender, (struct sockaddr *)&address, length) == 0);
  result = splice(p[0], NULL, sender, NULL, 3, 0);
  printf("3 of 5: %s, left in the pipe: %d\n", outcome(result), pending(p[0]));
  printf("  datagram: %s\n", next_datagram(receiver));
  CHECK(write(p[1], "two", 3) == 3);
  printf("two writes in the pipe, 100 asked: %s\n", outcome(splice(p[0], NULL, sender, NULL, 100, 0)));
  printf("  datagram: %s\n", next_datagram(receiver));
  printf("  datagram: %s\n", next_datagram(receiver));
  CHECK(write(p[1], "more", 4) == 4);
  printf("SPLICE_F_MORE: %s\n", outcome(splice(p[0], NULL, sender, NULL, 100, SPLICE_F_MORE)));
  printf("  datagram: %s\n", next_datagram(receiver));
  printf("then a send of 3: %s\n", outcome(send(sender, "end", 3, 0)));
  printf("  datagram: %s\n", next_datagram(receiver));
  printf("empty pipe, SPLICE_F_NONBLOCK: %s\n", outcome(splice(p[0], NULL, sender, NULL, 100, SPLICE_F_NONBLOCK)));
  fill_pipe(p[1], 'x');
  result = splice(p[0], NULL, sender, NULL, 65536, 0);
  printf("65536 bytes: %s, left in the pipe: %d\n", outcome(result), pending(p[0]));
  result = splice(p[0], NULL, sender, NULL, 65507, 0);
  printf("65507 bytes: %s, left in the pipe: %d\n", outcome(result), pending(p[0]));
  printf("  datagram: %s\n", next_datagram(receiver));
  CHECK(read(p[0], buffer, sizeof buffer) == 29);

  printf("-- socket into the pipe\n");
  CHECK(send(sender, "abcdef", 6, 0) == 6);
  CHECK(send(sender, "", 0, 0) == 0);
  CHECK(send(sender, "xyz", 3, 0) == 3);
  result = splice(receiver, NULL, p[1], NULL, 4, 0);
  printf("4 of a datagram of 6: %s, in the pipe: %d, left in the socket: %d\n", outcome(result), pending(p[0]),
         pending(receiver));
  printf("an empty datagram: %s\n", outcome(splice(receiver, NULL, p[1], NULL, 100, 0)));
  printf("100 asked: %s\n", outcome(splice(receiver, NULL, p[1], NULL, 100, 0)));
  printf("  the pipe: %s\n", outcome(read(p[0], buffer, sizeof buffer)));
  CHECK(fcntl(receiver, F_SETFL, O_NONBLOCK) == 0);
  printf("empty O_NONBLOCK socket: %s\n", outcome(splice(receiver, NULL, p[1], NULL, 100, 0)));
  CHECK(fcntl(receiver, F_SETFL, 0) == 0);
  fill_pipe(p[1], 'y');
  CHECK(send(sender, "q", 1, 0) == 1);
  await_datagram(receiver);
  result = splice(receiver, NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK);
  printf("full pipe, SPLICE_F_NONBLOCK: %s, left in the socket: %d\n", outcome(result),
         pending(receiver));
  CHECK(read(p[0], buffer, 4096) == 4096);
  printf("room again: %s\n", outcome(splice(receiver, NULL, p[1], NULL, 100, 0)));
  CHECK(read(p[0], buffer, sizeof buffer) == 61441);

  printf("-- sendfile\n");
  char path[] = "/tmp/splice_datagram_XXXXXX";
  int file = mkstemp(path);
  CHECK(file >= 0);
  unlink(path);
  CHECK(ftruncate(file, 100000) == 0);
  off_t offset = 0;
  printf("10000 bytes of a file: %s\n", outcome(sendfile(sender, file, &offset, 10000)));
  printf("  datagram: %s\n", next_datagram(receiver));
  offset = 0;
  result = sendfile(sender, file, &offset, 100000);
  printf("100000 bytes of a file: %s, offset %ld\n", outcome(result), (long)offset);
  CHECK(send(sender, "0123456789", 10, 0) == 10);
  result = sendfile(p[1], receiver, NULL, 4);
  printf("4 of the socket into a pipe: %s, in the pipe: %d, left in the socket: %d\n", outcome(result), pending(p[0]),
         pending(receiver));
  CHECK(read(p[0], buffer, sizeof buffer) == 4);

  printf("-- nobody on the port\n");
  close(receiver);
  CHECK(send(sender, "ping", 4, 0) == 4);
  nap(10);
  CHECK(write(p[1], "lost", 4) == 4);
  result = splice(p[0], NULL, sender, NULL, 4, 0);
  printf("the port unreachable: %s, left in the pipe: %d\n", outcome(result), pending(p[0]));
  close(file);
  close(sender);
  close(p[0]);
  close(p[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  printf("== IPv4\n");
  exchange(AF_INET);
  printf("== IPv6\n");
  exchange(AF_INET6);
  printf("EXIT-SUCCESS\n");
  return 0;
}
