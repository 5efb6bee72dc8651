/* Processes and threads that leave while others go on, which must not
 * stall the run: the main thread ends with pthread_exit while a worker
 * still writes, and a parent exits while its child still has work to do. */
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void *worker(void *arg) {
  (void)arg;
  usleep(100000);
  puts("worker: done after main left");
  fflush(stdout);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && argv[1][0] == 'o') {
    /* orphan: the child outlives its parent */
    pid_t child = fork();
    CHECK(child >= 0);
    if (child == 0) {
      usleep(200000);
      puts("child: done after its parent left");
      return 0;
    }
    puts("parent: leaving its child behind");
    return 0;
  }
  pthread_t thread;
  CHECK(pthread_create(&thread, NULL, worker, NULL) == 0);
  puts("main: leaving with pthread_exit");
  fflush(stdout);
  pthread_exit(NULL);
}
