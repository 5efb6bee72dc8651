/* `many_lines COUNT`: says whether its stdout and stderr are non-blocking,
 * then writes COUNT short lines to stdout, each with its own write (as a
 * program flushing every line does), then a last one. A reader slower than
 * the program must still get every line: a blocking write waits for it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int nonblocking(int fd) { return (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0; }

int main(int argc, char **argv) {
  long count = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
  printf("stdout non-blocking: %d, stderr non-blocking: %d\n", nonblocking(1), nonblocking(2));
  fflush(stdout);
  for (long i = 0; i < count; i++) {
    printf("line %ld\n", i);
    if (fflush(stdout) != 0) {
      perror("many_lines: writing a line");
      return 1;
    }
  }
  puts("all lines written");
  return 0;
}
