/* What the bare C tracers of the benchmarks share: starting a child that
 * traps syscalls through a seccomp filter (or sends them as user
 * notifications, whose listener it passes over a socket), on CPU 0 with its
 * tracer (as simterpose pins them). Errors name the program and exit 126. */
#ifndef SIMTERPOSE_BENCH_SECCOMP_CHILD_H
#define SIMTERPOSE_BENCH_SECCOMP_CHILD_H

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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
  exit(126);
}

static void pin_to_cpu0(void) {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) die("sched_setaffinity");
}

/* Gives the `count` syscalls of `numbers` the `verdict` (SECCOMP_RET_TRACE, or
 * SECCOMP_RET_USER_NOTIF: the filter then comes with a listener, returned),
 * allows the rest. */
static inline int install_filter_with(const unsigned *numbers, unsigned count, unsigned verdict) {
  struct sock_filter program[3 + 2 * 8 + 1] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  if (count > 8) {
    fprintf(stderr, "%s: at most 8 trapped syscalls\n", program_invocation_short_name);
    exit(126);
  }
  unsigned length = 3;
  for (unsigned i = 0; i < count; i++) {
    program[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    program[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, numbers[i], 0, 1);
    program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, verdict);
  }
  program[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  struct sock_fprog filter = {(unsigned short)length, program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(NO_NEW_PRIVS)");
  unsigned flags = verdict == SECCOMP_RET_USER_NOTIF ? SECCOMP_FILTER_FLAG_NEW_LISTENER : 0;
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &filter);
  if (listener < 0) die("seccomp(SECCOMP_SET_MODE_FILTER)");
  return listener;
}

/* Traps the `count` syscalls of `numbers` (SECCOMP_RET_TRACE), allows the rest. */
static inline void install_filter_for(const unsigned *numbers, unsigned count) { install_filter_with(numbers, count, SECCOMP_RET_TRACE); }

/* Sends `fd` (sending) or receives a descriptor over a connected AF_UNIX socket; returns it. */
static inline int pass_fd(int socket, int fd, int sending) {
  char byte = 0;
  struct iovec data = {&byte, 1};
  union {
    char buffer[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer, .msg_controllen = sizeof control.buffer};
  if (sending) {
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    if (sendmsg(socket, &message, 0) != 1) die("sendmsg");
    return fd;
  }
  ssize_t got = recvmsg(socket, &message, 0);
  struct cmsghdr *header = got == 1 ? CMSG_FIRSTHDR(&message) : NULL;
  if (header == NULL || header->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "%s: the child sent no listener (it ended first?)\n", program_invocation_short_name);
    exit(126);
  }
  memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

static inline void install_filter(unsigned syscall_number) { install_filter_for(&syscall_number, 1); }

/* In the forked child: stops itself before installing the filter (until the
 * tracer has set PTRACE_O_TRACESECCOMP, a TRACE verdict would fail the call
 * with ENOSYS), then execs the program. */
static inline void run_child(unsigned syscall_number, char **argv) {
  if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) die("PTRACE_TRACEME");
  raise(SIGSTOP);
  install_filter(syscall_number);
  execvp(argv[0], argv);
  fprintf(stderr, "%s: cannot execute %s: %s\n", program_invocation_short_name, argv[0], strerror(errno));
  _exit(127);
}

#endif
