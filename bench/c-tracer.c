/* c-tracer <syscall-number> [--write-timespec] -- prog args
 *
 * The floor simterpose's tracing cost is compared with: the least a ptrace
 * tracer can do to emulate one syscall. The child traps only that syscall
 * through a seccomp filter; at each seccomp stop the tracer skips the call
 * (orig_rax = -1) and writes the tracee's pid as its result, which is what
 * getpid would return: one stop per trapped syscall, nothing else.
 * With --write-timespec it emulates clock_gettime instead: it writes a fixed
 * struct timespec where the call's second argument points (one
 * process_vm_writev) and returns 0.
 * Tracer and tracee share CPU 0, as simterpose pins them. Exits with the
 * child's status, or 128+N if a signal N killed it. */
#include "seccomp-child.h"

#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

/* 2000-01-01T00:00:00Z, as simterpose's default epoch. */
static const struct timespec FIXED_TIME = {946684800, 0};

static void write_timespec(pid_t child, unsigned long long address) {
  struct iovec local = {(void *)&FIXED_TIME, sizeof FIXED_TIME};
  struct iovec remote = {(void *)address, sizeof FIXED_TIME};
  if (process_vm_writev(child, &local, 1, &remote, 1, 0) != (ssize_t)sizeof FIXED_TIME) die("process_vm_writev");
}

static int trace(pid_t child, int emulate_clock) {
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGSTOP) {
    fprintf(stderr, "c-tracer: the child did not stop itself\n");
    return 126;
  }
  long options = PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL | PTRACE_O_TRACEEXEC;
  if (ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)options) != 0) die("PTRACE_SETOPTIONS");
  int deliver = 0;
  for (;;) {
    if (ptrace(PTRACE_CONT, child, NULL, (void *)(long)deliver) != 0) die("PTRACE_CONT");
    deliver = 0;
    if (waitpid(child, &status, 0) != child) die("waitpid");
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
      struct user_regs_struct regs;
      if (ptrace(PTRACE_GETREGS, child, NULL, &regs) != 0) die("PTRACE_GETREGS");
      regs.orig_rax = (unsigned long long)-1;
      if (emulate_clock) {
        write_timespec(child, regs.rsi);
        regs.rax = 0;
      } else {
        regs.rax = (unsigned long long)child;
      }
      if (ptrace(PTRACE_SETREGS, child, NULL, &regs) != 0) die("PTRACE_SETREGS");
    } else if (status >> 16 == 0) {
      /* A signal for the child, not an event of ours: pass it on. */
      deliver = WSTOPSIG(status);
    }
  }
}

int main(int argc, char **argv) {
  int emulate_clock = argc > 2 && strcmp(argv[2], "--write-timespec") == 0;
  int separator = emulate_clock ? 3 : 2;
  if (argc < separator + 2 || strcmp(argv[separator], "--") != 0) {
    fprintf(stderr, "usage: c-tracer <syscall-number> [--write-timespec] -- prog args\n");
    return 2;
  }
  char *end;
  unsigned long syscall_number = strtoul(argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0') {
    fprintf(stderr, "c-tracer: not a syscall number: %s\n", argv[1]);
    return 2;
  }
  pin_to_cpu0();
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) run_child((unsigned)syscall_number, argv + separator + 1);
  return trace(child, emulate_clock);
}
