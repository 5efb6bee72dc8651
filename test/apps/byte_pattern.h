/* Shared by the test programs that move bytes between files, pipes and
 * sockets (sendfile_socket, splice_socket): a byte pattern whose every
 * position is known, and a reader that checks what arrives against it. */
#ifndef SIMTERPOSE_TEST_BYTE_PATTERN_H
#define SIMTERPOSE_TEST_BYTE_PATTERN_H

#include <unistd.h>

#include "check.h"

static inline unsigned char pattern_at(long at) { return (unsigned char)(at * 7 % 251); }

/* Reads `count` bytes from `fd` and says whether they are the pattern's bytes from `from` on,
 * the pattern starting again every `period` bytes (0: never, a stream of its own). */
static inline int received_match(int fd, long from, long count, long period) {
  unsigned char buffer[65536];
  long seen = 0;
  int same = 1;
  while (seen < count) {
    long want = count - seen < (long)sizeof buffer ? count - seen : (long)sizeof buffer;
    ssize_t n = read(fd, buffer, want);
    CHECK(n > 0);
    for (ssize_t i = 0; i < n; i++) {
      long at = from + seen + i;
      same &= buffer[i] == pattern_at(period > 0 ? at % period : at);
    }
    seen += n;
  }
  return same;
}

#endif
