/* POSIX per-process timers (timer_create and its family), step by step:
 * the ids the kernel hands out, the signals their expirations send (in
 * order, with si_code SI_TIMER, si_timerid, si_value and si_overrun), what
 * timer_gettime has left (rounded up to 100 ms), timer_getoverrun, disarming,
 * absolute dates and the errors of bad calls. Printed so that a native run
 * and a run under simterpose can be compared line for line. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "semantics.h"

#define MAX_EVENTS 64

static volatile sig_atomic_t event_count;
static struct {
  int signo, code, timerid, overrun, value, tid_matches;
} events[MAX_EVENTS];
static pid_t main_tid;
static _Atomic int calls;

static void count_call(union sigval value) {
  (void)value;
  calls++;
}

static void on_signal(int signo, siginfo_t *info, void *context) {
  (void)context;
  if (event_count >= MAX_EVENTS) return;
  int i = event_count;
  events[i].signo = signo;
  events[i].code = info->si_code;
  events[i].timerid = info->si_timerid;
  events[i].overrun = info->si_overrun;
  events[i].value = info->si_value.sival_int;
  events[i].tid_matches = syscall(SYS_gettid) == main_tid;
  event_count = i + 1;
}

static int printed;

static void print_events(const char *step) {
  printf("%s:", step);
  if (printed == event_count) printf(" no signal");
  for (; printed < event_count; printed++) {
    printf(" [%s timer %d value %d overrun %d%s%s]", events[printed].signo == SIGALRM ? "SIGALRM" : events[printed].signo == SIGUSR1 ? "SIGUSR1" : "SIGRTMIN+1",
           events[printed].timerid, events[printed].value, events[printed].overrun, events[printed].code == SI_TIMER ? "" : " not SI_TIMER",
           events[printed].tid_matches ? "" : " other thread");
  }
  printf("\n");
}

/* Raw syscalls: glibc keeps its own ids for SIGEV_THREAD timers, the kernel's are what is compared here. */
static int create(clockid_t clock, struct sigevent *event, int *id) {
  return (int)syscall(SYS_timer_create, clock, event, id);
}

static struct sigevent by_signal(int signo, int value) {
  struct sigevent event = {0};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = signo;
  event.sigev_value.sival_int = value;
  return event;
}

static void arm(int id, int flags, double value, double interval, struct itimerspec *old) {
  struct itimerspec setting = {
      .it_value = {(time_t)value, (long)((value - (time_t)value) * 1e9 + 0.5)},
      .it_interval = {(time_t)interval, (long)((interval - (time_t)interval) * 1e9 + 0.5)},
  };
  CHECK(syscall(SYS_timer_settime, id, flags, &setting, old) == 0);
}

/* Milliseconds, rounded up to a multiple of 100: a native run reads them a little late, by less than that. */
static long rounded_ms(const struct timespec *t) {
  long us = t->tv_sec * 1000000 + t->tv_nsec / 1000;
  return us <= 0 ? 0 : (us - 1000) / 100000 * 100 + 100;
}

static void print_left(const char *what, int id) {
  struct itimerspec now;
  CHECK(syscall(SYS_timer_gettime, id, &now) == 0);
  printf("%s: %ld ms left, interval %ld ms\n", what, rounded_ms(&now.it_value), rounded_ms(&now.it_interval));
}

