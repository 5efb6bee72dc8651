/* spin_wait [sleep-ms]: the main thread spins, making no syscall, on a flag
 * that a second thread sets, after sleeping sleep-ms milliseconds if given.
 * Under simterpose only one thread runs at a time: the spinner must be
 * preempted for the setter to run at all, and when the setter sleeps,
 * virtual time must move on while the spinner spins. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "check.h"

static atomic_int flag;
static long sleep_ms;

static void *set_flag(void *unused) {
  (void)unused;
  if (sleep_ms > 0) {
    struct timespec pause = {sleep_ms / 1000, (sleep_ms % 1000) * 1000000};
    CHECK(nanosleep(&pause, NULL) == 0);
  }
  atomic_store(&flag, 1);
  return NULL;
}

int main(int argc, char **argv) {
  sleep_ms = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
  pthread_t setter;
  CHECK(pthread_create(&setter, NULL, set_flag, NULL) == 0);
  unsigned long spins = 0;
  while (atomic_load_explicit(&flag, memory_order_relaxed) == 0) spins++;
  CHECK(pthread_join(setter, NULL) == 0);
  printf("flag seen after %s spins\n", spins > 0 ? "some" : "no");
  printf("EXIT-SUCCESS\n");
  return 0;
}
