/* Signals: handlers with and without SA_RESTART, raise, kill of a child
 * blocked in pause, SIGCHLD, a blocked pending signal, death by SIGTERM.
 * The parent learns that a child is ready through a pipe, never by sleeping;
 * children report through their exit status and never print. */
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t handled;
static int wake_pipe[2];

static void count_signal(int signo) {
  (void)signo;
  handled++;
}

/* Makes the interrupted read below find data once the handler has run. */
static void count_and_feed_pipe(int signo) {
  (void)signo;
  handled++;
  char byte = 'x';
  if (write(wake_pipe[1], &byte, 1) != 1) _exit(99);
}

static void install(int signo, void (*handler)(int), int flags) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  action.sa_flags = flags;
  sigemptyset(&action.sa_mask);
  CHECK(sigaction(signo, &action, NULL) == 0);
}

static void arm_timer_ms(int ms) {
  struct itimerval timer = {{0, 0}, {0, ms * 1000}};
  CHECK(setitimer(ITIMER_REAL, &timer, NULL) == 0);
}

/* A read blocked on an empty pipe is interrupted by SIGALRM; the handler
 * writes a byte. With SA_RESTART the read resumes and gets it; without,
 * the read fails with EINTR and the byte waits for the next read. */
static void interrupted_read(int flags, const char *label) {
  CHECK(pipe(wake_pipe) == 0);
  handled = 0;
  install(SIGALRM, count_and_feed_pipe, flags);
  arm_timer_ms(100);
  char byte = 0;
  errno = 0;
  ssize_t got = read(wake_pipe[0], &byte, 1);
  if (flags & SA_RESTART) {
    CHECK(got == 1 && byte == 'x');
    printf("%s: read restarted and got the byte, handler ran %d time(s)\n", label, (int)handled);
  } else {
    CHECK(got == -1 && errno == EINTR);
    CHECK(read(wake_pipe[0], &byte, 1) == 1 && byte == 'x');
    printf("%s: read failed with EINTR, handler ran %d time(s)\n", label, (int)handled);
  }
  CHECK(handled == 1);
  close(wake_pipe[0]);
  close(wake_pipe[1]);
  install(SIGALRM, SIG_DFL, 0);
}

static void raise_runs_handler_at_once(void) {
  handled = 0;
  install(SIGUSR2, count_signal, 0);
  CHECK(raise(SIGUSR2) == 0);
  CHECK(handled == 1);
  printf("raise: handler ran before raise returned\n");
}

static void wait_until_ready(int ready_fd) {
  char byte;
  CHECK(read(ready_fd, &byte, 1) == 1);
  close(ready_fd);
}

static int status_of(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  return status;
}

static void exit_from_handler(int signo) {
  (void)signo;
  _exit(42);
}

/* The handler exits the child, so it makes no difference whether the signal
 * lands just before pause or during it. */
static void kill_child_in_pause(void) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    install(SIGUSR1, exit_from_handler, 0);
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(98);
    for (;;) pause();
  }
  close(ready[1]);
  wait_until_ready(ready[0]);
  CHECK(kill(child, SIGUSR1) == 0);
  int status = status_of(child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 42);
  printf("pause: child in pause() ran its SIGUSR1 handler and exited with %d\n",
         WEXITSTATUS(status));
}

/* sigsuspend closes the window between "ready" and waiting: the signal stays
 * blocked until sigsuspend atomically unblocks it, so it must interrupt it. */
static void sigsuspend_returns_eintr(void) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  sigset_t usr1, old;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &usr1, &old) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    handled = 0;
    install(SIGUSR1, count_signal, 0);
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(98);
    sigset_t nothing_blocked;
    sigemptyset(&nothing_blocked);
    int result = sigsuspend(&nothing_blocked);
    _exit(result == -1 && errno == EINTR && handled == 1 ? 50 : 51);
  }
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  close(ready[1]);
  wait_until_ready(ready[0]);
  CHECK(kill(child, SIGUSR1) == 0);
  int status = status_of(child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 50);
  printf("sigsuspend: returned EINTR after the handler ran\n");
}

static volatile sig_atomic_t children_reported;
static void count_child(int signo) {
  (void)signo;
  children_reported++;
}

/* One child at a time, so SIGCHLDs cannot coalesce into one. */
static void sigchld_counts_children(void) {
  sigset_t chld, old;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &chld, &old) == 0);
  install(SIGCHLD, count_child, SA_RESTART);
  children_reported = 0;
  sigset_t unblocked = old;
  sigdelset(&unblocked, SIGCHLD);
  for (int i = 0; i < 3; i++) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) _exit(i);
    while (children_reported < i + 1) sigsuspend(&unblocked);
    int status = status_of(child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == i);
  }
  CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
  install(SIGCHLD, SIG_DFL, 0);
  printf("sigchld: handler counted %d children\n", (int)children_reported);
  CHECK(children_reported == 3);
}

static void blocked_signal_waits_until_unblocked(void) {
  handled = 0;
  install(SIGUSR1, count_signal, 0);
  sigset_t usr1, pending;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0);
  CHECK(raise(SIGUSR1) == 0);
  CHECK(handled == 0);
  CHECK(sigpending(&pending) == 0);
  CHECK(sigismember(&pending, SIGUSR1) == 1);
  printf("sigprocmask: SIGUSR1 pending while blocked, handler not run\n");
  CHECK(sigprocmask(SIG_UNBLOCK, &usr1, NULL) == 0);
  CHECK(handled == 1);
  CHECK(sigpending(&pending) == 0);
  CHECK(sigismember(&pending, SIGUSR1) == 0);
  printf("sigprocmask: handler ran once on unblock\n");
  install(SIGUSR1, SIG_DFL, 0);
}

static void sigterm_kills_child(void) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    close(ready[0]);
    if (write(ready[1], "r", 1) != 1) _exit(98);
    for (;;) pause();
  }
  close(ready[1]);
  wait_until_ready(ready[0]);
  CHECK(kill(child, SIGTERM) == 0);
  int status = status_of(child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGTERM);
  printf("sigterm: child killed by signal %d\n", WTERMSIG(status));
}

int main(void) {
  interrupted_read(SA_RESTART, "SA_RESTART");
  interrupted_read(0, "no SA_RESTART");
  raise_runs_handler_at_once();
  kill_child_in_pause();
  sigsuspend_returns_eintr();
  sigchld_counts_children();
  blocked_signal_waits_until_unblocked();
  sigterm_kills_child();
  printf("EXIT-SUCCESS\n");
  return 0;
}
