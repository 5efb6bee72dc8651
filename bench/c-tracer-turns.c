/* c-tracer-turns <processes> <stops> -- prog args
 *
 * The floor for many tracees: the least a ptrace tracer can do when one of
 * many processes runs at a time, as under simterpose. It starts <processes>
 * copies of the program, each trapping getpid through a seccomp filter, and
 * lets them make <stops> stops in all, one at a time and in turn: resume one,
 * wait for its next getpid stop, skip the call (orig_rax = -1, its pid as the
 * result), go on with the next. The program must call getpid in a loop at
 * least <stops> / <processes> times (test/apps/spin_syscalls getpid N).
 * Tracer and tracees share CPU 0. Prints the microseconds per stop of the
 * turns, start-up and exits left out, then kills every child. */
#include "seccomp-child.h"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

/* Resumes the child until its next getpid stop; other stops (exec) are passed over. */
static void run_to_getpid(pid_t child) {
  int deliver = 0;
  for (;;) {
    if (ptrace(PTRACE_CONT, child, NULL, (void *)(long)deliver) != 0) die("PTRACE_CONT");
    deliver = 0;
    int status;
    if (waitpid(child, &status, 0) != child) die("waitpid");
    if (WIFEXITED(status) || WIFSIGNALED(status)) {
      fprintf(stderr, "c-tracer-turns: a child ended before its stops were made\n");
      exit(126);
    }
    if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) return;
    if (status >> 16 == 0) deliver = WSTOPSIG(status);
  }
}

static void skip_getpid(pid_t child) {
  struct user_regs_struct regs;
  if (ptrace(PTRACE_GETREGS, child, NULL, &regs) != 0) die("PTRACE_GETREGS");
  regs.orig_rax = (unsigned long long)-1;
  regs.rax = (unsigned long long)child;
  if (ptrace(PTRACE_SETREGS, child, NULL, &regs) != 0) die("PTRACE_SETREGS");
}

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + now.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: c-tracer-turns <processes> <stops> -- prog args\n");
    return 2;
  }
  int processes = atoi(argv[1]);
  long stops = atol(argv[2]);
  if (processes <= 0 || stops <= 0) {
    fprintf(stderr, "c-tracer-turns: <processes> and <stops> must be positive\n");
    return 2;
  }
  pin_to_cpu0();
  pid_t *children = calloc((size_t)processes, sizeof *children);
  if (children == NULL) die("calloc");
  for (int i = 0; i < processes; i++) {
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) run_child(SYS_getpid, argv + 4);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) die("the child did not stop itself");
    long options = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC;
    if (ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)options) != 0) die("PTRACE_SETOPTIONS");
    children[i] = child;
    run_to_getpid(child);
  }
  double start = seconds();
  for (long stop = 0; stop < stops; stop++) {
    pid_t child = children[stop % processes];
    skip_getpid(child);
    run_to_getpid(child);
  }
  double elapsed = seconds() - start;
  printf("%.3f\n", elapsed / (double)stops * 1e6);
  for (int i = 0; i < processes; i++) kill(children[i], SIGKILL);
  while (wait(NULL) > 0) continue;
  return 0;
}
