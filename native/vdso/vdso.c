/* simterpose's vDSO: the functions glibc looks up in the image
 * AT_SYSINFO_EHDR points to, answering from the page the mediator keeps
 * (vdso.h) while the running thread has clock reads left in its budget
 * and has not run past the page's time-stamp counter deadline (past it,
 * it may have done work that a stop would charge), and with the real
 * syscall otherwise: a trapped call, on which the
 * mediator charges, throttles and refills as it does for any clock read.
 * Built freestanding: no libc, no relocations, everything PC-relative. */
#include "vdso.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7
#define CLOCK_TAI 11

#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228

#define PAGE_SIZE 4096
#define EXPORTED __attribute__((visibility("default")))

struct timeval {
  long long tv_sec;
  long long tv_usec;
};

struct timezone {
  int tz_minuteswest;
  int tz_dsttime;
};

/* The ELF header this image starts with (the linker defines it); the page lies just below. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static inline struct vdso_page *page(void) {
  /* Through a register: the compiler would otherwise see an access before an object. */
  const char *header;
  __asm__("" : "=r"(header) : "0"(__ehdr_start));
  return (struct vdso_page *)(header - PAGE_SIZE);
}

static inline long syscall2(long number, long first, long second) {
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "a"(number), "D"(first), "S"(second) : "rcx", "r11", "memory");
  return result;
}

/* Which of the page's clocks `clock` reads, or 0 for clocks left to the kernel's answer (CPU time...). */
static inline const struct vdso_timespec *clock_of(volatile struct vdso_page *shared, int clock) {
  switch (clock) {
  case CLOCK_REALTIME:
  case CLOCK_REALTIME_COARSE:
    return (const struct vdso_timespec *)&shared->realtime;
  case CLOCK_MONOTONIC:
  case CLOCK_MONOTONIC_RAW:
  case CLOCK_MONOTONIC_COARSE:
  case CLOCK_BOOTTIME:
    return (const struct vdso_timespec *)&shared->monotonic;
  case CLOCK_TAI:
    return (const struct vdso_timespec *)&shared->tai;
  default:
    return 0;
  }
}

/* Copies clock `clock` into `out` and spends one read of the budget; 0 when the real syscall must answer. */
static int read_clock(int clock, struct vdso_timespec *out) {
  volatile struct vdso_page *shared = page();
  const struct vdso_timespec *source = clock_of(shared, clock);
  if (source == 0) return 0;
  unsigned long long sequence = shared->sequence;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  if ((sequence & 1) != 0 || shared->budget <= 0) return 0;
  unsigned long long deadline = shared->tsc_deadline;
  if (deadline != 0 && __builtin_ia32_rdtsc() >= deadline) return 0;
  out->seconds = ((volatile const struct vdso_timespec *)source)->seconds;
  out->nanoseconds = ((volatile const struct vdso_timespec *)source)->nanoseconds;
  __atomic_thread_fence(__ATOMIC_ACQUIRE);
  if (shared->sequence != sequence) return 0;
  __atomic_fetch_sub((long long *)&shared->budget, 1, __ATOMIC_RELAXED);
  return 1;
}

EXPORTED int __vdso_clock_gettime(int clock, struct vdso_timespec *ts) {
  struct vdso_timespec now;
  if (!read_clock(clock, &now)) return (int)syscall2(SYS_clock_gettime, clock, (long)ts);
  *ts = now;
  return 0;
}

EXPORTED int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz) {
  struct vdso_timespec now;
  if (!read_clock(CLOCK_REALTIME, &now)) return (int)syscall2(SYS_gettimeofday, (long)tv, (long)tz);
  if (tv != 0) {
    tv->tv_sec = now.seconds;
    tv->tv_usec = now.nanoseconds / 1000;
  }
  if (tz != 0) {
    tz->tz_minuteswest = 0;
    tz->tz_dsttime = 0;
  }
  return 0;
}

EXPORTED long long __vdso_time(long long *t) {
  struct vdso_timespec now;
  if (!read_clock(CLOCK_REALTIME, &now)) return syscall2(SYS_time, (long)t, 0);
  if (t != 0) *t = now.seconds;
  return now.seconds;
}

EXPORTED int clock_gettime(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
EXPORTED int gettimeofday(struct timeval *, struct timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
EXPORTED long long time(long long *) __attribute__((weak, alias("__vdso_time")));