/* The result of a call and its errno, read after it returned. */
#define report(what, call)                                       \
  do {                                                           \
    errno = 0;                                                   \
    long result_ = (long)(call);                                 \
    printf("%s: %ld errno %d\n", what, result_, errno);          \
  } while (0)

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  main_tid = (pid_t)syscall(SYS_gettid);
  struct sigaction action = {.sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(SIGALRM, &action, NULL) == 0);
  CHECK(sigaction(SIGUSR1, &action, NULL) == 0);
  CHECK(sigaction(SIGRTMIN + 1, &action, NULL) == 0);

  /* Ids, in order; a NULL sigevent means SIGALRM with the id as value. */
  int ids[4];
  CHECK(create(CLOCK_REALTIME, NULL, &ids[0]) == 0);
  struct sigevent usr1 = by_signal(SIGUSR1, 111);
  CHECK(create(CLOCK_MONOTONIC, &usr1, &ids[1]) == 0);
  struct sigevent rt = by_signal(SIGRTMIN + 1, 222);
  CHECK(create(CLOCK_BOOTTIME, &rt, &ids[2]) == 0);
  struct sigevent thread_id = by_signal(SIGUSR1, 333);
  thread_id.sigev_notify = SIGEV_THREAD_ID;
  thread_id._sigev_un._tid = main_tid;
  CHECK(create(CLOCK_MONOTONIC, &thread_id, &ids[3]) == 0);
  printf("ids: %d %d %d %d\n", ids[0], ids[1], ids[2], ids[3]);
  print_left("never armed", ids[0]);

  /* Three one-shot timers expire in the order of their dates, not of their creation. */
  arm(ids[0], 0, 0.6, 0, NULL);
  arm(ids[1], 0, 0.2, 0, NULL);
  arm(ids[2], 0, 0.4, 0, NULL);
  print_left("armed for 600 ms", ids[0]);
  nap(300);
  print_left("300 ms later", ids[0]);
  nap(400);
  print_events("after 700 ms");
  print_left("expired", ids[0]);
  CHECK(syscall(SYS_timer_getoverrun, ids[0]) == 0);

  /* An interval timer: three expirations in 700 ms, then disarmed; the old setting comes back. */
  arm(ids[3], 0, 0.2, 0.2, NULL);
  nap(700);
  struct itimerspec old;
  arm(ids[3], 0, 0, 0, &old);
  printf("disarmed: old setting %ld ms left, interval %ld ms\n", rounded_ms(&old.it_value), rounded_ms(&old.it_interval));
  print_events("interval 200 ms for 700 ms");
  nap(300);
  print_events("disarmed, 300 ms later");

  /* While its signal is blocked, the expirations of an interval timer become overruns of one signal. */
  sigset_t usr1_only;
  sigemptyset(&usr1_only);
  sigaddset(&usr1_only, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &usr1_only, NULL) == 0);
  arm(ids[1], 0, 0.1, 0.2, NULL);
  nap(800);
  print_events("blocked for 800 ms");
  CHECK(sigprocmask(SIG_UNBLOCK, &usr1_only, NULL) == 0);
  print_events("unblocked");
  printf("timer_getoverrun: %ld\n", syscall(SYS_timer_getoverrun, ids[1]));
  arm(ids[1], 0, 0, 0, NULL);

  /* An absolute date on CLOCK_MONOTONIC, and one already past (it fires at once). */
  struct timespec now;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &now) == 0);
  struct itimerspec at = {.it_value = {now.tv_sec, now.tv_nsec}};
  at.it_value.tv_nsec += 200000000;
  if (at.it_value.tv_nsec >= 1000000000) {
    at.it_value.tv_sec++;
    at.it_value.tv_nsec -= 1000000000;
  }
  CHECK(syscall(SYS_timer_settime, ids[1], TIMER_ABSTIME, &at, NULL) == 0);
  print_left("absolute, 200 ms ahead", ids[1]);
  nap(300);
  print_events("absolute date reached");
  at.it_value.tv_sec -= 10;
  CHECK(syscall(SYS_timer_settime, ids[1], TIMER_ABSTIME, &at, NULL) == 0);
  nap(10);
  print_events("absolute date in the past");

  /* SIGEV_NONE: no signal, but timer_gettime counts down. */
  struct sigevent none = {.sigev_notify = SIGEV_NONE};
  int quiet;
  CHECK(create(CLOCK_MONOTONIC, &none, &quiet) == 0);
  printf("SIGEV_NONE id: %d\n", quiet);
  arm(quiet, 0, 0.5, 0, NULL);
  nap(200);
  print_left("SIGEV_NONE after 200 ms", quiet);
  nap(400);
  print_left("SIGEV_NONE after 600 ms", quiet);
  print_events("SIGEV_NONE");

  /* Deleted ids are not given again; bad calls fail as on Linux. */
  CHECK(syscall(SYS_timer_delete, ids[2]) == 0);
  int next;
  CHECK(create(CLOCK_REALTIME, NULL, &next) == 0);
  printf("after deleting %d, the next id: %d\n", ids[2], next);
  struct itimerspec any = {.it_value = {1, 0}};
  report("settime of a deleted timer", syscall(SYS_timer_settime, ids[2], 0, &any, NULL));
  report("gettime of an unknown id", syscall(SYS_timer_gettime, 9999, &any));
  report("delete of a deleted timer", syscall(SYS_timer_delete, ids[2]));
  report("getoverrun of an unknown id", syscall(SYS_timer_getoverrun, 9999));
  struct itimerspec bad = {.it_value = {0, 1000000000}};
  report("nanoseconds out of range", syscall(SYS_timer_settime, next, 0, &bad, NULL));
  report("no new setting", syscall(SYS_timer_settime, next, 0, NULL, NULL));
  struct sigevent bad_signal = by_signal(200, 0);
  int unused;
  report("signal 200", create(CLOCK_REALTIME, &bad_signal, &unused));
  report("unknown clock", create(99, NULL, &unused));
  struct sigevent other_thread = thread_id;
  other_thread._sigev_un._tid = 1;
  report("SIGEV_THREAD_ID of another process", create(CLOCK_REALTIME, &other_thread, &unused));

  /* sigtimedwait takes a timer's blocked signal, with its siginfo; with nothing pending it times out with EAGAIN. */
  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  CHECK(sigprocmask(SIG_BLOCK, &usr2, NULL) == 0);
  struct sigevent to_usr2 = by_signal(SIGUSR2, 444);
  int waited;
  CHECK(create(CLOCK_MONOTONIC, &to_usr2, &waited) == 0);
  arm(waited, 0, 0.2, 0, NULL);
  siginfo_t info;
  struct timespec long_wait = {1, 0}, short_wait = {0, 100000000};
  int taken = sigtimedwait(&usr2, &info, &long_wait);
  printf("sigtimedwait: %s, timer %d value %d%s\n", taken == SIGUSR2 ? "SIGUSR2" : "?", info.si_timerid, info.si_value.sival_int,
         info.si_code == SI_TIMER ? "" : " not SI_TIMER");
  report("sigtimedwait with nothing pending", sigtimedwait(&usr2, &info, &short_wait));

  /* SIGEV_THREAD: glibc's helper thread takes the signal (sigwaitinfo) and runs the function in a thread. */
  struct sigevent in_thread = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = count_call};
  timer_t threaded;
  CHECK(timer_create(CLOCK_MONOTONIC, &in_thread, &threaded) == 0);
  struct itimerspec every_200ms = {.it_value = {0, 200000000}, .it_interval = {0, 200000000}};
  CHECK(timer_settime(threaded, 0, &every_200ms, NULL) == 0);
  nap(700);
  CHECK(timer_delete(threaded) == 0);
  nap(300);
  printf("SIGEV_THREAD: %d calls in 700 ms\n", (int)calls);
  printf("EXIT-SUCCESS\n");
  return 0;
}
