/* splice between pipes and a TCP socket: a file's bytes through a pipe into
 * the socket (1 MiB in one blocking call while a thread reads) and from the
 * socket through a pipe into a file; a splice that
 * moves less than the pipe holds, or than it has room for, leaves the rest;
 * an empty pipe or socket is waited for, or EAGAIN when non-blocking; a
 * full pipe is waited for; EOF, EPIPE, and the errno Linux gives each
 * mistake, in its order; tee and sendfile with a socket; a socket spliced
 * into stdout when that is a pipe. Prints one line per
 * step, compared line for line with the real kernel. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net_listen.h"
#include "byte_pattern.h"
#include "semantics.h"

enum { FILE_BYTES = 40000 };

static void write_pattern(int fd, long from, long count) {
  unsigned char buffer[FILE_BYTES];
  CHECK(count <= (long)sizeof buffer);
  for (long i = 0; i < count; i++) buffer[i] = pattern_at(from + i);
  CHECK(write(fd, buffer, count) == count);
}

static int pending(int fd) {
  int count;
  CHECK(ioctl(fd, FIONREAD, &count) == 0);
  return count;
}

/* After 50 ms, writes `count` pattern bytes into `fd` (then closes it when `close_after`). */
struct late_writer {
  int fd;
  long count;
  int close_after;
};

static void *write_late(void *arg) {
  struct late_writer *writer = arg;
  nap(50);
  write_pattern(writer->fd, 0, writer->count);
  if (writer->close_after) close(writer->fd);
  return NULL;
}

/* After 50 ms, reads `count` bytes from `fd`. */
struct late_reader {
  int fd;
  long count;
  int same;
};

static void *read_late(void *arg) {
  struct late_reader *reader = arg;
  nap(50);
  reader->same = received_match(reader->fd, 0, reader->count, 0);
  return NULL;
}

