/* clock_late: reads the clocks only after time has passed, in itself and
 * in forked children that sleep before they read: a child of the program
 * before its first read, then one after. Each prints what it read; under
 * simterpose's vDSO every line must be what trapped reads give (--no-vdso),
 * however long a program went without reading. Its first line says whether
 * the program has a vDSO (AT_SYSINFO_EHDR). */
#define _GNU_SOURCE
#include <sys/auxv.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static void pause_ms(long ms) {
  struct timespec pause = {.tv_sec = 0, .tv_nsec = ms * 1000000};
  CHECK(nanosleep(&pause, NULL) == 0);
}

static void print_clocks(const char *who) {
  struct timespec realtime, monotonic;
  struct timeval tv;
  CHECK(clock_gettime(CLOCK_REALTIME, &realtime) == 0);
  CHECK(clock_gettime(CLOCK_MONOTONIC, &monotonic) == 0);
  CHECK(gettimeofday(&tv, NULL) == 0);
  time_t seconds = time(NULL);
  printf("%s: realtime %lld.%09ld monotonic %lld.%09ld gettimeofday %lld.%06ld time %lld\n", who, (long long)realtime.tv_sec,
         realtime.tv_nsec, (long long)monotonic.tv_sec, monotonic.tv_nsec, (long long)tv.tv_sec, (long)tv.tv_usec, (long long)seconds);
  fflush(stdout);
}

/* A child that sleeps 1 ms, then reads; the parent waits for it. */
static void child_reads_late(const char *who) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    pause_ms(1);
    print_clocks(who);
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main(void) {
  printf("has a vDSO %d\n", getauxval(AT_SYSINFO_EHDR) != 0);
  fflush(stdout);
  pause_ms(2);
  child_reads_late("child of a program that had read no clock");
  print_clocks("its first read, after 2 ms and a child");
  child_reads_late("child of a program that read the clocks");
  pause_ms(1);
  print_clocks("after 1 ms more");
  printf("EXIT-SUCCESS\n");
  return 0;
}
