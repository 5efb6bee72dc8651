/* Writes its stdout every way a program can: write, then sendfile and
 * splice from a file it made, then a line again. When simterpose hands
 * programs a pipe of its own as stdout (an output directory, several
 * processes, captured output), the bytes the kernel moves there itself
 * must reach the output as those written are. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "check.h"

int main(void) {
  char path[] = "/tmp/simterpose-output-transfers-XXXXXX";
  int file = mkstemp(path);
  CHECK(file >= 0);
  CHECK(unlink(path) == 0);
  /* More than a pipe holds (64 KiB), so that the kernel cannot move it all at once. */
  for (int i = 0; i < 10000; i++) CHECK(dprintf(file, "from a file, line %d\n", i) > 0);
  off_t size = lseek(file, 0, SEEK_CUR);
  printf("written, then %lld bytes from a file by sendfile\n", (long long)size);
  fflush(stdout);
  off_t offset = 0;
  while (offset < size) CHECK(sendfile(1, file, &offset, size - offset) > 0);
  printf("then the same by splice\n");
  fflush(stdout);
  loff_t from = 0;
  while (from < size) CHECK(splice(file, &from, 1, NULL, size - from, 0) > 0);
  printf("EXIT-SUCCESS\n");
  return 0;
}
