/* Shared by the test programs: a failed check prints where and what, then
 * exits 1, so the missing EXIT-SUCCESS line and the status both tell. */
#ifndef SIMTERPOSE_TEST_CHECK_H
#define SIMTERPOSE_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      int saved_errno_ = errno;                                              \
      fflush(stdout);                                                        \
      fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", __FILE__,  \
              __LINE__, #cond, saved_errno_, strerror(saved_errno_));        \
      printf("FAILED: %s\n", #cond);                                         \
      fflush(stdout);                                                        \
      exit(1);                                                               \
    }                                                                        \
  } while (0)

#endif
