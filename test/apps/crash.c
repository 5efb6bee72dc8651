/* crash SECONDS segv|abort   sleeps SECONDS, then crashes: a write through a
 *                            null pointer (SIGSEGV) or abort() (SIGABRT).
 * It asks for no core file: a test leaves nothing behind. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: crash SECONDS segv|abort\n");
    return 2;
  }
  struct rlimit no_core = {0, 0};
  setrlimit(RLIMIT_CORE, &no_core);
  double seconds = atof(argv[1]);
  struct timespec pause = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
  printf("crashing\n");
  fflush(stdout);
  if (strcmp(argv[2], "abort") == 0) abort();
  volatile int *nowhere = NULL;
  *nowhere = 1;
  return 0;
}
