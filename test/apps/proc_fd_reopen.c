/* Reopening another process's descriptor through /proc/PID/fd/N, as UCX
 * and MPI libraries share memory: a file unlinked since and a memfd still
 * open that way, read and written by the other process. Prints one line
 * per step, compared line for line with the real kernel. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

/* In the child: opens the parent's `fd` by its /proc path and writes `text` at its start. */
static void write_through_proc(pid_t parent, int fd, const char *text) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/fd/%d", parent, fd);
  int reopened = open(path, O_RDWR);
  printf("  open %s: %s\n", strchr(path + 6, '/'), reopened >= 0 ? "ok" : outcome(reopened));
  fflush(stdout);
  if (reopened >= 0) CHECK(pwrite(reopened, text, strlen(text), 0) == (ssize_t)strlen(text));
}

static void check_shared(const char *label, int fd) {
  pid_t parent = getpid();
  fflush(stdout);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    write_through_proc(parent, fd, label);
    _exit(0);
  }
  CHECK(waitpid(child, NULL, 0) == child);
  char seen[32] = {0};
  CHECK(pread(fd, seen, strlen(label), 0) >= 0);
  printf("%s: the parent reads \"%s\"\n", label, seen);
}

int main(void) {
  char path[] = "/dev/shm/proc_fd_reopen_XXXXXX";
  int unlinked = mkstemp(path);
  CHECK(unlinked >= 0);
  CHECK(unlink(path) == 0);
  check_shared("unlinked", unlinked);
  int memfd = memfd_create("segment", 0);
  CHECK(memfd >= 0);
  CHECK(ftruncate(memfd, 4096) == 0);
  check_shared("memfd", memfd);
  printf("EXIT-SUCCESS\n");
  return 0;
}
