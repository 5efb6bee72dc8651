/* time_spin <N> [libc]: reads CLOCK_MONOTONIC N times and exits 0, through
 * syscall(2), which bypasses the vDSO, or with `libc` through glibc's
 * clock_gettime, which goes through the vDSO where the program has one.
 * Benchmarks time it from outside (its own clock is virtual under
 * simterpose); it prints nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "libc") != 0)) {
    fprintf(stderr, "usage: time_spin <N> [libc]\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  struct timespec now;
  if (argc == 3) {
    for (long i = 0; i < count; i++) clock_gettime(CLOCK_MONOTONIC, &now);
  } else {
    for (long i = 0; i < count; i++) syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now);
  }
  return 0;
}
