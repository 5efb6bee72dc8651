/* compute_loop <iterations> [processes]: with one argument, runs a fixed loop
 * and prints the monotonic time it took and the thread CPU time it was
 * charged, in nanoseconds. With a process count, forks that many children
 * that each run the loop and print when (on the monotonic clock, in ns) they
 * started and ended it and the CPU time they were charged; the parent waits for them all. Under simterpose the
 * times are virtual: the loop's work runs as SimGrid execs on the host. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static int64_t read_ns(clockid_t id) {
  struct timespec t;
  CHECK(clock_gettime(id, &t) == 0);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void compute(long iterations) {
  volatile uint64_t sum = 0;
  for (long i = 0; i < iterations; i++) sum += (uint64_t)i * i;
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) {
    fprintf(stderr, "usage: compute_loop <iterations> [processes]\n");
    return 2;
  }
  long iterations = strtol(argv[1], NULL, 10);
  if (argc == 2) {
    int64_t cpu_before = read_ns(CLOCK_THREAD_CPUTIME_ID);
    int64_t start = read_ns(CLOCK_MONOTONIC);
    compute(iterations);
    int64_t end = read_ns(CLOCK_MONOTONIC);
    int64_t cpu_after = read_ns(CLOCK_THREAD_CPUTIME_ID);
    printf("duration %lld\n", (long long)(end - start));
    printf("cputime %lld\n", (long long)(cpu_after - cpu_before));
    printf("EXIT-SUCCESS\n");
    return 0;
  }
  long processes = strtol(argv[2], NULL, 10);
  CHECK(processes > 0);
  fflush(stdout);
  for (long i = 0; i < processes; i++) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      int64_t start = read_ns(CLOCK_MONOTONIC);
      compute(iterations);
      int64_t end = read_ns(CLOCK_MONOTONIC);
      int64_t cputime = read_ns(CLOCK_THREAD_CPUTIME_ID);
      printf("child %ld start %lld end %lld cputime %lld\n", i, (long long)start, (long long)end, (long long)cputime);
      return 0;
    }
  }
  for (long i = 0; i < processes; i++) {
    int status;
    CHECK(wait(&status) > 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
