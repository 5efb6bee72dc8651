/* Processes and threads that leave while others go on, which must not
 * stall the run: the main thread ends with pthread_exit while a worker
 * still writes (or, "join", while a worker waits to join it: the kernel
 * clears the tid word glibc's start-up gave set_tid_address, and that ends
 * the join), and a parent exits while its child still has work to do. */
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

static pthread_t main_thread;

static void *joiner(void *arg) {
  (void)arg;
  CHECK(pthread_join(main_thread, NULL) == 0);
  puts("joiner: main joined");
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
  int join = argc > 1 && argv[1][0] == 'j';
  main_thread = pthread_self();
  CHECK(pthread_create(&thread, NULL, join ? joiner : worker, NULL) == 0);
  puts("main: leaving with pthread_exit");
  fflush(stdout);
  pthread_exit(NULL);
}
