/* Process and thread ids as a program sees them: its own, its parent's,
 * a thread's, a forked child's (from fork, getpid in the child, waitpid
 * and waitid), and the ids signals and joins go by: kill, waitpid,
 * pthread_kill, pthread_join, tgkill, sigqueue. Under simterpose they are the
 * virtual ids of the host, in creation order. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t usr1_seen;
static volatile sig_atomic_t usr2_seen;

static void on_usr1(int signal) {
  (void)signal;
  usr1_seen = 1;
}

static void on_usr2(int signal) {
  (void)signal;
  usr2_seen = 1;
}

static volatile pid_t sigchld_sender;

static void on_sigchld(int signal, siginfo_t *info, void *context) {
  (void)signal;
  (void)context;
  sigchld_sender = info->si_pid;
}

static volatile pid_t usr1_sender;

static void on_usr1_info(int signal, siginfo_t *info, void *context) {
  (void)signal;
  (void)context;
  usr1_seen = 1;
  usr1_sender = info->si_pid;
}

static pid_t thread_tid;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static int thread_ready;

static void *thread_main(void *arg) {
  (void)arg;
  pthread_mutex_lock(&lock);
  thread_tid = gettid();
  thread_ready = 1;
  pthread_cond_broadcast(&changed);
  while (!usr2_seen) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  return (void *)(long)getpid();
}

int main(void) {
  printf("main pid %d ppid %d tid %d\n", getpid(), getppid(), gettid());
  CHECK(getpid() == gettid());
  printf("main group %d session %d\n", getpgrp(), getsid(0));
  CHECK(getpgid(0) == getpgrp());
  CHECK(getpgid(getpid()) == getpgrp());

  struct sigaction action = {0};
  action.sa_handler = on_usr2;
  CHECK(sigaction(SIGUSR2, &action, NULL) == 0);
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, thread_main, NULL) == 0);
  pthread_mutex_lock(&lock);
  while (!thread_ready) pthread_cond_wait(&changed, &lock);
  pthread_mutex_unlock(&lock);
  printf("thread tid %d\n", thread_tid);
  /* pthread_kill signals by the tid glibc keeps from clone (pd->tid): it must be the virtual one. */
  CHECK(pthread_kill(thread, SIGUSR2) == 0);
  pthread_mutex_lock(&lock);
  pthread_cond_broadcast(&changed);
  pthread_mutex_unlock(&lock);
  void *thread_result;
  CHECK(pthread_join(thread, &thread_result) == 0);
  CHECK((long)thread_result == getpid());
  CHECK(usr2_seen);
  printf("thread joined after pthread_kill\n");

  struct sigaction chld = {0};
  chld.sa_sigaction = on_sigchld;
  chld.sa_flags = SA_SIGINFO | SA_RESTART;
  CHECK(sigaction(SIGCHLD, &chld, NULL) == 0);
  /* SIGUSR1 stays blocked until the child waits for it: sent early, it is pending, never lost. */
  sigset_t usr1, empty;
  sigemptyset(&usr1);
  sigemptyset(&empty);
  sigaddset(&usr1, SIGUSR1);
  CHECK(sigprocmask(SIG_BLOCK, &usr1, NULL) == 0);
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    printf("child pid %d ppid %d tid %d\n", getpid(), getppid(), gettid());
    fflush(stdout);
    action.sa_handler = on_usr1;
    CHECK(sigaction(SIGUSR1, &action, NULL) == 0);
    while (!usr1_seen) sigsuspend(&empty);
    _exit(3);
  }
  CHECK(sigprocmask(SIG_UNBLOCK, &usr1, NULL) == 0);
  CHECK(kill(child, 0) == 0);
  CHECK(kill(child, SIGUSR1) == 0);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);
  printf("fork returned %d, waitpid collected it\n", child);
  CHECK(sigchld_sender == child);
  printf("SIGCHLD came from %d\n", sigchld_sender);
  errno = 0;
  CHECK(kill(child, 0) == -1 && errno == ESRCH);

  pid_t second = fork();
  CHECK(second >= 0);
  if (second == 0) _exit(4);
  siginfo_t info = {0};
  CHECK(waitid(P_PID, second, &info, WEXITED) == 0);
  CHECK(info.si_pid == second && info.si_status == 4);
  printf("waitid collected %d\n", info.si_pid);

  /* Signals to the caller itself by every route; the handler is told who sent them. */
  usr1_seen = 0;
  struct sigaction with_info = {0};
  with_info.sa_sigaction = on_usr1_info;
  with_info.sa_flags = SA_SIGINFO;
  CHECK(sigaction(SIGUSR1, &with_info, NULL) == 0);
  CHECK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1) == 0);
  CHECK(usr1_seen && usr1_sender == getpid());
  /* A group of its own, so that group signals reach nobody else (natively, the caller's group is its launcher's). */
  CHECK(setpgid(0, 0) == 0);
  CHECK(getpgrp() == getpid());
  printf("own group %d\n", getpgrp());
  usr1_seen = 0;
  CHECK(kill(0, SIGUSR1) == 0);
  CHECK(usr1_seen && usr1_sender == getpid());
  usr1_seen = 0;
  CHECK(kill(-getpgrp(), SIGUSR1) == 0);
  CHECK(usr1_seen && usr1_sender == getpid());
  printf("tgkill, kill(0) and kill(-group) reached the caller\n");
  /* sigqueue's siginfo is the sender's: glibc writes its getpid() as si_pid. */
  usr1_seen = 0;
  union sigval value = {.sival_int = 42};
  CHECK(sigqueue(getpid(), SIGUSR1, value) == 0);
  CHECK(usr1_seen && usr1_sender == getpid());
  printf("sigqueue reached the caller, from %d\n", usr1_sender);
  errno = 0;
  CHECK(kill(4242, 0) == -1 && errno == ESRCH);
  printf("EXIT-SUCCESS\n");
  return 0;
}
