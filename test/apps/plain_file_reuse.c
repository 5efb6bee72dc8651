/* A descriptor number that held a regular file, read and written to its end
 * (simterpose then lets its reads and writes through without looking at it
 * again), freed and given to a pipe: by close, dup2, close_range, and exec
 * of a close-on-exec file. Each time the pipe's reader or writer comes
 * first and must wait for a child that sleeps before it writes or reads.
 * Under simterpose the wait is in virtual time: were the number still taken
 * for a file, the call would block in the kernel, and the child would never
 * run. The first process prints what each case got, then EXIT-SUCCESS.
 *
 *   plain_file_reuse              runs every case
 *   plain_file_reuse after-exec   (run by the exec case) reads a pipe at the number exec closed */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define PIPE_BYTES (256 * 1024)

static char file_path[] = "/tmp/plain_file_reuse.XXXXXX";

static void nap(void) {
  struct timespec pause = {0, 50 * 1000 * 1000};
  CHECK(nanosleep(&pause, NULL) == 0);
}

/* Opens the file and uses it to its end: a write, then reads until 0. */
static int used_file(int flags) {
  int fd = open(file_path, O_RDWR | flags);
  CHECK(fd >= 0);
  CHECK(write(fd, "file\n", 5) == 5);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  char buffer[64];
  ssize_t got;
  size_t total = 0;
  while ((got = read(fd, buffer, sizeof buffer)) > 0) total += (size_t)got;
  CHECK(got == 0);
  CHECK(total >= 5);
  return fd;
}

/* A child that sleeps, then writes a line into `fd`. */
static pid_t late_writer(int fd, int other) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    close(other);
    nap();
    CHECK(write(fd, "late\n", 5) == 5);
    _exit(0);
  }
  close(fd);
  return child;
}

static void reap(pid_t child) {
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Reads the line a late writer sends through the pipe at `fd`. */
static void read_late_line(const char *how, int fd) {
  char buffer[16] = {0};
  CHECK(read(fd, buffer, sizeof buffer - 1) == 5);
  printf("%s: read '%.4s' from the pipe at the file's number\n", how, buffer);
  fflush(stdout);
}

/* `fd`, a used file's number just freed (`how`), is the next pipe's reading end: a read there waits for the late writer. */
static void pipe_at_freed_number(const char *how, int fd) {
  int ends[2];
  CHECK(pipe(ends) == 0);
  CHECK(ends[0] == fd);
  pid_t child = late_writer(ends[1], ends[0]);
  read_late_line(how, ends[0]);
  reap(child);
  close(ends[0]);
}

static void after_close(void) {
  int fd = used_file(0);
  CHECK(close(fd) == 0);
  pipe_at_freed_number("close", fd);
}

static void after_dup2(void) {
  int fd = used_file(0);
  int ends[2];
  CHECK(pipe(ends) == 0);
  CHECK(dup2(ends[0], fd) == fd);
  close(ends[0]);
  pid_t child = late_writer(ends[1], fd);
  read_late_line("dup2", fd);
  reap(child);
  close(fd);
}

static void after_close_range(void) {
  int fd = used_file(0);
  CHECK(syscall(SYS_close_range, fd, fd, 0) == 0);
  pipe_at_freed_number("close_range", fd);
}

/* The writer comes first: PIPE_BYTES do not fit in the pipe until the child, late, reads them. */
static void write_after_close(void) {
  int reader = used_file(0);
  int writer = used_file(0);
  CHECK(close(reader) == 0 && close(writer) == 0);
  int ends[2];
  CHECK(pipe(ends) == 0);
  CHECK(ends[0] == reader && ends[1] == writer);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    close(ends[1]);
    nap();
    static char buffer[4096];
    size_t total = 0;
    ssize_t got;
    while ((got = read(ends[0], buffer, sizeof buffer)) > 0) total += (size_t)got;
    CHECK(got == 0);
    CHECK(total == PIPE_BYTES);
    _exit(0);
  }
  close(ends[0]);
  static char data[PIPE_BYTES];
  for (size_t sent = 0; sent < sizeof data;) {
    ssize_t written = write(ends[1], data + sent, sizeof data - sent);
    CHECK(written > 0);
    sent += (size_t)written;
  }
  close(ends[1]);
  reap(child);
  printf("write: the late reader got all %d bytes\n", PIPE_BYTES);
}

/* The number execs close: high, so that the loader's own opens after the exec do not take it first. */
#define CLOSED_BY_EXEC 100

/* The file is used through a close-on-exec number by the process that execs, so that the number is known there for a file's. */
static void exec_after_cloexec(const char *self) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    int fd = used_file(0);
    CHECK(fcntl(fd, F_DUPFD_CLOEXEC, CLOSED_BY_EXEC) == CLOSED_BY_EXEC);
    CHECK(lseek(CLOSED_BY_EXEC, 0, SEEK_SET) == 0);
    char buffer[64];
    while (read(CLOSED_BY_EXEC, buffer, sizeof buffer) > 0) continue;
    execl(self, self, "after-exec", (char *)NULL);
    CHECK(!"exec");
  }
  reap(child);
  printf("exec: the pipe at the number exec closed gave 'late'\n");
}

/* After the exec: the close-on-exec number is free, and once every number below it is taken, the pipe takes it. */
static int after_exec(void) {
  int fd;
  while ((fd = open("/dev/null", O_RDONLY)) < CLOSED_BY_EXEC - 1) CHECK(fd >= 0);
  CHECK(fd == CLOSED_BY_EXEC - 1);
  int ends[2];
  CHECK(pipe(ends) == 0);
  CHECK(ends[0] == CLOSED_BY_EXEC);
  pid_t child = late_writer(ends[1], ends[0]);
  char buffer[8] = {0};
  CHECK(read(ends[0], buffer, sizeof buffer - 1) == 5 && strcmp(buffer, "late\n") == 0);
  reap(child);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 2) return after_exec();
  int made = mkstemp(file_path);
  CHECK(made >= 0);
  close(made);
  after_close();
  after_dup2();
  after_close_range();
  write_after_close();
  exec_after_cloexec(argv[0]);
  unlink(file_path);
  printf("EXIT-SUCCESS\n");
  return 0;
}
