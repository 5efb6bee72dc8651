/* clock_calls <N>: reads CLOCK_MONOTONIC N times through syscall(2), which
 * bypasses the vDSO, and does nothing else; then prints, in nanoseconds, the
 * CPU time it was charged (CLOCK_PROCESS_CPUTIME_ID: under simterpose, what
 * the CPU model charged) and the CPU time the kernel counted for it
 * (getrusage, which simterpose leaves native: under ptrace, what its stops
 * cost it included). */
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static int64_t timeval_ns(struct timeval t) {
  return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_usec * 1000;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: clock_calls <N>\n");
    return 2;
  }
  long count = strtol(argv[1], NULL, 10);
  struct timespec now;
  for (long i = 0; i < count; i++) CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &now) == 0);
  struct timespec charged;
  CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &charged) == 0);
  struct rusage usage;
  CHECK(getrusage(RUSAGE_SELF, &usage) == 0);
  printf("charged %lld\n", (long long)charged.tv_sec * 1000000000 + charged.tv_nsec);
  printf("counted %lld\n", (long long)(timeval_ns(usage.ru_utime) + timeval_ns(usage.ru_stime)));
  printf("EXIT-SUCCESS\n");
  return 0;
}
