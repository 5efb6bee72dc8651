/* sendfile from a file into a TCP socket, as nginx serves files: bytes
 * carried from an explicit offset (the file's own offset untouched) and
 * from the file offset (advanced), cut at end of file, a blocking call
 * that sends more than the socket buffer holds while a thread reads, and
 * the errno Linux gives each mistake. Prints one line per step, compared
 * line for line with the real kernel. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net_listen.h"
#include "byte_pattern.h"
#include "semantics.h"

enum { FILE_BYTES = 3 << 20 };

struct reader {
  int fd;
  long count;
  int same;
};

static void *read_all(void *arg) {
  struct reader *reader = arg;
  reader->same = received_match(reader->fd, 0, reader->count, FILE_BYTES);
  return NULL;
}

static long file_offset(int fd) { return lseek(fd, 0, SEEK_CUR); }

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  char path[] = "/tmp/sendfile_socket_XXXXXX";
  int file = mkstemp(path);
  CHECK(file >= 0);
  unlink(path);
  unsigned char *bytes = malloc(FILE_BYTES);
  for (long i = 0; i < FILE_BYTES; i++) bytes[i] = pattern_at(i);
  CHECK(write(file, bytes, FILE_BYTES) == FILE_BYTES);
  CHECK(lseek(file, 0, SEEK_SET) == 0);

  struct sockaddr_in address;
  int listener = loopback_listener(&address);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  CHECK(connect(client, (struct sockaddr *)&address, sizeof address) == 0);
  int server = accept(listener, NULL, NULL);
  CHECK(server >= 0);

  off_t offset = 1000;
  printf("from offset 1000, 50000 bytes: %s", outcome(sendfile(client, file, &offset, 50000)));
  printf(", offset now %ld, file offset %ld\n", (long)offset, file_offset(file));
  printf("  received as sent: %d\n", received_match(server, 1000, 50000, FILE_BYTES));

  printf("from the file offset, 30000 bytes: %s", outcome(sendfile(client, file, NULL, 30000)));
  printf(", file offset %ld\n", file_offset(file));
  printf("  received as sent: %d\n", received_match(server, 0, 30000, FILE_BYTES));

  offset = FILE_BYTES - 10;
  printf("100 bytes 10 before the end: %s", outcome(sendfile(client, file, &offset, 100)));
  printf(", offset now %ld\n", (long)offset);
  printf("  received as sent: %d\n", received_match(server, FILE_BYTES - 10, 10, FILE_BYTES));
  offset = FILE_BYTES;
  printf("at the end: %s\n", outcome(sendfile(client, file, &offset, 100)));
  offset = 0;
  printf("no bytes asked: %s\n", outcome(sendfile(client, file, &offset, 0)));

  offset = -1;
  printf("negative offset: %s\n", outcome(sendfile(client, file, &offset, 10)));
  printf("offset pointer faults: %s\n", outcome(sendfile(client, file, (off_t *)1, 10)));
  printf("no such input descriptor: %s\n", outcome(sendfile(client, 999, NULL, 10)));
  int write_only = open("/dev/null", O_WRONLY);
  printf("input open for writing only: %s\n", outcome(sendfile(client, write_only, NULL, 10)));
  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  offset = 0;
  printf("into a socket never connected: %s\n", outcome(sendfile(fresh, file, &offset, 10)));
  printf("  offset now %ld\n", (long)offset);

  /* More than any socket buffer holds, in one blocking call, while a thread reads. */
  struct reader reader = {.fd = server, .count = FILE_BYTES, .same = 0};
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, read_all, &reader) == 0);
  offset = 0;
  printf("whole file, blocking: %s", outcome(sendfile(client, file, &offset, FILE_BYTES)));
  printf(", offset now %ld\n", (long)offset);
  CHECK(pthread_join(thread, NULL) == 0);
  printf("  received as sent: %d\n", reader.same);

  /* Non-blocking: takes what fits (the file again and again), then EAGAIN; the reader drains it all. */
  CHECK(fcntl(client, F_SETFL, O_NONBLOCK) == 0);
  offset = 0;
  long sent = 0;
  ssize_t n;
  while (sent < 64L << 20 && (n = sendfile(client, file, &offset, FILE_BYTES - offset)) > 0) {
    sent += n;
    if (offset == FILE_BYTES) offset = 0;
  }
  printf("non-blocking: stopped with %s, offset follows %d\n", outcome(n), offset == sent % FILE_BYTES);
  printf("  received as sent: %d\n", received_match(server, 0, sent, FILE_BYTES));

  close(client);
  offset = 0;
  printf("after the peer closed: %s\n", outcome(sendfile(server, file, &offset, 10)));
  printf("EXIT-SUCCESS\n");
  return 0;
}
