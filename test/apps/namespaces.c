/* Namespace calls as an unprivileged process meets them, step by step:
 * unshare, setns and clone with each namespace flag, printed with their
 * errno; then kcmp naming the caller and a forked child, which share or do
 * not share descriptors and memory. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const struct {
  const char *name;
  int flag;
} FLAGS[] = {
    {"CLONE_NEWPID", CLONE_NEWPID}, {"CLONE_NEWNET", CLONE_NEWNET}, {"CLONE_NEWUSER", CLONE_NEWUSER}, {"CLONE_NEWNS", CLONE_NEWNS},
    {"CLONE_NEWUTS", CLONE_NEWUTS}, {"CLONE_NEWIPC", CLONE_NEWIPC}, {"CLONE_NEWCGROUP", CLONE_NEWCGROUP},
};

static void print_result(const char *call, const char *flag, long result) {
  printf("%s %s: %s\n", call, flag, result == -1 ? strerror(errno) : "succeeded");
}

static void namespace_calls(void) {
  for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++) {
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      /* In a child, so that a call that succeeds changes nothing the next ones see. */
      print_result("unshare", FLAGS[i].name, unshare(FLAGS[i].flag));
      fflush(stdout);
      pid_t grandchild = (pid_t)syscall(SYS_clone, FLAGS[i].flag | SIGCHLD, 0, 0, 0, 0);
      if (grandchild == 0) _exit(0);
      print_result("clone", FLAGS[i].name, grandchild);
      if (grandchild > 0) CHECK(waitpid(grandchild, NULL, 0) == grandchild);
      _exit(0);
    }
    CHECK(waitpid(child, NULL, 0) == child);
  }
  /* Not a clone flag: clone's low byte is the exit signal. */
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    print_result("unshare", "CLONE_NEWTIME", unshare(CLONE_NEWTIME));
    _exit(0);
  }
  CHECK(waitpid(child, NULL, 0) == child);
  const char *files[] = {"net", "uts", "pid", "mnt"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", files[i]);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    print_result("setns", files[i], setns(fd, 0));
    close(fd);
  }
  print_result("setns", "closed descriptor", setns(99, 0));
}

static void compare(const char *what, pid_t a, pid_t b, int type, long x, long y) {
  long result = syscall(SYS_kcmp, a, b, type, x, y);
  if (result == -1) printf("kcmp %s: %s\n", what, strerror(errno));
  else printf("kcmp %s: %s\n", what, result == 0 ? "same" : "different");
}

static void kcmp_calls(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    char byte;
    read(fds[0], &byte, 1);
    _exit(0);
  }
  compare("own fd 0 with the child's", getpid(), child, KCMP_FILE, fds[0], fds[0]);
  compare("own fd 0 with the child's other end", getpid(), child, KCMP_FILE, fds[0], fds[1]);
  compare("own memory with the child's", getpid(), child, KCMP_VM, 0, 0);
  compare("own memory with itself", getpid(), getpid(), KCMP_VM, 0, 0);
  compare("with no such process", getpid(), 999999, KCMP_VM, 0, 0);
  CHECK(write(fds[1], "x", 1) == 1);
  CHECK(waitpid(child, NULL, 0) == child);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  namespace_calls();
  kcmp_calls();
  printf("EXIT-SUCCESS\n");
  return 0;
}
