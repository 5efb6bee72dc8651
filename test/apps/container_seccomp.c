/* Runs a command the way Docker's default seccomp profile would: personality()
 * is let through only with the values that profile allows (0, PER_LINUX32,
 * UNAME26, both, and the 0xffffffff query) and fails with EPERM for any other,
 * ADDR_NO_RANDOMIZE included. The filter is inherited by everything the
 * command starts. With --refuse-ptrace, ptrace() fails with EPERM too, as
 * in a container whose profile leaves it out; with --refuse-pidfd-getfd,
 * pidfd_getfd() does, as Docker's default profile has it for a container
 * without CAP_SYS_PTRACE.
 * Usage: container_seccomp [--refuse-ptrace | --refuse-pidfd-getfd] COMMAND [ARGS...] */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

#define ALLOW_IF_ARG0_IS(value) \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

int main(int argc, char **argv) {
  /* The one syscall refused outright, if any (no syscall has number 0xffffffff). */
  unsigned refused = 0xffffffffu;
  if (argc >= 2 && strcmp(argv[1], "--refuse-ptrace") == 0) refused = SYS_ptrace;
  if (argc >= 2 && strcmp(argv[1], "--refuse-pidfd-getfd") == 0) refused = SYS_pidfd_getfd;
  char **command = argv + 1 + (refused != 0xffffffffu);
  CHECK(command[0] != NULL);
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, refused, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_personality, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      /* The persona is an unsigned int: its low 32 bits are all the kernel reads. */
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
      ALLOW_IF_ARG0_IS(0x0),
      ALLOW_IF_ARG0_IS(0x8),
      ALLOW_IF_ARG0_IS(0x20000),
      ALLOW_IF_ARG0_IS(0x20008),
      ALLOW_IF_ARG0_IS(0xffffffff),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
  };
  struct sock_fprog program = {.len = sizeof filter / sizeof filter[0], .filter = filter};
  CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0);
  CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) == 0);
  execvp(command[0], command);
  CHECK(!"execvp");
  return 1;
}
