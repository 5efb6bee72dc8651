/* A child made with CLONE_UNTRACED, by clone and by clone3: natively the
 * flag only tells a tracer not to attach it; under simterpose the child must
 * still be traced, so its trapped calls answer as they do for any tracee:
 * getpid is the virtual pid the parent got from clone, gethostname the
 * simulated host's name.
 *
 *   untraced            both ways, each child reporting its ids and host
 *   untraced linger TAG the child tells the parent it runs, then blocks
 *                       reading stdin (in wall time); the parent prints
 *                       "child running" and waits for it. TAG only marks
 *                       the processes, for whoever looks for them. */
#define _GNU_SOURCE
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static long untraced_child(int use_clone3) {
  if (!use_clone3) return syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_UNTRACED;
  args.exit_signal = SIGCHLD;
  long child = syscall(SYS_clone3, &args, sizeof args);
  /* The program's own struct is as it left it. */
  if (child != 0) CHECK(args.flags == CLONE_UNTRACED);
  return child;
}

static void report(const char *how) {
  long child = untraced_child(strcmp(how, "clone3") == 0);
  CHECK(child >= 0);
  if (child == 0) {
    char host[65] = "";
    CHECK(gethostname(host, sizeof host) == 0);
    printf("%s child: getpid %ld getppid %d hostname %s\n", how, syscall(SYS_getpid), getppid(), host);
    fflush(stdout);
    _exit(7);
  }
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
  printf("%s parent: getpid %d, the child is %ld\n", how, getpid(), child);
  fflush(stdout);
}

static int linger(void) {
  int ready[2];
  CHECK(pipe(ready) == 0);
  long child = untraced_child(0);
  CHECK(child >= 0);
  if (child == 0) {
    close(ready[0]);
    CHECK(write(ready[1], "x", 1) == 1);
    char byte;
    /* Blocks until whoever holds stdin's other end writes or closes it. */
    ssize_t got = read(0, &byte, 1);
    _exit(got < 0 ? 1 : 0);
  }
  close(ready[1]);
  char byte;
  CHECK(read(ready[0], &byte, 1) == 1);
  printf("child running\n");
  fflush(stdout);
  int status;
  CHECK(waitpid(child, &status, 0) == child);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "linger") == 0) return linger();
  report("clone");
  report("clone3");
  printf("EXIT-SUCCESS\n");
  return 0;
}
