/* clock_until <ms>: reads CLOCK_MONOTONIC through glibc (so through the
 * vDSO where there is one), doing nothing else, until <ms> milliseconds
 * have passed on it; prints whether it has a vDSO, how many reads that
 * took and how much time the last one saw pass, in ns. Natively the reads
 * take real time; under simterpose the loop's CPU time is charged as
 * computation, so virtual time must move on, vDSO or not. */
#include <stdint.h>
#include <sys/auxv.h>
#include <time.h>
#include "check.h"

static int64_t monotonic_ns(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: clock_until <ms>\n");
    return 2;
  }
  int64_t span = strtol(argv[1], NULL, 10) * 1000000;
  int64_t start = monotonic_ns();
  int64_t now = start;
  long reads = 0;
  while (now - start < span) {
    now = monotonic_ns();
    reads++;
  }
  printf("has a vDSO %d\n", getauxval(AT_SYSINFO_EHDR) != 0);
  printf("reads %ld\n", reads);
  printf("elapsed %lld\n", (long long)(now - start));
  printf("EXIT-SUCCESS\n");
  return 0;
}
