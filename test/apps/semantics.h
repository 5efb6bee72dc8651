/* Shared by the programs whose output is compared line for line natively and
 * under simterpose: results printed the same way, and sleeps that finish even
 * when a signal interrupts them. */
#ifndef SIMTERPOSE_TEST_SEMANTICS_H
#define SIMTERPOSE_TEST_SEMANTICS_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"

/* A call's result, or "-1" and its errno's name (what differs first when the two runs part). */
static inline const char *outcome(long result) {
  static char text[64];
  if (result >= 0) snprintf(text, sizeof text, "%ld", result);
  else snprintf(text, sizeof text, "-1 %s", strerrorname_np(errno));
  return text;
}

/* Sleeps `ms` milliseconds in all, resuming after a handled signal. */
static inline void nap(long ms) {
  struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&t, &t) != 0) CHECK(errno == EINTR);
}

#endif
