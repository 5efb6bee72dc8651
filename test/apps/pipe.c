/* 1 MiB through a pipe from parent to child in 4 KiB and odd-sized chunks;
 * the child checks what it got and answers through a second pipe. Both see
 * EOF once the other side is closed. The child prints first, and the parent
 * only prints once the child has closed its end, so the order is fixed. */
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "write_fully.h"

#define TOTAL (1024 * 1024)

static unsigned char byte_at(size_t i) { return (unsigned char)(i * 31 + i / 4096); }

static uint32_t fnv1a(uint32_t hash, const unsigned char *data, size_t length) {
  for (size_t i = 0; i < length; i++) hash = (hash ^ data[i]) * 16777619u;
  return hash;
}

static void child(int from_parent, int to_parent) {
  static unsigned char buffer[5000];
  uint32_t hash = 2166136261u;
  size_t count = 0;
  int in_order = 1;
  for (;;) {
    ssize_t got = read(from_parent, buffer, sizeof buffer);
    CHECK(got >= 0);
    if (got == 0) break;
    for (ssize_t i = 0; i < got; i++) in_order &= buffer[i] == byte_at(count + (size_t)i);
    hash = fnv1a(hash, buffer, (size_t)got);
    count += (size_t)got;
  }
  close(from_parent);
  printf("child: read %zu bytes to EOF, checksum %08x, in order: %s\n", count, hash,
         in_order ? "yes" : "no");
  fflush(stdout);
  char reply[64];
  int length = snprintf(reply, sizeof reply, "%zu %08x %d", count, hash, in_order);
  write_fully(to_parent, (const unsigned char *)reply, (size_t)length);
  close(to_parent);
  _exit(0);
}

int main(void) {
  static unsigned char data[TOTAL];
  for (size_t i = 0; i < TOTAL; i++) data[i] = byte_at(i);
  uint32_t expected_hash = fnv1a(2166136261u, data, TOTAL);

  int down[2], up[2];
  CHECK(pipe(down) == 0 && pipe(up) == 0);
  fflush(stdout);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    close(down[1]);
    close(up[0]);
    child(down[0], up[1]);
  }
  close(down[0]);
  close(up[1]);

  static const size_t chunk_sizes[] = {4096, 4096, 1, 4093, 777, 4096, 65536, 13};
  size_t sent = 0, chunks = 0;
  while (sent < TOTAL) {
    size_t size = chunk_sizes[chunks % (sizeof chunk_sizes / sizeof chunk_sizes[0])];
    if (size > TOTAL - sent) size = TOTAL - sent;
    write_fully(down[1], data + sent, size);
    sent += size;
    chunks++;
  }
  close(down[1]);

  char reply[64] = {0};
  size_t have = 0;
  for (;;) {
    ssize_t got = read(up[0], reply + have, sizeof reply - 1 - have);
    CHECK(got >= 0);
    if (got == 0) break;
    have += (size_t)got;
  }
  close(up[0]);

  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  char expected[64];
  snprintf(expected, sizeof expected, "%d %08x 1", TOTAL, expected_hash);
  printf("parent: wrote %zu bytes in %zu chunks, checksum %08x\n", sent, chunks, expected_hash);
  printf("parent: reply \"%s\" then EOF\n", reply);
  CHECK(strcmp(reply, expected) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
