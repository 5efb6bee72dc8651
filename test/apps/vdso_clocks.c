/* vdso_clocks [again]: reads every clock through glibc (so through the
 * vDSO where there is one) and prints what it read: the wall, monotonic and
 * TAI clocks, gettimeofday and time, the CPU-time clocks, how many reads a
 * loop polling the clocks makes before 50 us pass, and the same in a
 * thread polling alongside the main one, in a forked child and, unless
 * given `again`, in the program exec-ed anew. Its first line says whether the program has a vDSO
 * (AT_SYSINFO_EHDR): simterpose gives it its own, or none with --no-vdso,
 * and every other line must read the same either way.
 *
 * vdso_clocks remap: maps memory of its own over the page below the vDSO
 * (the page simterpose's vDSO reads), fills it, makes syscalls and sleeps,
 * and checks that nobody wrote into it meanwhile. (Not natively: the
 * kernel refuses to split its [vvar] mapping.) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
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
    {"CLOCK_TAI", CLOCK_TAI},
    {"CLOCK_PROCESS_CPUTIME_ID", CLOCK_PROCESS_CPUTIME_ID},
    {"CLOCK_THREAD_CPUTIME_ID", CLOCK_THREAD_CPUTIME_ID},
};

static int64_t monotonic_ns(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Polls the clocks, each way in turn, until 50 us of monotonic time passed; prints how many reads that took. */
static void poll_clocks(const char *who) {
  int64_t start = monotonic_ns();
  long reads = 0;
  int64_t now = start;
  while (now - start < 50000) {
    struct timeval tv;
    switch (reads % 3) {
    case 0:
      CHECK(gettimeofday(&tv, NULL) == 0);
      break;
    case 1:
      CHECK(time(NULL) > 0);
      break;
    default:
      now = monotonic_ns();
    }
    reads++;
  }
  printf("%s: %ld reads to see 50 us pass, at %lld ns\n", who, reads, (long long)now);
}

static void print_clocks(const char *who) {
  for (size_t i = 0; i < sizeof CLOCKS / sizeof CLOCKS[0]; i++) {
    struct timespec t;
    CHECK(clock_gettime(CLOCKS[i].id, &t) == 0);
    printf("%s: %s %lld.%09ld\n", who, CLOCKS[i].name, (long long)t.tv_sec, t.tv_nsec);
  }
  struct timeval tv;
  struct timezone tz = {.tz_minuteswest = 99, .tz_dsttime = 99};
  CHECK(gettimeofday(&tv, &tz) == 0);
  time_t stored = 0;
  time_t returned = time(&stored);
  printf("%s: gettimeofday %lld.%06ld zone %d %d time %lld %lld\n", who, (long long)tv.tv_sec, (long)tv.tv_usec, tz.tz_minuteswest,
         tz.tz_dsttime, (long long)returned, (long long)stored);
  poll_clocks(who);
}

static void *in_thread(void *unused) {
  (void)unused;
  print_clocks("thread");
  return NULL;
}

/* The vDSO is not called again: its page is gone. */
static int remap(void) {
  unsigned char *page = (unsigned char *)getauxval(AT_SYSINFO_EHDR) - 4096;
  CHECK(mmap(page, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == page);
  memset(page, 0x5a, 4096);
  struct timespec pause = {.tv_sec = 0, .tv_nsec = 1000000};
  for (int i = 0; i < 3; i++) {
    CHECK(syscall(SYS_getpid) > 0);
    CHECK(syscall(SYS_nanosleep, &pause, NULL) == 0);
  }
  for (int i = 0; i < 4096; i++) CHECK(page[i] == 0x5a);
  printf("the program's page below the vDSO kept its bytes\nEXIT-SUCCESS\n");
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "remap") == 0) return remap();
  int again = argc > 1;
  printf("%s: has a vDSO %d\n", again ? "exec-ed" : "main", getauxval(AT_SYSINFO_EHDR) != 0);
  print_clocks(again ? "exec-ed" : "main");
  if (again) return 0;

  struct timespec pause = {.tv_sec = 0, .tv_nsec = 1500000};
  CHECK(nanosleep(&pause, NULL) == 0);
  print_clocks("after 1.5 ms of sleep");

  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, in_thread, NULL) == 0);
  poll_clocks("main, beside the thread");
  CHECK(pthread_join(thread, NULL) == 0);

  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    print_clocks("child");
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    CHECK(!"exec");
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  print_clocks("main, its child done");
  printf("EXIT-SUCCESS\n");
  return 0;
}
