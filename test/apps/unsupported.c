/* Waits for asynchronous I/O completions (io_getevents), which simterpose
 * cannot mediate: the run must stop and name the syscall instead of hanging. */
#include <linux/aio_abi.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
  aio_context_t context = 0;
  if (syscall(SYS_io_setup, 1, &context) < 0) {
    perror("io_setup");
    return 1;
  }
  struct io_event event;
  syscall(SYS_io_getevents, context, 1, 1, &event, NULL);
  puts("never printed");
  return 0;
}
