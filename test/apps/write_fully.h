/* Shared by the test programs that stream bytes: a write of `length`
 * bytes in as many calls as the descriptor takes. */
#ifndef SIMTERPOSE_TEST_WRITE_FULLY_H
#define SIMTERPOSE_TEST_WRITE_FULLY_H

#include <stddef.h>
#include <unistd.h>

#include "check.h"

static inline void write_fully(int fd, const void *data, size_t length) {
  const char *bytes = data;
  while (length > 0) {
    ssize_t written = write(fd, bytes, length);
    CHECK(written > 0);
    bytes += written;
    length -= (size_t)written;
  }
}

#endif
