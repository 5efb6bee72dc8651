/* Who sent a signal that is taken without being delivered to a handler:
 * a child's kill read from a signalfd (read and readv, one record and two),
 * a child's group kill (kill(0)) read from a signalfd, a child's exit as
 * SIGCHLD read from a signalfd (CLD_EXITED, its status), a child's kill
 * taken by sigwaitinfo and sigtimedwait. Each sender is compared with the
 * pid fork returned in the same run, so a native run and a run under
 * simterpose print the same; a few children first make the pids of this run
 * differ from the first ones of a fresh pid namespace. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* A child that sends `signal` to the parent (to its whole group with `group`), then exits with `status`. */
static pid_t child_sending(int signal, int group, int status) {
  pid_t parent = getpid();
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    if (signal != 0) CHECK(kill(group ? 0 : parent, signal) == 0);
    _exit(status);
  }
  return child;
}

static void collect(pid_t child, int status) {
  int got;
  CHECK(waitpid(child, &got, 0) == child);
  CHECK(WIFEXITED(got) && WEXITSTATUS(got) == status);
}

static const char *whose(pid_t pid, pid_t child) {
  if (pid == child) return "the child's pid";
  if (pid == getpid()) return "own pid";
  if (pid == 0) return "pid 0";
  return "another pid";
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  /* A group of its own: the child's kill(0) reaches this program and its children only. */
  CHECK(setpgid(0, 0) == 0);
  for (int i = 0; i < 3; i++) collect(child_sending(0, 0, 0), 0);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGCHLD);
  CHECK(sigprocmask(SIG_BLOCK, &set, NULL) == 0);
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  int fd = signalfd(-1, &usr1, SFD_CLOEXEC);
  CHECK(fd >= 0);

  struct signalfd_siginfo info;
  pid_t child = child_sending(SIGUSR1, 0, 0);
  collect(child, 0);
  CHECK(read(fd, &info, sizeof info) == sizeof info);
  printf("signalfd read: SIGUSR1 %d, SI_USER %d, from %s\n", info.ssi_signo == SIGUSR1, info.ssi_code == SI_USER, whose(info.ssi_pid, child));

  /* A read that waits for the signal: the child is not collected before. */
  child = child_sending(SIGUSR1, 0, 0);
  CHECK(read(fd, &info, sizeof info) == sizeof info);
  printf("signalfd read that waited: from %s\n", whose(info.ssi_pid, child));
  collect(child, 0);

  /* readv across two vectors, the record cut between them. */
  child = child_sending(SIGUSR1, 0, 0);
  collect(child, 0);
  char head[20], tail[sizeof info - 20];
  struct iovec vectors[2] = {{head, sizeof head}, {tail, sizeof tail}};
  CHECK(readv(fd, vectors, 2) == sizeof info);
  memcpy(&info, head, sizeof head);
  memcpy((char *)&info + sizeof head, tail, sizeof tail);
  printf("signalfd readv: from %s\n", whose(info.ssi_pid, child));

  /* Group kill: under simterpose, simterpose sends it for the child. */
  child = child_sending(SIGUSR1, 1, 0);
  collect(child, 0);
  CHECK(read(fd, &info, sizeof info) == sizeof info);
  printf("signalfd read of kill(0): SI_USER %d, from %s\n", info.ssi_code == SI_USER, whose(info.ssi_pid, child));
  close(fd);

  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  /* Whatever SIGCHLD the earlier children left pending is taken first. */
  struct timespec none = {0, 0};
  while (sigtimedwait(&chld, NULL, &none) == SIGCHLD) {
  }
  fd = signalfd(-1, &chld, SFD_CLOEXEC);
  CHECK(fd >= 0);
  child = child_sending(0, 0, 7);
  CHECK(read(fd, &info, sizeof info) == sizeof info);
  printf("signalfd SIGCHLD: CLD_EXITED %d, status %d, from %s\n", info.ssi_code == CLD_EXITED, info.ssi_status, whose(info.ssi_pid, child));
  collect(child, 7);
  close(fd);

  sigset_t usr2;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  siginfo_t taken;
  child = child_sending(SIGUSR2, 0, 0);
  CHECK(sigwaitinfo(&usr2, &taken) == SIGUSR2);
  printf("sigwaitinfo: SI_USER %d, from %s\n", taken.si_code == SI_USER, whose(taken.si_pid, child));
  collect(child, 0);
  child = child_sending(SIGUSR2, 0, 0);
  struct timespec second = {1, 0};
  CHECK(sigtimedwait(&usr2, &taken, &second) == SIGUSR2);
  printf("sigtimedwait: from %s\n", whose(taken.si_pid, child));
  collect(child, 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
