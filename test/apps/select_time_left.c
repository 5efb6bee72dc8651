/* What select, pselect6 and ppoll leave in their timeout: the time left
 * when a descriptor became ready (a child writes to a pipe after 1 s of a
 * 3 s timeout), 0 when it ran out. poll has nothing to write back. Times
 * are printed to the second, which a loaded machine's delays do not
 * change, and compared with the real kernel line for line. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "semantics.h"

/* A pipe a child writes one byte into after `ms` milliseconds; its read end. */
static int written_after(long ms, pid_t *child) {
  int ends[2];
  CHECK(pipe(ends) == 0);
  fflush(stdout);
  *child = fork();
  CHECK(*child >= 0);
  if (*child == 0) {
    nap(ms);
    CHECK(write(ends[1], "x", 1) == 1);
    _exit(0);
  }
  close(ends[1]);
  return ends[0];
}

static double seconds_of(long s, long ns) { return s + ns / 1e9; }

int main(void) {
  pid_t child;
  for (int ready = 1; ready >= 0; ready--) {
    const char *how = ready ? "ready after 1 s" : "nothing ready";
    int fd = written_after(ready ? 1000 : 100000, &child);
    long timeout = ready ? 3 : 0;
    long timeout_ns = ready ? 0 : 400000000;

    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    struct timeval tv = {timeout, timeout_ns / 1000};
    long n = select(fd + 1, &set, NULL, NULL, &tv);
    printf("select, %s: %s, left %.0f s\n", how, outcome(n), seconds_of(tv.tv_sec, tv.tv_usec * 1000L));

    FD_ZERO(&set);
    FD_SET(fd, &set);
    struct timespec ts = {timeout, timeout_ns};
    /* The raw call: glibc's pselect hands the kernel a copy of the timeout. */
    n = syscall(SYS_pselect6, fd + 1, &set, NULL, NULL, &ts, NULL);
    printf("pselect6, %s: %s, left %.0f s\n", how, outcome(n), seconds_of(ts.tv_sec, ts.tv_nsec));

    struct pollfd entry = {.fd = fd, .events = POLLIN};
    ts = (struct timespec){timeout, timeout_ns};
    n = syscall(SYS_ppoll, &entry, 1, &ts, NULL, 8);
    printf("ppoll, %s: %s, left %.0f s\n", how, outcome(n), seconds_of(ts.tv_sec, ts.tv_nsec));

    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    close(fd);
  }
  printf("EXIT-SUCCESS\n");
  return 0;
}
