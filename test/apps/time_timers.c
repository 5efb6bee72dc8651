/* time_timers <scenario>: one scenario of timers and interrupted sleeps,
 * printing the monotonic time elapsed since the start (in seconds, to the ns)
 * at each event, so that a test can check the virtual dates. Scenarios:
 *   itimer-once      setitimer one-shot; getitimer on the way
 *   itimer-periodic  setitimer every 0.25 s, counting SIGALRMs over 10 s
 *   alarm            alarm, re-armed: the seconds left, then the signal
 *   pause            pause woken by an alarm
 *   timerfd-once     a one-shot timerfd, blocking read
 *   timerfd-periodic a periodic timerfd read after several expirations
 *   timerfd-poll     poll on a timerfd, then a poll timing out first
 *   timerfd-epoll    epoll_wait on a timerfd armed at an absolute date
 *   abstime          clock_nanosleep TIMER_ABSTIME on REALTIME and MONOTONIC
 *   eintr-itimer     nanosleep interrupted by an itimer's SIGALRM
 *   eintr-kill       sleeps interrupted by a child's kill(SIGUSR1) */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "check.h"

static int64_t start_ns;
static volatile sig_atomic_t signals_seen;
#define MAX_DATES 64
static int64_t signal_dates[MAX_DATES];

static int64_t now_ns(clockid_t id) {
  struct timespec t;
  CHECK(clock_gettime(id, &t) == 0);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t elapsed_ns(void) { return now_ns(CLOCK_MONOTONIC) - start_ns; }

static void print_seconds(const char *what, int64_t ns) {
  printf("%s %s%lld.%09lld\n", what, ns < 0 ? "-" : "", (long long)(llabs(ns) / 1000000000), (long long)(llabs(ns) % 1000000000));
}

static void event(const char *what) { print_seconds(what, elapsed_ns()); }

static void on_signal(int signal) {
  (void)signal;
  if (signals_seen < MAX_DATES) signal_dates[signals_seen] = elapsed_ns();
  signals_seen++;
}

/* Waits for one signal the race-free way: blocked until sigsuspend opens it. */
static void wait_for(int signal) {
  sigset_t blocked, open;
  sigemptyset(&blocked);
  sigaddset(&blocked, signal);
  CHECK(sigprocmask(SIG_BLOCK, &blocked, &open) == 0);
  int seen = signals_seen;
  while (signals_seen == seen) {
    CHECK(sigsuspend(&open) == -1 && errno == EINTR);
  }
  CHECK(sigprocmask(SIG_SETMASK, &open, NULL) == 0);
}

/* Without SA_RESTART: a sleep the signal interrupts fails with EINTR. */
static void catch(int signal) {
  struct sigaction action = {0};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(signal, &action, NULL) == 0);
}

static struct timespec ts(double seconds) {
  struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9 + 0.5)};
  return t;
}

static int64_t ts_ns(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static void set_itimer(double value, double interval) {
  struct itimerval timer = {{(time_t)interval, (long)((interval - (time_t)interval) * 1e6 + 0.5)},
                            {(time_t)value, (long)((value - (time_t)value) * 1e6 + 0.5)}};
  CHECK(setitimer(ITIMER_REAL, &timer, NULL) == 0);
}

static void sleep_for(double seconds) {
  struct timespec t = ts(seconds);
  CHECK(nanosleep(&t, NULL) == 0);
}

static void itimer_once(void) {
  catch(SIGALRM);
  set_itimer(1.5, 0);
  sleep_for(0.5);
  struct itimerval left;
  CHECK(getitimer(ITIMER_REAL, &left) == 0);
  printf("getitimer value %ld.%06ld interval %ld.%06ld\n", (long)left.it_value.tv_sec, (long)left.it_value.tv_usec,
         (long)left.it_interval.tv_sec, (long)left.it_interval.tv_usec);
  wait_for(SIGALRM);
  print_seconds("SIGALRM at", signal_dates[0]);
  CHECK(getitimer(ITIMER_REAL, &left) == 0);
  printf("after: getitimer value %ld.%06ld\n", (long)left.it_value.tv_sec, (long)left.it_value.tv_usec);
}

static void itimer_periodic(void) {
  catch(SIGALRM);
  set_itimer(0.25, 0.25);
  struct timespec deadline = ts((double)(start_ns + 10100000000LL) / 1e9);
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR) continue;
  set_itimer(0, 0);
  event("slept until");
  printf("SIGALRM count %d\n", (int)signals_seen);
  for (int i = 0; i < signals_seen && i < MAX_DATES; i += 13) {
    char what[32];
    snprintf(what, sizeof what, "SIGALRM %d at", i + 1);
    print_seconds(what, signal_dates[i]);
  }
}

static void alarm_scenario(void) {
  catch(SIGALRM);
  printf("alarm(5) returned %u\n", alarm(5));
  sleep_for(2);
  printf("alarm(10) returned %u\n", alarm(10));
  wait_for(SIGALRM);
  print_seconds("SIGALRM at", signal_dates[0]);
  printf("alarm(0) returned %u\n", alarm(0));
}

/* pause returns -1 EINTR once the handler of the signal that woke it ran. */
static void pause_scenario(void) {
  catch(SIGALRM);
  alarm(3);
  int result = pause();
  printf("pause returned %d errno %s\n", result, errno == EINTR ? "EINTR" : strerror(errno));
  print_seconds("SIGALRM at", signal_dates[0]);
}

static int arm_timerfd(clockid_t clock, int flags, double value, double interval) {
  int fd = timerfd_create(clock, TFD_CLOEXEC);
  CHECK(fd >= 0);
  struct itimerspec spec = {ts(interval), ts(value)};
  CHECK(timerfd_settime(fd, flags, &spec, NULL) == 0);
  return fd;
}

