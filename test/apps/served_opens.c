/* How opens of the files simterpose serves (a host's name, CPUs, uptime,
 * the process's own status) behave, printed so that a run under simterpose
 * can be compared with a native one: the descriptor is the lowest free one,
 * close-on-exec as asked, by open, openat and openat2; O_DIRECTORY, O_EXCL
 * and O_PATH fail or succeed as the kernel has them; and a process that
 * dropped root's privileges is granted or refused what the kernel grants
 * or refuses it. Ends with EXIT-SUCCESS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *const PATHS[] = {"/etc/hostname", "/proc/cpuinfo", "/proc/uptime", "/proc/self/status"};
enum { NOBODY = 65534 };

static int open_by(const char *way, const char *path, int flags) {
  if (strcmp(way, "open") == 0) return open(path, flags, 0644);
  if (strcmp(way, "openat") == 0) return openat(AT_FDCWD, path, flags, 0644);
  struct open_how how = {.flags = (unsigned long long)flags, .mode = (flags & O_CREAT) ? 0644 : 0};
  return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

/* "ok" or the errno's name, for a line that must read the same natively. */
static const char *outcome(int fd) {
  if (fd >= 0) return "ok";
  switch (errno) {
  case ENOTDIR: return "ENOTDIR";
  case EEXIST: return "EEXIST";
  case EACCES: return "EACCES";
  case ENOENT: return "ENOENT";
  case ELOOP: return "ELOOP";
  default: return strerror(errno);
  }
}

/* Opened where the kernel would put a new descriptor (a hole left below
 * others), close-on-exec exactly when asked, and readable. */
static void check_descriptor(const char *way, const char *path, int cloexec) {
  int hole = dup(0), above = dup(0);
  CHECK(hole >= 0 && above > hole);
  CHECK(close(hole) == 0);
  int fd = open_by(way, path, O_RDONLY | (cloexec ? O_CLOEXEC : 0));
  CHECK(fd == hole);
  CHECK(((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0) == cloexec);
  char byte;
  CHECK(read(fd, &byte, 1) == 1);
  CHECK(close(fd) == 0 && close(above) == 0);
}

static void report_flags(const char *who, const char *path) {
  int directory = open_by("openat", path, O_RDONLY | O_DIRECTORY);
  printf("%s %s O_DIRECTORY: %s\n", who, path, outcome(directory));
  int exclusive = open_by("openat2", path, O_WRONLY | O_CREAT | O_EXCL);
  printf("%s %s O_CREAT|O_EXCL: %s\n", who, path, outcome(exclusive));
  int location = open_by("open", path, O_PATH | O_NOFOLLOW);
  printf("%s %s O_PATH|O_NOFOLLOW: %s\n", who, path, outcome(location));
  int reading = open_by("openat", path, O_RDONLY);
  printf("%s %s O_RDONLY: %s\n", who, path, outcome(reading));
  int writing = open_by("open", path, O_WRONLY);
  printf("%s %s O_WRONLY: %s\n", who, path, outcome(writing));
  int fds[] = {directory, exclusive, location, reading, writing};
  for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
    if (fds[i] >= 0) close(fds[i]);
}

int main(void) {
  const char *ways[] = {"open", "openat", "openat2"};
  for (size_t p = 0; p < sizeof PATHS / sizeof PATHS[0]; p++) {
    for (size_t w = 0; w < 3; w++) {
      check_descriptor(ways[w], PATHS[p], 0);
      check_descriptor(ways[w], PATHS[p], 1);
    }
    report_flags(geteuid() == 0 ? "root" : "user", PATHS[p]);
  }
  if (geteuid() == 0) {
    /* A child that drops root's privileges is refused what an ordinary user is. */
    fflush(stdout);
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      CHECK(setgroups(0, NULL) == 0 && setresgid(NOBODY, NOBODY, NOBODY) == 0 && setresuid(NOBODY, NOBODY, NOBODY) == 0);
      for (size_t p = 0; p < sizeof PATHS / sizeof PATHS[0]; p++) report_flags("nobody", PATHS[p]);
      fflush(stdout);
      _exit(0);
    }
    int status;
    CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
