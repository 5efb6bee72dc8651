/* time_sleep <sleep|nanosleep|usleep|clock_nanosleep> <seconds> <steps>:
 * sleeps <seconds> in total, in <steps> equal calls of the chosen function
 * (sleep takes whole seconds), then prints how far every clock moved, to the
 * unit of each clock's interface, and the dates it started from. Under
 * simterpose the sleep costs no wall time, and every clock moves by exactly
 * the time slept. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
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
};
#define CLOCK_COUNT (sizeof CLOCKS / sizeof CLOCKS[0])

struct reading {
  struct timespec clocks[CLOCK_COUNT];
  struct timeval timeofday;
  time_t seconds;
};

static void read_all(struct reading *r) {
  for (size_t i = 0; i < CLOCK_COUNT; i++) CHECK(clock_gettime(CLOCKS[i].id, &r->clocks[i]) == 0);
  CHECK(gettimeofday(&r->timeofday, NULL) == 0);
  r->seconds = time(NULL);
}

static int64_t ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }
static int64_t us(struct timeval t) { return (int64_t)t.tv_sec * 1000000 + t.tv_usec; }

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: time_sleep <sleep|nanosleep|usleep|clock_nanosleep> <seconds> <steps>\n");
    return 2;
  }
  const char *how = argv[1];
  double total = strtod(argv[2], NULL);
  long steps = strtol(argv[3], NULL, 10);
  CHECK(steps > 0);
  double step = total / steps;
  struct timespec step_ts = {(time_t)step, (long)((step - (time_t)step) * 1e9 + 0.5)};

  struct reading before, after;
  read_all(&before);
  for (long i = 0; i < steps; i++) {
    if (strcmp(how, "sleep") == 0) {
      CHECK(sleep((unsigned)step) == 0);
    } else if (strcmp(how, "nanosleep") == 0) {
      CHECK(nanosleep(&step_ts, NULL) == 0);
    } else if (strcmp(how, "usleep") == 0) {
      CHECK(usleep((useconds_t)(step * 1e6 + 0.5)) == 0);
    } else if (strcmp(how, "clock_nanosleep") == 0) {
      CHECK(clock_nanosleep(CLOCK_MONOTONIC, 0, &step_ts, NULL) == 0);
    } else {
      fprintf(stderr, "time_sleep: unknown function '%s'\n", how);
      return 2;
    }
  }
  read_all(&after);

  printf("start realtime %lld.%09ld monotonic %lld.%09ld\n", (long long)before.clocks[0].tv_sec, before.clocks[0].tv_nsec,
         (long long)before.clocks[2].tv_sec, before.clocks[2].tv_nsec);
  for (size_t i = 0; i < CLOCK_COUNT; i++) {
    int64_t elapsed = ns(after.clocks[i]) - ns(before.clocks[i]);
    printf("%s elapsed %lld.%09lld\n", CLOCKS[i].name, (long long)(elapsed / 1000000000), (long long)(elapsed % 1000000000));
  }
  int64_t elapsed_us = us(after.timeofday) - us(before.timeofday);
  printf("gettimeofday elapsed %lld.%06lld\n", (long long)(elapsed_us / 1000000), (long long)(elapsed_us % 1000000));
  printf("time elapsed %lld\n", (long long)(after.seconds - before.seconds));
  printf("EXIT-SUCCESS\n");
  return 0;
}
