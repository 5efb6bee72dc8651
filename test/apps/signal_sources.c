/* The siginfo of signals from sources other than kill, taken without a
 * delivery (from a signalfd, and by sigwaitinfo or sigtimedwait): sigqueue
 * from a child (SI_QUEUE, its pid, the value), a POSIX timer (SI_TIMER, its
 * id, its overrun, its value), a POSIX message queue's notification
 * (SI_MESGQ, the sender's pid, the value), and the SIGIO of a pipe whose
 * reading end has O_ASYNC (SIGIO itself: SI_KERNEL; a signal chosen with
 * F_SETSIG: POLL_IN, the descriptor, its band). Pids print as how they
 * relate to the child fork gave, so a native run and a run under simterpose
 * print the same. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *whose(pid_t pid, pid_t child) {
  if (pid == 0) return "pid 0";
  if (pid == child) return "the child's pid";
  if (pid == getpid()) return "own pid";
  return "another pid";
}

static const char *code_name(int code) {
  switch (code) {
    case SI_USER: return "SI_USER";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TIMER: return "SI_TIMER";
    case SI_MESGQ: return "SI_MESGQ";
    case SI_TKILL: return "SI_TKILL";
    case POLL_IN: return "POLL_IN";
    default: return "another code";
  }
}

static void collect(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Takes the one pending signal of `set` from `fd` (a signalfd), or with sigwaitinfo when fd is -1. */
static void take(const char *what, int fd, const sigset_t *set, pid_t child) {
  if (fd >= 0) {
    struct signalfd_siginfo info;
    CHECK(read(fd, &info, sizeof info) == sizeof info);
    printf("%s, signalfd: signal %d, %s, errno %d, from %s, uid %s, fd %d, band %#x, tid %u, overrun %u, int %d, ptr %#llx\n", what,
           (int)info.ssi_signo - SIGRTMIN, code_name(info.ssi_code), info.ssi_errno, whose((pid_t)info.ssi_pid, child),
           info.ssi_uid == getuid() ? "own" : info.ssi_uid == 0 ? "0" : "another", info.ssi_fd, info.ssi_band, info.ssi_tid, info.ssi_overrun, info.ssi_int,
           (unsigned long long)info.ssi_ptr);
    return;
  }
  siginfo_t info;
  memset(&info, 0xAB, sizeof info);
  int signal = sigwaitinfo(set, &info);
  CHECK(signal > 0);
  printf("%s, sigwaitinfo: signal %d, %s, ", what, signal - SIGRTMIN, code_name(info.si_code));
  switch (info.si_code) {
    case SI_TIMER:
      printf("timer %d, overrun %d, int %d, ptr %p\n", info.si_timerid, info.si_overrun, info.si_value.sival_int, info.si_value.sival_ptr);
      break;
    case POLL_IN:
      printf("fd %d, band %#lx\n", info.si_fd, info.si_band);
      break;
    case SI_KERNEL:
      printf("nothing more\n");
      break;
    default:
      printf("from %s, uid %s, int %d, ptr %p\n", whose(info.si_pid, child), info.si_uid == getuid() ? "own" : "another", info.si_value.sival_int,
             info.si_value.sival_ptr);
  }
}

static void queued_by_a_child(int fd, const sigset_t *set) {
  pid_t parent = getpid();
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    CHECK(sigqueue(parent, SIGRTMIN, (union sigval){.sival_int = 42}) == 0);
    _exit(0);
  }
  collect(child);
  take("sigqueue", fd, set, child);
}

static void from_a_timer(int fd, const sigset_t *set) {
  struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 1, .sigev_value.sival_ptr = (void *)0x1234};
  int id;
  CHECK(syscall(SYS_timer_create, CLOCK_MONOTONIC, &event, &id) == 0);
  /* Expiries at 100, 200 and 300 ms: one signal, two overruns, when it is taken at 350 ms. */
  struct itimerspec every = {.it_value = {0, 100000000}, .it_interval = {0, 100000000}};
  CHECK(syscall(SYS_timer_settime, id, 0, &every, NULL) == 0);
  struct timespec pause = {0, 350000000};
  CHECK(nanosleep(&pause, NULL) == 0);
  take("timer", fd, set, 0);
  CHECK(syscall(SYS_timer_delete, id) == 0);
}

static void from_a_message_queue(int fd, const sigset_t *set) {
  char name[64];
  snprintf(name, sizeof name, "/signal_sources_%d", getpid());
  struct mq_attr attributes = {.mq_maxmsg = 4, .mq_msgsize = 16};
  mqd_t queue = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attributes);
  CHECK(queue != (mqd_t)-1);
  CHECK(mq_unlink(name) == 0);
  struct sigevent event = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN + 2, .sigev_value.sival_int = 9};
  CHECK(mq_notify(queue, &event) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    CHECK(mq_send(queue, "hello", 5, 0) == 0);
    _exit(0);
  }
  collect(child);
  take("message queue", fd, set, child);
  char message[16];
  CHECK(mq_receive(queue, message, sizeof message, NULL) == 5);
  mq_close(queue);
}

/* A pipe whose reading end has O_ASYNC and this process as its owner: a write makes it readable. */
static void from_a_pipe(int fd, const sigset_t *set, int chosen) {
  int ends[2];
  CHECK(pipe(ends) == 0);
  CHECK(fcntl(ends[0], F_SETOWN, getpid()) == 0);
  if (chosen) CHECK(fcntl(ends[0], F_SETSIG, SIGRTMIN + 3) == 0);
  CHECK(fcntl(ends[0], F_SETFL, O_ASYNC | O_NONBLOCK) == 0);
  CHECK(write(ends[1], "x", 1) == 1);
  take(chosen ? "F_SETSIG" : "SIGIO", fd, set, 0);
  close(ends[0]);
  close(ends[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  sigset_t set;
  sigemptyset(&set);
  for (int i = 0; i < 4; i++) sigaddset(&set, SIGRTMIN + i);
  sigaddset(&set, SIGIO);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  int fd = signalfd(-1, &set, SFD_CLOEXEC);
  CHECK(fd == 3);
  for (int i = 0; i < 2; i++) {
    int from = i == 0 ? fd : -1;
    queued_by_a_child(from, &set);
    from_a_timer(from, &set);
    from_a_message_queue(from, &set);
    from_a_pipe(from, &set, 0);
    from_a_pipe(from, &set, 1);
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