static void read_expirations(int fd) {
  uint64_t count;
  CHECK(read(fd, &count, sizeof count) == sizeof count);
  char what[64];
  snprintf(what, sizeof what, "read %llu expirations at", (unsigned long long)count);
  event(what);
}

static void timerfd_once(void) {
  int fd = arm_timerfd(CLOCK_MONOTONIC, 0, 2.5, 0);
  read_expirations(fd);
  struct itimerspec left;
  CHECK(timerfd_gettime(fd, &left) == 0);
  print_seconds("gettime value", ts_ns(left.it_value));
}

static void timerfd_periodic(void) {
  int fd = arm_timerfd(CLOCK_MONOTONIC, 0, 1, 0.5);
  sleep_for(3.2);
  read_expirations(fd);
  struct itimerspec left;
  CHECK(timerfd_gettime(fd, &left) == 0);
  print_seconds("gettime value", ts_ns(left.it_value));
  print_seconds("gettime interval", ts_ns(left.it_interval));
  read_expirations(fd);
}

static void timerfd_poll(void) {
  int fd = arm_timerfd(CLOCK_MONOTONIC, 0, 0.75, 0);
  struct pollfd watch = {fd, POLLIN, 0};
  int ready = poll(&watch, 1, 10000);
  printf("poll returned %d revents %s\n", ready, watch.revents & POLLIN ? "POLLIN" : "none");
  event("at");
  read_expirations(fd);
  struct itimerspec spec = {ts(0), ts(5)};
  CHECK(timerfd_settime(fd, 0, &spec, NULL) == 0);
  ready = poll(&watch, 1, 1500);
  printf("poll returned %d\n", ready);
  event("at");
}

static void timerfd_epoll(void) {
  struct timespec now;
  CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
  int fd = arm_timerfd(CLOCK_REALTIME, TFD_TIMER_ABSTIME, (double)now.tv_sec + 2, 0);
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epoll >= 0);
  struct epoll_event interest = {.events = EPOLLIN, .data.u32 = 42};
  CHECK(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &interest) == 0);
  struct epoll_event ready;
  int count = epoll_wait(epoll, &ready, 1, 10000);
  printf("epoll_wait returned %d data %u\n", count, ready.data.u32);
  event("at");
  read_expirations(fd);
}

static void abstime(void) {
  struct timespec now;
  CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
  struct timespec wake = {now.tv_sec + 100, 123456789};
  CHECK(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &wake, NULL) == 0);
  struct timespec woke;
  CHECK(clock_gettime(CLOCK_REALTIME, &woke) == 0);
  printf("REALTIME woke at %lld.%09ld asked %lld.%09ld\n", (long long)woke.tv_sec, woke.tv_nsec, (long long)wake.tv_sec, wake.tv_nsec);
  event("elapsed");
  struct timespec mono = ts((double)(start_ns + 200000000000LL) / 1e9);
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &mono, NULL) == 0);
  event("MONOTONIC woke, elapsed");
  struct timespec past = {1, 0};
  CHECK(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL) == 0);
  event("a date in the past returns at once, elapsed");
}

static void print_interrupted(const char *call, int result, struct timespec left) {
  printf("%s returned %d errno %s\n", call, result, result == -1 && errno == EINTR ? "EINTR" : strerror(errno));
  print_seconds("  remaining", ts_ns(left));
  event("  at");
}

static void eintr_itimer(void) {
  catch(SIGALRM);
  set_itimer(1, 0);
  struct timespec request = ts(10), left = {0, 0};
  int result = nanosleep(&request, &left);
  print_interrupted("nanosleep", result, left);
}

static void eintr_kill(void) {
  catch(SIGUSR1);
  pid_t parent = getpid();
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    sleep_for(2);
    CHECK(kill(parent, SIGUSR1) == 0);
    sleep_for(3);
    CHECK(kill(parent, SIGUSR1) == 0);
    sleep_for(4);
    CHECK(kill(parent, SIGUSR1) == 0);
    _exit(0);
  }
  struct timespec request = ts(10), left = {0, 0};
  int result = nanosleep(&request, &left);
  print_interrupted("nanosleep", result, left);
  request = ts(10.5);
  left = (struct timespec){0, 0};
  result = clock_nanosleep(CLOCK_MONOTONIC, 0, &request, &left);
  /* clock_nanosleep returns the error number instead of setting errno. */
  errno = result;
  print_interrupted("clock_nanosleep", result == EINTR ? -1 : result, left);
  printf("sleep(20) returned %u\n", sleep(20));
  event("  at");
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  printf("signals %d\n", (int)signals_seen);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: time_timers <scenario>\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  start_ns = now_ns(CLOCK_MONOTONIC);
  const char *scenario = argv[1];
  if (strcmp(scenario, "itimer-once") == 0) itimer_once();
  else if (strcmp(scenario, "itimer-periodic") == 0) itimer_periodic();
  else if (strcmp(scenario, "alarm") == 0) alarm_scenario();
  else if (strcmp(scenario, "pause") == 0) pause_scenario();
  else if (strcmp(scenario, "timerfd-once") == 0) timerfd_once();
  else if (strcmp(scenario, "timerfd-periodic") == 0) timerfd_periodic();
  else if (strcmp(scenario, "timerfd-poll") == 0) timerfd_poll();
  else if (strcmp(scenario, "timerfd-epoll") == 0) timerfd_epoll();
  else if (strcmp(scenario, "abstime") == 0) abstime();
  else if (strcmp(scenario, "eintr-itimer") == 0) eintr_itimer();
  else if (strcmp(scenario, "eintr-kill") == 0) eintr_kill();
  else {
    fprintf(stderr, "time_timers: unknown scenario '%s'\n", scenario);
    return 2;
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
