/* Pids that come back from the kernel inside other answers, step by step:
 * a descriptor's owner (F_SETOWN, F_GETOWN, F_SETOWN_EX and F_GETOWN_EX for a
 * thread, a process and a group) and the holder of a record lock (F_GETLK's
 * l_pid names the child holding it, F_OFD_GETLK's too; a lock held by an
 * open file description shows -1). Each line says how
 * an id relates to getpid, gettid or the child's pid, so a native run and a
 * run under simterpose print the same. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static const char *whose(pid_t id, pid_t child) {
  if (id == 0) return "nobody";
  if (id == getpid()) return "own pid";
  if (id == -getpid()) return "own group";
  if (id == child) return "child's pid";
  if (id == -1) return "-1";
  return "another id";
}

static void owners(void) {
  int fds[2];
  CHECK(pipe(fds) == 0);
  pid_t tid = (pid_t)syscall(SYS_gettid);
  CHECK(setpgid(0, 0) == 0);

  CHECK(fcntl(fds[0], F_SETOWN, getpid()) == 0);
  printf("F_SETOWN pid, F_GETOWN: %s\n", whose(fcntl(fds[0], F_GETOWN), 0));
  CHECK(fcntl(fds[0], F_SETOWN, -getpid()) == 0);
  printf("F_SETOWN -group, F_GETOWN: %s\n", whose(fcntl(fds[0], F_GETOWN), 0));

  struct f_owner_ex owner = {F_OWNER_TID, tid};
  CHECK(fcntl(fds[0], F_SETOWN_EX, &owner) == 0);
  owner = (struct f_owner_ex){-1, -1};
  CHECK(fcntl(fds[0], F_GETOWN_EX, &owner) == 0);
  printf("F_SETOWN_EX tid, F_GETOWN_EX: type %s, %s\n", owner.type == F_OWNER_TID ? "F_OWNER_TID" : "other", owner.pid == tid ? "own tid" : "another id");
  printf("then F_GETOWN: %s\n", whose(fcntl(fds[0], F_GETOWN), 0));

  owner = (struct f_owner_ex){F_OWNER_PID, getpid()};
  CHECK(fcntl(fds[0], F_SETOWN_EX, &owner) == 0);
  owner = (struct f_owner_ex){-1, -1};
  CHECK(fcntl(fds[0], F_GETOWN_EX, &owner) == 0);
  printf("F_SETOWN_EX pid, F_GETOWN_EX: type %s, %s\n", owner.type == F_OWNER_PID ? "F_OWNER_PID" : "other", whose(owner.pid, 0));

  owner = (struct f_owner_ex){F_OWNER_PGRP, getpid()};
  CHECK(fcntl(fds[0], F_SETOWN_EX, &owner) == 0);
  owner = (struct f_owner_ex){-1, -1};
  CHECK(fcntl(fds[0], F_GETOWN_EX, &owner) == 0);
  printf("F_SETOWN_EX group, F_GETOWN_EX: type %s, %s\n", owner.type == F_OWNER_PGRP ? "F_OWNER_PGRP" : "other", whose(owner.pid, 0));
  printf("then F_GETOWN: %s\n", whose(fcntl(fds[0], F_GETOWN), 0));

  owner = (struct f_owner_ex){F_OWNER_PID, 0};
  CHECK(fcntl(fds[0], F_SETOWN_EX, &owner) == 0);
  printf("F_SETOWN_EX 0, F_GETOWN: %s\n", whose(fcntl(fds[0], F_GETOWN), 0));
  owner = (struct f_owner_ex){7, getpid()};
  int bad = fcntl(fds[0], F_SETOWN_EX, &owner);
  printf("F_SETOWN_EX type 7: %d %s\n", bad, bad == -1 ? strerror(errno) : "");
  close(fds[0]);
  close(fds[1]);
}

static void lock_holders(void) {
  char path[] = "/tmp/pid_views_XXXXXX";
  int fd = mkstemp(path);
  CHECK(fd >= 0);
  CHECK(write(fd, "0123456789", 10) == 10);
  int ready[2], done[2];
  CHECK(pipe(ready) == 0 && pipe(done) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 3};
    CHECK(fcntl(fd, F_SETLK, &lock) == 0);
    CHECK(write(ready[1], "x", 1) == 1);
    char byte;
    CHECK(read(done[0], &byte, 1) == 1);
    _exit(0);
  }
  char byte;
  CHECK(read(ready[0], &byte, 1) == 1);

  struct flock query = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 12345};
  CHECK(fcntl(fd, F_GETLK, &query) == 0);
  printf("F_GETLK: %s lock at %ld+%ld held by %s\n", query.l_type == F_WRLCK ? "write" : "other", (long)query.l_start, (long)query.l_len, whose(query.l_pid, child));

  query = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 6, .l_len = 2, .l_pid = 12345};
  CHECK(fcntl(fd, F_GETLK, &query) == 0);
  printf("F_GETLK elsewhere: %s, l_pid %s\n", query.l_type == F_UNLCK ? "unlocked" : "locked", query.l_pid == 12345 ? "untouched" : whose(query.l_pid, child));

  int ofd = open(path, O_RDWR);
  CHECK(ofd >= 0);
  query = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
  CHECK(fcntl(ofd, F_OFD_GETLK, &query) == 0);
  printf("F_OFD_GETLK: %s lock held by %s\n", query.l_type == F_WRLCK ? "write" : "other", whose(query.l_pid, child));

  struct flock mine = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 6, .l_len = 2};
  CHECK(fcntl(fd, F_SETLK, &mine) == 0);
  int conflict = fcntl(fd, F_SETLK, &(struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 2, .l_len = 1});
  printf("F_SETLK over the child's lock: %d %s\n", conflict, conflict == -1 ? strerror(errno) : "");

  CHECK(write(done[1], "x", 1) == 1);
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  query = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
  CHECK(fcntl(ofd, F_OFD_GETLK, &query) == 0);
  printf("F_OFD_GETLK once the child left: %s lock held by %s\n", query.l_type == F_WRLCK ? "write" : "other", whose(query.l_pid, child));

  struct flock described = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  CHECK(fcntl(ofd, F_OFD_SETLK, &described) == 0);
  query = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
  CHECK(fcntl(fd, F_GETLK, &query) == 0);
  printf("F_GETLK over an open file description's lock: %s lock held by %s\n", query.l_type == F_RDLCK ? "read" : "other", whose(query.l_pid, child));
  close(ofd);
  close(fd);
  unlink(path);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  owners();
  lock_holders();
  printf("EXIT-SUCCESS\n");
  return 0;
}
