/* time_spin <N>: reads CLOCK_MONOTONIC N times through syscall(2), which
 * bypasses the vDSO, and exits 0. Benchmarks time it from outside (its own
 * clock is virtual under simterpose); it prints nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: time_spin <N>\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  struct timespec now;
  for (long i = 0; i < count; i++) syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
  return 0;
}
