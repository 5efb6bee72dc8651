/* Job control, printed step by step so that a native run and one under
 * simterpose can be compared line for line: SIGSTOP and SIGTSTP stop a
 * child (it makes no progress meanwhile, /proc shows it stopped), SIGCONT
 * resumes it; wait4 with WUNTRACED and WCONTINUED and waitid with WSTOPPED,
 * WCONTINUED and WNOWAIT report each change once; SIGCHLD carries
 * CLD_STOPPED and CLD_CONTINUED unless SA_NOCLDSTOP; a handled SIGTSTP
 * stops nothing; SIGKILL ends a stopped child. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "semantics.h"

static volatile long *progress;
static volatile sig_atomic_t tstp_handled;

static void on_tstp(int signal) {
  (void)signal;
  tstp_handled = 1;
}

/* Counts its naps in shared memory until killed; with `handle_tstp`, SIGTSTP only sets a flag it reports through the count. */
static pid_t start_child(int handle_tstp) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    if (handle_tstp) {
      struct sigaction action = {.sa_handler = on_tstp, .sa_flags = SA_RESTART};
      CHECK(sigaction(SIGTSTP, &action, NULL) == 0);
    }
    for (;;) {
      nap(10);
      progress[0]++;
      if (tstp_handled) progress[1] = 1;
    }
  }
  return child;
}

/* Whether the child counted on over 100 ms. */
static int moves(void) {
  long before = progress[0];
  nap(100);
  return progress[0] != before;
}

static char proc_state(pid_t pid) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE *file = fopen(path, "r");
  CHECK(file != NULL);
  CHECK(fgets(stat, sizeof stat, file) != NULL);
  fclose(file);
  return strrchr(stat, ')')[2];
}

static siginfo_t last_sigchld;
static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int signal, siginfo_t *info, void *context) {
  (void)signal;
  (void)context;
  last_sigchld = *info;
  sigchld_count++;
}

static void catch_sigchld(int flags) {
  struct sigaction action = {.sa_sigaction = on_sigchld, .sa_flags = SA_SIGINFO | SA_RESTART | flags};
  CHECK(sigaction(SIGCHLD, &action, NULL) == 0);
  sigchld_count = 0;
}

static void wait_for_sigchld(void) {
  for (int i = 0; i < 100 && sigchld_count == 0; i++) nap(1);
}

static void sigchld_line(const char *label, pid_t child) {
  wait_for_sigchld();
  printf("%s: SIGCHLD %d, code %s, pid %s, status %d\n", label, (int)sigchld_count,
         last_sigchld.si_code == CLD_STOPPED ? "CLD_STOPPED" : last_sigchld.si_code == CLD_CONTINUED ? "CLD_CONTINUED" : "other",
         last_sigchld.si_pid == child ? "the child's" : "another", last_sigchld.si_status);
  sigchld_count = 0;
}

static void kill_and_reap(pid_t child) {
  int status;
  CHECK(kill(child, SIGKILL) == 0);
  CHECK(waitpid(child, &status, 0) == child);
  printf("killed: signaled %d by %d\n", WIFSIGNALED(status), WTERMSIG(status));
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  progress = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(progress != MAP_FAILED);
  int status;

  /* wait4: a stop, reported once; a resumption, reported once. */
  pid_t child = start_child(0);
  CHECK(moves());
  CHECK(kill(child, SIGSTOP) == 0);
  CHECK(waitpid(child, &status, WUNTRACED) == child);
  printf("SIGSTOP: stopped %d by %d, state %c, moves %d\n", WIFSTOPPED(status), WSTOPSIG(status), proc_state(child), moves());
  printf("reported again: %d\n", (int)waitpid(child, &status, WUNTRACED | WNOHANG));
  CHECK(kill(child, SIGCONT) == 0);
  CHECK(waitpid(child, &status, WCONTINUED) == child);
  printf("SIGCONT: continued %d, moves %d\n", WIFCONTINUED(status), moves());
  printf("reported again: %d\n", (int)waitpid(child, &status, WCONTINUED | WNOHANG));

  /* A wait without WUNTRACED does not see the stop. (SIGSTOP: in an orphaned
   * process group, as under a test runner, Linux discards SIGTSTP.) */
  CHECK(kill(child, SIGSTOP) == 0);
  nap(50);
  printf("SIGSTOP, plain WNOHANG wait: %d, state %c\n", (int)waitpid(child, &status, WNOHANG), proc_state(child));

  /* waitid: WNOWAIT leaves the report for the next wait. */
  siginfo_t info;
  memset(&info, 0, sizeof info);
  CHECK(waitid(P_PID, child, &info, WSTOPPED | WNOWAIT) == 0);
  printf("waitid WNOWAIT: code %d (CLD_STOPPED %d), status %d, pid the child's %d\n", info.si_code, CLD_STOPPED, info.si_status, info.si_pid == child);
  memset(&info, 0, sizeof info);
  CHECK(waitid(P_ALL, 0, &info, WSTOPPED) == 0);
  printf("waitid: code %d, status %d, pid the child's %d\n", info.si_code, info.si_status, info.si_pid == child);
  CHECK(kill(child, SIGCONT) == 0);
  memset(&info, 0, sizeof info);
  CHECK(waitid(P_PID, child, &info, WCONTINUED) == 0);
  printf("waitid: code %d (CLD_CONTINUED %d), status %d\n", info.si_code, CLD_CONTINUED, info.si_status);

  /* SIGCHLD tells of stops and resumptions, unless SA_NOCLDSTOP. The
   * kernel sends the SIGCHLD of a resumption once the child runs: let the
   * last one go by (ignored) before catching them. */
  nap(50);
  catch_sigchld(0);
  CHECK(kill(child, SIGSTOP) == 0);
  sigchld_line("stop", child);
  CHECK(kill(child, SIGCONT) == 0);
  sigchld_line("resume", child);
  catch_sigchld(SA_NOCLDSTOP);
  CHECK(kill(child, SIGSTOP) == 0);
  CHECK(waitpid(child, &status, WUNTRACED) == child);
  CHECK(kill(child, SIGCONT) == 0);
  CHECK(waitpid(child, &status, WCONTINUED) == child);
  nap(50);
  printf("SA_NOCLDSTOP: SIGCHLD %d\n", (int)sigchld_count);
  signal(SIGCHLD, SIG_DFL);

  /* SIGKILL ends a stopped child. */
  CHECK(kill(child, SIGSTOP) == 0);
  CHECK(waitpid(child, &status, WUNTRACED) == child);
  kill_and_reap(child);

  /* A handled SIGTSTP runs its handler and stops nothing. */
  progress[0] = progress[1] = 0;
  child = start_child(1);
  nap(50);
  CHECK(kill(child, SIGTSTP) == 0);
  nap(50);
  printf("handled SIGTSTP: wait %d, handled %ld, moves %d\n", (int)waitpid(child, &status, WUNTRACED | WNOHANG), progress[1], moves());
  kill_and_reap(child);

  printf("EXIT-SUCCESS\n");
  return 0;
}
