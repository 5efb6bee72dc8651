/* A signalfd as programs wait on it, printed step by step so that a native
 * run and one under simterpose can be compared line for line: a blocking
 * read that another process's kill ends, a non-blocking read with nothing
 * pending (EAGAIN), poll and epoll that report it readable only once a
 * signal of its mask is pending, and one outside its mask that does not. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static double now(void) {
  struct timespec t;
  CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* A child that sends `signal` to the parent after `ms`. */
static pid_t send_later(int signal, long ms) {
  pid_t parent = getpid();
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
    kill(parent, signal);
    _exit(0);
  }
  return child;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  sigset_t only_usr1;
  sigemptyset(&only_usr1);
  sigaddset(&only_usr1, SIGUSR1);
  int fd = signalfd(-1, &only_usr1, SFD_CLOEXEC);
  CHECK(fd >= 0);
  struct signalfd_siginfo info;

  pid_t child = send_later(SIGUSR1, 100);
  double start = now();
  ssize_t got = read(fd, &info, sizeof info);
  double waited = now() - start;
  printf("blocking read: %zd bytes, SIGUSR1 %d, after 0.1 s %d\n", got, info.ssi_signo == SIGUSR1, waited > 0.095 && waited < 0.15);
  CHECK(waitpid(child, NULL, 0) == child);

  CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0);
  got = read(fd, &info, sizeof info);
  printf("non-blocking read, nothing pending: %zd %s\n", got, got < 0 ? strerrorname_np(errno) : "");

  /* SIGUSR2 is blocked but outside the mask: pending, and still not readable. */
  child = send_later(SIGUSR2, 10);
  struct pollfd poller = {.fd = fd, .events = POLLIN};
  start = now();
  CHECK(fcntl(fd, F_SETFL, 0) == 0);
  int ready = poll(&poller, 1, 100);
  printf("poll while only SIGUSR2 is pending: %d after 0.1 s %d\n", ready, now() - start >= 0.1);
  CHECK(waitpid(child, NULL, 0) == child);

  int epoll = epoll_create1(0);
  struct epoll_event event = {.events = EPOLLIN, .data.u32 = 7};
  CHECK(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0);
  child = send_later(SIGUSR1, 50);
  start = now();
  ready = epoll_wait(epoll, &event, 1, 1000);
  waited = now() - start;
  printf("epoll_wait: %d, data %u, after 0.05 s %d\n", ready, event.data.u32, waited > 0.045 && waited < 0.1);
  got = read(fd, &info, sizeof info);
  printf("read: %zd, SIGUSR1 %d\n", got, info.ssi_signo == SIGUSR1);
  CHECK(waitpid(child, NULL, 0) == child);
  printf("EXIT-SUCCESS\n");
  return 0;
}
