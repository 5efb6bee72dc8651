/* A terminal's foreground process group and session, by the ids the
 * program knows: a session leader opens a pseudo-terminal as its
 * controlling terminal, reads its foreground group and session
 * (tcgetpgrp, tcgetsid), hands the foreground to a child's new group
 * (tcsetpgrp) and reads it back; a group that does not exist is refused.
 * Each id is printed as who it is, so native and simterpose runs compare. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"

static pid_t helper;

static const char *who(pid_t id) {
  if (id == getpid()) return "self";
  if (id == helper) return "helper";
  return "someone else";
}

static void leader(const char *terminal_name) {
  CHECK(setsid() == getpid());
  int terminal = open(terminal_name, O_RDWR);
  CHECK(terminal >= 0);
  printf("foreground %s, session %s\n", who(tcgetpgrp(terminal)), who(tcgetsid(terminal)));
  helper = fork();
  CHECK(helper >= 0);
  if (helper == 0) {
    pause();
    _exit(0);
  }
  CHECK(setpgid(helper, helper) == 0);
  /* The leader leaves the foreground: it must not be stopped for writing to it meanwhile. */
  signal(SIGTTOU, SIG_IGN);
  CHECK(tcsetpgrp(terminal, helper) == 0);
  printf("foreground %s, session %s\n", who(tcgetpgrp(terminal)), who(tcgetsid(terminal)));
  int refused = tcsetpgrp(terminal, 999999);
  printf("tcsetpgrp to no group: %d %s\n", refused, refused < 0 ? strerrorname_np(errno) : "");
  CHECK(tcsetpgrp(terminal, getpid()) == 0);
  printf("foreground %s\n", who(tcgetpgrp(terminal)));
  CHECK(kill(helper, SIGKILL) == 0);
  CHECK(waitpid(helper, NULL, 0) == helper);
}

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  int master = posix_openpt(O_RDWR | O_NOCTTY);
  CHECK(master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0);
  const char *terminal_name = ptsname(master);
  CHECK(terminal_name != NULL);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    leader(terminal_name);
    _exit(0);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