static pthread_t start(void *(*body)(void *), void *arg) {
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, body, arg) == 0);
  return thread;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char path[] = "/tmp/splice_socket_XXXXXX";
  int file = mkstemp(path);
  CHECK(file >= 0);
  unlink(path);
  write_pattern(file, 0, FILE_BYTES);
  CHECK(lseek(file, 0, SEEK_SET) == 0);

  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);
  int p[2];
  CHECK(pipe(p) == 0);

  printf("-- pipe into the socket\n");
  printf("file into the pipe: %s\n", outcome(splice(file, NULL, p[1], NULL, FILE_BYTES, 0)));
  printf("pipe into the socket, 100000 asked: %s\n", outcome(splice(p[0], NULL, client, NULL, 100000, 0)));
  printf("  received as sent: %d, left in the pipe: %d\n", received_match(server, 0, FILE_BYTES, 0), pending(p[0]));
  write_pattern(p[1], 0, 1000);
  printf("300 of 1000: %s", outcome(splice(p[0], NULL, client, NULL, 300, SPLICE_F_MORE)));
  printf(", left in the pipe: %d\n", pending(p[0]));
  printf("the rest: %s\n", outcome(splice(p[0], NULL, client, NULL, 100000, 0)));
  printf("  received as sent: %d\n", received_match(server, 0, 1000, 0));
  printf("empty pipe, SPLICE_F_NONBLOCK: %s\n", outcome(splice(p[0], NULL, client, NULL, 100, SPLICE_F_NONBLOCK)));
  CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK) == 0);
  printf("empty O_NONBLOCK pipe: %s\n", outcome(splice(p[0], NULL, client, NULL, 100, 0)));
  CHECK(fcntl(p[0], F_SETFL, 0) == 0);
  struct late_writer writer = {.fd = p[1], .count = 500, .close_after = 0};
  pthread_t thread = start(write_late, &writer);
  printf("empty pipe, a writer 50 ms later: %s\n", outcome(splice(p[0], NULL, client, NULL, 100000, 0)));
  CHECK(pthread_join(thread, NULL) == 0);
  printf("  received as sent: %d\n", received_match(server, 0, 500, 0));

  /* More than the socket takes at once, from a pipe of 1 MiB, while a thread reads: the call blocks until all went. */
  int big[2];
  CHECK(pipe(big) == 0);
  CHECK(fcntl(big[1], F_SETPIPE_SZ, 1 << 20) == 1 << 20);
  /* In whole pages: a write that ends inside a page leaves the rest of it unused by the next, and 1 MiB would not fit. */
  for (long at = 0; at < 1 << 20; at += 32768) write_pattern(big[1], at, 32768);
  struct late_reader big_reader = {.fd = server, .count = 1 << 20, .same = 0};
  thread = start(read_late, &big_reader);
  printf("1 MiB pipe into a blocking socket, a reader 50 ms later: %s\n", outcome(splice(big[0], NULL, client, NULL, 1 << 21, 0)));
  CHECK(pthread_join(thread, NULL) == 0);
  printf("  received as sent: %d, left in the pipe: %d\n", big_reader.same, pending(big[0]));
  close(big[0]);
  close(big[1]);

  /* A non-blocking socket takes what fits; the pipe keeps the rest. */
  CHECK(fcntl(client, F_SETFL, O_NONBLOCK) == 0);
  CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
  long written = 0, sent = 0;
  ssize_t n = 0;
  static char zeros[65536];
  while (sent < 64L << 20) {
    ssize_t put = write(p[1], zeros, sizeof zeros);
    if (put > 0) written += put;
    n = splice(p[0], NULL, client, NULL, 1 << 20, 0);
    if (n <= 0) break;
    sent += n;
  }
  printf("non-blocking socket: stopped with %s, the pipe kept the rest: %d\n", outcome(n), written - sent == pending(p[0]));
  CHECK(fcntl(client, F_SETFL, 0) == 0);
  CHECK(fcntl(p[1], F_SETFL, 0) == 0);
  unsigned char *sink = malloc(sent);
  long drained = 0;
  while (drained < sent) {
    ssize_t got = read(server, sink, sent - drained);
    CHECK(got > 0);
    drained += got;
  }
  free(sink);
  while (pending(p[0]) > 0) CHECK(read(p[0], (char[4096]){0}, 4096) > 0);

  printf("-- the socket into a pipe\n");
  write_pattern(server, 0, 5000);
  nap(10);
  printf("5000 bytes waiting, 100000 asked: %s\n", outcome(splice(client, NULL, p[1], NULL, 100000, 0)));
  printf("  piped as sent: %d\n", received_match(p[0], 0, 5000, 0));
  write_pattern(server, 0, 1000);
  nap(10);
  printf("400 of 1000: %s\n", outcome(splice(client, NULL, p[1], NULL, 400, 0)));
  printf("  piped as sent: %d, the rest received: %d\n", received_match(p[0], 0, 400, 0), received_match(client, 400, 600, 0));
  write_pattern(server, 0, 2000);
  nap(10);
  char copy_path[] = "/tmp/splice_socket_copy_XXXXXX";
  int copy = mkstemp(copy_path);
  CHECK(copy >= 0);
  unlink(copy_path);
  printf("socket, pipe, file: %s", outcome(splice(client, NULL, p[1], NULL, 2000, 0)));
  printf(", %s\n", outcome(splice(p[0], NULL, copy, NULL, 2000, 0)));
  CHECK(lseek(copy, 0, SEEK_SET) == 0);
  printf("  the file holds what was sent: %d\n", received_match(copy, 0, 2000, 0));
  CHECK(fcntl(client, F_SETFL, O_NONBLOCK) == 0);
  printf("nothing waiting, O_NONBLOCK socket: %s\n", outcome(splice(client, NULL, p[1], NULL, 100, 0)));
  CHECK(fcntl(client, F_SETFL, 0) == 0);
  writer = (struct late_writer){.fd = server, .count = 700, .close_after = 0};
  thread = start(write_late, &writer);
  printf("nothing waiting, SPLICE_F_NONBLOCK, a sender 50 ms later: %s\n", outcome(splice(client, NULL, p[1], NULL, 100000, SPLICE_F_NONBLOCK)));
  CHECK(pthread_join(thread, NULL) == 0);
  printf("  piped as sent: %d\n", received_match(p[0], 0, 700, 0));

  /* A full pipe: EAGAIN when non-blocking, else room is waited for. */
  CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
  long filled = 0;
  while ((n = write(p[1], (char[4096]){0}, 4096)) > 0) filled += n;
  write_pattern(server, 0, 100);
  nap(10);
  printf("full pipe, O_NONBLOCK: %s\n", outcome(splice(client, NULL, p[1], NULL, 100, 0)));
  CHECK(fcntl(p[1], F_SETFL, 0) == 0);
  printf("full pipe, SPLICE_F_NONBLOCK: %s\n", outcome(splice(client, NULL, p[1], NULL, 100, SPLICE_F_NONBLOCK)));
  struct late_reader reader = {.fd = p[0], .count = filled, .same = 0};
  thread = start(read_late, &reader);
  printf("full pipe, a reader 50 ms later: %s\n", outcome(splice(client, NULL, p[1], NULL, 100, 0)));
  CHECK(pthread_join(thread, NULL) == 0);
  printf("  piped as sent: %d\n", received_match(p[0], 0, 100, 0));

  printf("sendfile from the socket into the pipe: ");
  write_pattern(server, 0, 300);
  nap(10);
  printf("%s\n", outcome(sendfile(p[1], client, NULL, 1000)));
  printf("  piped as sent: %d\n", received_match(p[0], 0, 300, 0));

  /* Into stdout when it is a pipe (as the tests run it): the line comes out where the others do. */
  struct stat standard_output;
  CHECK(fstat(STDOUT_FILENO, &standard_output) == 0);
  CHECK(write(server, "spliced to stdout\n", 18) == 18);
  nap(10);
  fflush(stdout);
  if (S_ISFIFO(standard_output.st_mode)) CHECK(splice(client, NULL, STDOUT_FILENO, NULL, 100, 0) == 18);
  else CHECK(read(client, (char[18]){0}, 18) == 18 && printf("spliced to stdout\n") > 0);

  printf("-- ends\n");
  CHECK(shutdown(server, SHUT_WR) == 0);
  printf("socket at EOF into a pipe: %s\n", outcome(splice(client, NULL, p[1], NULL, 100, 0)));
  CHECK(shutdown(client, SHUT_WR) == 0);
  write_pattern(p[1], 0, 10);
  printf("pipe into a socket shut for writing: %s, left in the pipe: %d\n", outcome(splice(p[0], NULL, client, NULL, 100, 0)), pending(p[0]));
  CHECK(read(p[0], (char[16]){0}, 16) == 10);
  int q[2];
  CHECK(pipe(q) == 0);
  close(q[1]);
  printf("empty pipe without writers into a socket: %s\n", outcome(splice(q[0], NULL, server, NULL, 100, 0)));
  close(q[0]);
  CHECK(pipe(q) == 0);
  close(q[0]);
  printf("socket into a pipe without readers: %s\n", outcome(splice(server, NULL, q[1], NULL, 100, 0)));
  close(q[1]);

  printf("-- mistakes\n");
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  loff_t offset = 0;
  printf("nothing asked: %s\n", outcome(splice(999, NULL, fresh, NULL, 0, 0)));
  printf("unknown flags: %s\n", outcome(splice(999, NULL, fresh, NULL, 10, 0x100)));
  printf("no such input: %s\n", outcome(splice(999, NULL, fresh, NULL, 10, 0)));
  printf("no such output: %s\n", outcome(splice(fresh, NULL, 999, NULL, 10, 0)));
  printf("offset on the pipe in: %s\n", outcome(splice(p[0], &offset, fresh, NULL, 10, 0)));
  printf("offset on the pipe out: %s\n", outcome(splice(fresh, NULL, p[1], &offset, 10, 0)));
  printf("offset on the socket out, faulting: %s\n", outcome(splice(p[0], NULL, fresh, (loff_t *)8, 10, 0)));
  printf("offset on the socket out: %s\n", outcome(splice(p[0], NULL, fresh, &offset, 10, 0)));
  printf("offset on the socket in: %s\n", outcome(splice(fresh, &offset, p[1], NULL, 10, 0)));
  printf("write end of a pipe as input: %s\n", outcome(splice(p[1], NULL, fresh, NULL, 10, 0)));
  printf("read end of a pipe as output: %s\n", outcome(splice(fresh, NULL, p[0], NULL, 10, 0)));
  printf("socket into a socket: %s\n", outcome(splice(server, NULL, fresh, NULL, 10, 0)));
  printf("socket into a file: %s\n", outcome(splice(server, NULL, copy, NULL, 10, 0)));
  printf("file into a socket: %s\n", outcome(splice(file, NULL, fresh, NULL, 10, 0)));
  write_pattern(p[1], 0, 10);
  printf("pipe into a socket never connected: %s, left in the pipe: %d\n", outcome(splice(p[0], NULL, fresh, NULL, 10, 0)), pending(p[0]));
  printf("socket never connected into a pipe: %s\n", outcome(splice(fresh, NULL, p[1], NULL, 10, 0)));
  printf("tee pipe into a socket: %s\n", outcome(tee(p[0], fresh, 10, 0)));
  printf("tee socket into a pipe: %s\n", outcome(tee(fresh, p[1], 10, 0)));
  printf("tee of nothing: %s\n", outcome(tee(p[0], fresh, 0, 0)));
  printf("tee from a write end: %s\n", outcome(tee(p[1], fresh, 10, 0)));
  printf("tee with unknown flags: %s\n", outcome(tee(p[0], fresh, 10, 0x100)));
  printf("sendfile from a pipe into a socket: %s\n", outcome(sendfile(client, p[0], NULL, 10)));
  printf("sendfile from a socket into a socket: %s\n", outcome(sendfile(fresh, server, NULL, 10)));
  printf("sendfile from a socket into a file: %s\n", outcome(sendfile(copy, server, NULL, 10)));
  offset = 0;
  printf("sendfile from a socket with an offset: %s\n", outcome(sendfile(p[1], server, &offset, 10)));
  printf("sendfile from a socket into a read end: %s\n", outcome(sendfile(p[0], server, NULL, 10)));
  printf("EXIT-SUCCESS\n");
  return 0;
}
