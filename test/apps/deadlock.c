/* Locks a mutex it already holds: under Linux this hangs forever; under
 * simterpose nothing can ever wake the thread, which is reported. */
#include <pthread.h>
#include <stdio.h>

int main(void) {
  pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
  pthread_mutex_lock(&mutex);
  puts("locking twice");
  fflush(stdout);
  pthread_mutex_lock(&mutex);
  puts("never printed");
  return 0;
}
