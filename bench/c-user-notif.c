/* c-user-notif -- prog args
 *
 * What emulating a syscall costs without ptrace: the child's getpid calls
 * go to this supervisor as seccomp user notifications (SECCOMP_RET_USER_NOTIF),
 * which it answers with the child's pid. One notification and one answer
 * per call, against c-tracer's stop, GETREGS, SETREGS and PTRACE_CONT: the
 * reference for how much fewer kernel crossings would save. The child
 * installs the filter and hands its listener over a socket pair before it
 * execs the program; supervisor and child share CPU 0. Exits with the
 * child's status, or 128+N if a signal N killed it. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "c-user-notif: %s: %s\n", what, strerror(errno));
  exit(126);
}

static int install_notifying_filter(void) {
  struct sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getpid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog filter = {sizeof program / sizeof program[0], program};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl(NO_NEW_PRIVS)");
  int listener = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter);
  if (listener < 0) die("seccomp(NEW_LISTENER)");
  return listener;
}

/* Sends or receives one descriptor over a connected AF_UNIX socket. */
static int pass_fd(int socket, int fd, int sending) {
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
  if (got == 0) {
    fprintf(stderr, "c-user-notif: the child ended before it sent its listener\n");
    exit(126);
  }
  if (got != 1) die("recvmsg");
  struct cmsghdr *header = CMSG_FIRSTHDR(&message);
  if (header == NULL || header->cmsg_type != SCM_RIGHTS) {
    fprintf(stderr, "c-user-notif: the child sent no listener\n");
    exit(126);
  }
  memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

/* Answers every getpid with the caller's pid until no process uses the filter any more. */
static void supervise(int listener) {
  for (;;) {
    struct pollfd ready = {listener, POLLIN, 0};
    if (poll(&ready, 1, -1) < 0 && errno != EINTR) die("poll");
    if (!(ready.revents & POLLIN)) return; /* POLLHUP: the child and its filter are gone */
    struct seccomp_notif request;
    memset(&request, 0, sizeof request);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) {
      if (errno == EINTR || errno == ENOENT) continue; /* the caller went away meanwhile */
      die("SECCOMP_IOCTL_NOTIF_RECV");
    }
    struct seccomp_notif_resp answer = {.id = request.id, .val = request.pid, .error = 0, .flags = 0};
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &answer) != 0 && errno != ENOENT) die("SECCOMP_IOCTL_NOTIF_SEND");
  }
}

int main(int argc, char **argv) {
  if (argc < 3 || strcmp(argv[1], "--") != 0) {
    fprintf(stderr, "usage: c-user-notif -- prog args\n");
    return 2;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(0, &cpus);
  if (sched_setaffinity(0, sizeof cpus, &cpus) != 0) die("sched_setaffinity");
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    int listener = install_notifying_filter();
    pass_fd(pair[1], listener, 1);
    close(listener);
    execvp(argv[2], argv + 2);
    fprintf(stderr, "c-user-notif: cannot execute %s: %s\n", argv[2], strerror(errno));
    _exit(127);
  }
  close(pair[1]);
  int listener = pass_fd(pair[0], -1, 0);
  close(pair[0]);
  supervise(listener);
  int status;
  if (waitpid(child, &status, 0) != child) die("waitpid");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
