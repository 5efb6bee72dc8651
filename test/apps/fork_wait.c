/* fork, waitpid, wait and WNOHANG. Only the first process prints; children
 * report through their exit status, so the output does not depend on which
 * process the scheduler runs first. Children leave with _exit so that they
 * never flush a copy of the parent's stdout buffer. */
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CHILDREN 5

static int exit_status_of(pid_t pid) {
  int status;
  CHECK(waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static void waitpid_each_child(void) {
  pid_t pids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) _exit(10 + i);
  }
  /* Collect in reverse order of creation: waitpid names the child it wants. */
  for (int i = CHILDREN - 1; i >= 0; i--)
    printf("waitpid: child %d exited with %d\n", i, exit_status_of(pids[i]));
}

static int compare_ints(const void *a, const void *b) {
  return *(const int *)a - *(const int *)b;
}

static void wait_any_order(void) {
  pid_t pids[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    pids[i] = fork();
    CHECK(pids[i] >= 0);
    if (pids[i] == 0) _exit(20 + i);
  }
  int codes[CHILDREN];
  for (int i = 0; i < CHILDREN; i++) {
    int status;
    pid_t pid = wait(&status);
    CHECK(pid > 0);
    CHECK(WIFEXITED(status));
    int known = 0;
    for (int j = 0; j < CHILDREN; j++) known |= pids[j] == pid;
    CHECK(known);
    codes[i] = WEXITSTATUS(status);
  }
  errno = 0;
  CHECK(wait(NULL) == -1 && errno == ECHILD);
  qsort(codes, CHILDREN, sizeof codes[0], compare_ints);
  printf("wait: collected");
  for (int i = 0; i < CHILDREN; i++) printf(" %d", codes[i]);
  printf("\n");
}

static void grandchild(void) {
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    pid_t grandchild = fork();
    if (grandchild < 0) _exit(100);
    if (grandchild == 0) _exit(7);
    int status;
    if (waitpid(grandchild, &status, 0) != grandchild || !WIFEXITED(status)) _exit(101);
    _exit(WEXITSTATUS(status) + 1);
  }
  /* The child exits with its own child's status plus one. */
  printf("grandchild: exited with %d\n", exit_status_of(child) - 1);
}

static void wnohang_poll(void) {
  int go[2];
  CHECK(pipe(go) == 0);
  pid_t child = fork();
  CHECK(child >= 0);
  if (child == 0) {
    close(go[1]);
    char byte;
    /* Cannot exit before the parent says so: the first poll must see nothing. */
    _exit(read(go[0], &byte, 1) == 1 ? 5 : 102);
  }
  close(go[0]);
  int status;
  CHECK(waitpid(child, &status, WNOHANG) == 0);
  printf("wnohang: nothing to collect while the child waits\n");
  CHECK(write(go[1], "g", 1) == 1);
  close(go[1]);
  const struct timespec a_millisecond = {0, 1000000};
  pid_t seen = 0;
  for (int polls = 0; seen == 0 && polls < 100000; polls++) {
    seen = waitpid(child, &status, WNOHANG);
    CHECK(seen >= 0);
    if (seen == 0) nanosleep(&a_millisecond, NULL);
  }
  CHECK(seen == child);
  CHECK(WIFEXITED(status));
  printf("wnohang: saw the child exit with %d\n", WEXITSTATUS(status));
}

int main(void) {
  waitpid_each_child();
  wait_any_order();
  grandchild();
  wnohang_poll();
  printf("EXIT-SUCCESS\n");
  return 0;
}
