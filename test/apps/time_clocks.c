/* time_clocks <iterations>: prints clock_getres of every clock, then runs a
 * loop of <iterations> and prints the process's and the thread's CPU clocks
 * before and after it, with the monotonic time the loop took. Under
 * simterpose the CPU clocks hold the computation charged by the CPU model:
 * they grow with the loop under cputime, and stay 0 under --cpu-model none. */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>
#include "check.h"

static const struct {
  const char *name;
  clockid_t id;
} CLOCKS[] = {
    {"CLOCK_REALTIME", CLOCK_REALTIME},
    {"CLOCK_REALTIME_COARSE", CLOCK_REALTIME_COARSE},
    {"CLOCK_MONOTONIC", CLOCK_MONOTONIC},
    {"CLOCK_MONOTONIC_COARSE", CLOCK_MONOTONIC_COARSE},
    {"CLOCK_MONOTONIC_RAW", CLOCK_MONOTONIC_RAW},
    {"CLOCK_BOOTTIME", CLOCK_BOOTTIME},
    {"CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID},
    {"CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID},
};

static int64_t read_ns(clockid_t id) {
  struct timespec t;
  CHECK(clock_gettime(id, &t) == 0);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void print_ns(const char *what, int64_t ns) {
  printf("%s %lld.%09lld\n", what, (long long)(ns / 1000000000), (long long)(ns % 1000000000));
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: time_clocks <iterations>\n");
    return 2;
  }
  long iterations = strtol(argv[1], NULL, 10);
  for (size_t i = 0; i < sizeof CLOCKS / sizeof CLOCKS[0]; i++) {
    struct timespec res;
    CHECK(clock_getres(CLOCKS[i].id, &res) == 0);
    printf("res %s %lld.%09ld\n", CLOCKS[i].name, (long long)res.tv_sec, res.tv_nsec);
  }
  int64_t process_before = read_ns(CLOCK_PROCESS_CPUTIME_ID);
  int64_t thread_before = read_ns(CLOCK_THREAD_CPUTIME_ID);
  int64_t monotonic_before = read_ns(CLOCK_MONOTONIC);
  volatile uint64_t sum = 0;
  for (long i = 0; i < iterations; i++) sum += (uint64_t)i * i;
  int64_t monotonic_after = read_ns(CLOCK_MONOTONIC);
  int64_t thread_after = read_ns(CLOCK_THREAD_CPUTIME_ID);
  int64_t process_after = read_ns(CLOCK_PROCESS_CPUTIME_ID);
  print_ns("process cputime before", process_before);
  print_ns("process cputime after", process_after);
  print_ns("thread cputime before", thread_before);
  print_ns("thread cputime after", thread_after);
  print_ns("loop took", monotonic_after - monotonic_before);
  printf("EXIT-SUCCESS\n");
  return 0;
}
