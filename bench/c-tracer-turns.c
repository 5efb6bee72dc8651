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
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "c-tracer-turns: %s: %s\n", what, strerror(errno));
  exit(126);
}

static void pin_to_cpu0(void) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) die("sched_setaffinity");
}

static void install_filter(void) {
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog filter = {sizeof program / sizeof program[0], program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(NO_NEW_PRIVS)");
  if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &filter) != 0) die("prctl(SECCOMP)");
}

/* Stops itself before installing the filter: until the tracer has set
 * PTRACE_O_TRACESECCOMP, a TRACE verdict would fail the call with ENOSYS. */
static void run_child(char **argv) {
  if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) die("PTRACE_TRACEME");
  raise(SIGSTOP);
  install_filter();
  execvp(argv[0], argv);
  fprintf(stderr, "c-tracer-turns: cannot execute %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

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
    if (child == 0) run_child(argv + 4);
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
