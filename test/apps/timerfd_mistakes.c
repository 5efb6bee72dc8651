/* timerfd_settime and timerfd_gettime with mistakes, and a timer set to a
 * date already past, printed so that a native run and a run under
 * simterpose compare line for line. Linux reads the new value first (a bad
 * pointer is EFAULT), then checks the flags and the value (EINVAL), then
 * the descriptor (EBADF, EINVAL for one that is no timerfd); it writes the
 * old value last, once the timer is set. A timer whose date is past expires
 * at once: a read right after takes its count. Raw syscalls: glibc's
 * wrappers would check some arguments first. */
#define _GNU_SOURCE
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "semantics.h"

static void report(const char *what, long result) { printf("%s: %s\n", what, outcome(result)); }

static long settime(int fd, long flags, const struct itimerspec *value, struct itimerspec *old) { return syscall(SYS_timerfd_settime, fd, flags, value, old); }

int main(void) {
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  CHECK(timer >= 0);
  int event = eventfd(0, EFD_NONBLOCK);
  CHECK(event >= 0);
  struct itimerspec hour = {.it_value = {3600, 0}};
  struct itimerspec bad_nanoseconds = {.it_value = {0, 1000000000}};
  struct itimerspec negative = {.it_value = {-1, 0}};
  struct itimerspec old;

  report("flags 4", settime(timer, 4, &hour, NULL));
  report("flags -1", settime(timer, -1, &hour, NULL));
  report("TFD_TIMER_CANCEL_ON_SET on CLOCK_MONOTONIC, relative", settime(timer, TFD_TIMER_CANCEL_ON_SET, &hour, NULL));
  report("1e9 nanoseconds", settime(timer, 0, &bad_nanoseconds, NULL));
  report("negative seconds", settime(timer, 0, &negative, NULL));
  report("NULL value", settime(timer, 0, NULL, NULL));
  report("NULL value, bad flags, bad descriptor", settime(-1, 4, NULL, NULL));
  report("bad flags, bad descriptor", settime(-1, 4, &hour, NULL));
  report("bad descriptor", settime(-1, 0, &hour, NULL));
  report("an eventfd", settime(event, 0, &hour, NULL));
  report("an eventfd, bad flags", settime(event, 4, &hour, NULL));
  report("an hour", settime(timer, 0, &hour, NULL));
  struct itimerspec two_hours = {.it_value = {7200, 0}};
  report("two hours, old value to a read-only page", settime(timer, 0, &two_hours, (struct itimerspec *)"read-only string literal here"));
  struct itimerspec now;
  CHECK(timerfd_gettime(timer, &now) == 0);
  printf("set for two hours all the same: %s\n", now.it_value.tv_sec > 7000 ? "yes" : "no");
  report("gettime to NULL", syscall(SYS_timerfd_gettime, timer, NULL));
  report("gettime of an eventfd", syscall(SYS_timerfd_gettime, event, &now));

  /* A date already past, absolute: it expires at once. */
  struct itimerspec past = {.it_value = {0, 1}};
  report("absolute, a date past", settime(timer, TFD_TIMER_ABSTIME, &past, &old));
  printf("old value: %s\n", old.it_value.tv_sec > 7000 ? "about two hours" : "other");
  uint64_t count = 0;
  long r = read(timer, &count, sizeof count);
  printf("read right after: %s, count %llu\n", outcome(r), (unsigned long long)count);
  report("read again", read(timer, &count, sizeof count));
  report("read of 4 bytes", read(timer, &count, 4));
  report("disarm", settime(timer, 0, &(struct itimerspec){0}, &old));
  printf("old value when it had expired: %lld.%09ld\n", (long long)old.it_value.tv_sec, old.it_value.tv_nsec);
  puts("EXIT-SUCCESS");
  return 0;
}
