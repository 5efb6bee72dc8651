/* yield_wait <ms>: waits <ms> milliseconds the way UCX (under MPICH) does
 * when it starts, by calling sched_yield and reading gettimeofday until the
 * clock says they passed, then prints how many yields it took, in
 * thousands (rounded down). Each yield takes some time on Linux, so the wait
 * ends; under simterpose, where time stands still while a thread runs,
 * each must cost virtual time too, or the loop only ends when the clock
 * reads alone have pushed the clock that far. */
#include <sched.h>
#include <stdlib.h>
#include <sys/time.h>
#include "check.h"

static long long micros(void) {
  struct timeval now;
  CHECK(gettimeofday(&now, NULL) == 0);
  return now.tv_sec * 1000000LL + now.tv_usec;
}

int main(int argc, char **argv) {
  CHECK(argc == 2);
  long long wait = strtoll(argv[1], NULL, 10) * 1000;
  long long start = micros();
  long yields = 0;
  while (micros() - start < wait) {
    CHECK(sched_yield() == 0);
    yields++;
  }
  printf("waited %s ms, %ld thousand yields\n", argv[1], yields / 1000);
  printf("EXIT-SUCCESS\n");
  return 0;
}
