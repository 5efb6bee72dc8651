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
#include "seccomp-child.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

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
  pin_to_cpu0();
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) die("socketpair");
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child == 0) {
    const unsigned notified = SYS_getpid;
    int listener = install_filter_with(&notified, 1, SECCOMP_RET_USER_NOTIF);
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
